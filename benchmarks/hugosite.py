"""The same episodes as a minimal Hugo site, to set a static site generator's build beside
mediafeed's full build.

Usage: python benchmarks/hugosite.py SHOW SITE

Each `episodes/*.md` (YAML front matter, Markdown notes) becomes `content/episodes/SLUG.md`
with Hugo's front matter (title, date, the audio file and its length) and the same notes;
one single-page layout shows the title, the date, an audio element and the notes, like an
episode page, and one list layout lists the episodes, like the show's page.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

CONFIG = """\
baseURL = "https://example.org/"
title = "Een tegen eenzaamheid"
languageCode = "nl"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
"""

BASE = """\
<!doctype html>
<html lang="nl">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} - {{ site.Title }}</title></head>
<body><main>{{ block "main" . }}{{ end }}</main></body>
</html>
"""

SINGLE = """\
{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time></p>
<audio controls preload="none" src="{{ .Params.audio | relURL }}"></audio>
<p><a href="{{ .Params.audio | relURL }}" download>Download ({{ .Params.length }} bytes)</a></p>
{{ .Content }}
</article>
{{ end }}
"""

LIST = """\
{{ define "main" }}
<h1>{{ site.Title }}</h1>
<ul>
{{ range (where site.RegularPages "Section" "episodes").ByDate.Reverse }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> <time>{{ .Date.Format "2006-01-02" }}</time></li>
{{ end }}
</ul>
{{ end }}
"""


def convert(show: Path, site: Path) -> int:
    """Write the site; return the number of episodes."""
    layouts = site / "layouts" / "_default"
    layouts.mkdir(parents=True, exist_ok=True)
    (site / "hugo.toml").write_text(CONFIG, encoding="utf-8")
    (layouts / "baseof.html").write_text(BASE, encoding="utf-8")
    (layouts / "single.html").write_text(SINGLE, encoding="utf-8")
    (layouts / "list.html").write_text(LIST, encoding="utf-8")
    content = site / "content" / "episodes"
    content.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted((show / "episodes").glob("*.md")):
        _, front, notes = path.read_text(encoding="utf-8").split("---\n", 2)
        fields = yaml.safe_load(front)
        hugo = {"title": fields["title"], "date": str(fields["published"]),
                "audio": fields["audio"], "length": fields["length"],
                "duration": fields["duration"]}  # fmt: skip
        text = "---\n" + yaml.safe_dump(hugo, allow_unicode=True, sort_keys=False) + "---\n"
        (content / path.name).write_text(text + notes, encoding="utf-8")
        count += 1
    return count


if __name__ == "__main__":
    print(convert(Path(sys.argv[1]), Path(sys.argv[2])))
