"""The baseline for build speed: bare feedgen writing the same items' feed, nothing else.

Usage: python benchmarks/rawfeed.py ITEMS.json OUT.xml
"""

from __future__ import annotations

import datetime as dt
import json
import sys

from feedgen.feed import FeedGenerator


def main(items_path: str, out_path: str) -> None:
    with open(items_path, encoding="utf-8") as handle:
        items = json.load(handle)
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.title("Een tegen eenzaamheid")
    fg.link(href="https://example.org/", rel="alternate")
    fg.description("Gesprekken over eenzaamheid en ontmoeting.")
    fg.language("nl")
    fg.podcast.itunes_author("Programma Een tegen eenzaamheid")
    fg.podcast.itunes_category("Health & Fitness", "Mental Health")
    fg.podcast.itunes_explicit("no")
    newest = dt.datetime.fromisoformat(items[0]["published"]) if items else None
    if newest:
        fg.lastBuildDate(newest)
    for item in items:
        fe = fg.add_entry(order="append")
        fe.title(item["title"])
        fe.guid(item["guid"], permalink=False)
        fe.pubDate(dt.datetime.fromisoformat(item["published"]))
        fe.link(href=f"https://example.org/episodes/{item['slug']}/index.html")
        fe.description(item["notes"])
        fe.content(item["notes"], type="CDATA")
        fe.enclosure(item["media_url"], str(item["length"]), "audio/mpeg")
        fe.podcast.itunes_duration(str(round(item["duration"])))
        fe.podcast.itunes_explicit("no")
    fg.rss_file(out_path, pretty=True, encoding="UTF-8", xml_declaration=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
