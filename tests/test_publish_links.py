"""Links that must never break: the show's folder on the embedded store, and the pages of
episodes whose files went away."""

from __future__ import annotations

import re
import shutil
import tomllib
import uuid
from pathlib import Path

import podcastparser
import pytest

from mediafeed.store.local import LocalStore
from tests.mediafactory import mp3_cbr
from tests.test_pipeline import assert_clean_failure, fetch, ok, run

pytestmark = pytest.mark.usefixtures("embedded_store")


def new_show(tmp_path: Path, name: str, title: str) -> Path:
    """A show as `init` makes it, with one episode."""
    root = tmp_path / name
    ok(root, "init", str(root), "--title", title, "--language", "nl")
    media = mp3_cbr(tmp_path / f"{name}-source", "opname.mp3")
    ok(root, "add", str(media), "--title", "Eerste", "--date", "2021-11-02T09:00:00+01:00")
    return root


def feed_url(output: str) -> str:
    found = re.search(r"^Feed: (\S+)$", output, re.MULTILINE)
    assert found, output
    return found.group(1)


def channel(url: str) -> dict[str, object]:
    parsed: dict[str, object] = podcastparser.parse(url, fetch(url))
    return parsed


def retitle(show: Path, title: str) -> None:
    config = show / "mediafeed.toml"
    text = re.sub(r'(?m)^title = ".*"$', f'title = "{title}"', config.read_text("utf-8"))
    config.write_text(text, encoding="utf-8")


def test_init_fixes_the_shows_folder_so_a_new_title_keeps_the_feed_url(tmp_path: Path) -> None:
    show = new_show(tmp_path, "show", "Vaste map")
    first = feed_url(ok(show, "publish", "--force").output)
    retitle(show, "Een nieuwe naam")
    second = feed_url(ok(show, "publish", "--force").output)
    assert second == first
    assert channel(first)["title"] == "Een nieuwe naam"


def test_two_shows_with_the_same_title_publish_to_their_own_folders(tmp_path: Path) -> None:
    one, two = new_show(tmp_path, "one", "Zelfde titel"), new_show(tmp_path, "two", "Zelfde titel")
    urls = [feed_url(ok(show, "publish", "--force").output) for show in (one, two)]
    guids = [tomllib.loads((s / "mediafeed.toml").read_text("utf-8"))["guid"] for s in (one, two)]
    assert urls[0] != urls[1]
    for url, guid in zip(urls, guids, strict=True):
        assert fetch(url).read().count(f"<podcast:guid>{guid}</podcast:guid>".encode()) == 1


def test_a_show_never_writes_into_a_folder_another_show_holds(
    show_dir: Path, tmp_path: Path
) -> None:
    """Two shows from before `local_prefix`, with one title: the second is refused rather
    than replace the first's feed."""
    other = tmp_path / "other"
    shutil.copytree(show_dir, other)
    config = other / "mediafeed.toml"
    config.write_text(
        re.sub(r'(?m)^guid = ".*"$', f'guid = "{uuid.uuid4()}"', config.read_text("utf-8")),
        encoding="utf-8",
    )
    for show in (show_dir, other):
        ok(show, "add", str(mp3_cbr(tmp_path / show.name, "a.mp3")), "--title", show.name)
    url = feed_url(ok(show_dir, "publish", "--force").output)
    failed = run(other, "publish", "--force")
    assert_clean_failure(failed, "podcast/een-tegen-eenzaamheid", "local_prefix = ")
    assert [ep["title"] for ep in channel(url)["episodes"]] == ["show"]  # type: ignore[index]


def test_a_show_without_the_key_keeps_its_title_folder_and_pins_it(
    show_dir: Path, tmp_path: Path, embedded_store: LocalStore
) -> None:
    """A show made before `init` wrote `local_prefix` (the fixture's config has none):
    its links were sent with the folder its title gave, and they keep working."""
    ok(show_dir, "add", str(mp3_cbr(tmp_path, "a.mp3")), "--title", "Eerste")
    before = (show_dir / "mediafeed.toml").read_text("utf-8")
    result = ok(show_dir, "publish", "--force")
    url = feed_url(result.output)
    assert url == f"{embedded_store.public_url('een-tegen-eenzaamheid')}/feed.xml"
    assert "local_prefix" in result.output
    after = tomllib.loads((show_dir / "mediafeed.toml").read_text("utf-8"))
    assert after == {**tomllib.loads(before), "local_prefix": "een-tegen-eenzaamheid"}
    retitle(show_dir, "Een andere titel")
    assert feed_url(ok(show_dir, "publish", "--force").output) == url


def test_a_deleted_episode_file_leaves_a_notice_page_not_a_broken_link(
    show_dir: Path, tmp_path: Path
) -> None:
    ok(show_dir, "add", str(mp3_cbr(tmp_path, "a.mp3")), "--title", "Weg", "--slug", "weg")
    url = feed_url(ok(show_dir, "publish", "--force").output)
    page = url.removesuffix("feed.xml") + "episodes/weg/index.html"
    assert "Niet meer beschikbaar" not in fetch(page).read().decode()
    (show_dir / "episodes" / "weg.md").unlink()
    output = ok(show_dir, "publish", "--force", "--prune").output
    assert "episodes/weg.md is gone" in output
    assert "Niet meer beschikbaar" in fetch(page).read().decode()
    assert channel(url)["episodes"] == []
