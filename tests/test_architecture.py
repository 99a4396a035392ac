"""The shape of the package: the pipeline's folders, one owner per library, data flowing one way."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mediafeed"

# Each library is used by its owner modules only, so swapping or upgrading it touches one
# place. A folder name owns it for every module in the folder.
OWNERS = {
    "click": {"cli"},
    "rich": {"cli", "progress"},
    "mutagen": {"media"},
    "feedgen": {"render.feed", "render.itunes", "render.podcast20"},
    "lxml": {"render.feed"},
    "jinja2": {"render.templating"},
    "markupsafe": {"render.pages", "render.templating"},
    "boto3": {"store"},
    "botocore": {"store"},
    "s3transfer": {"store"},
    "podcastparser": {"migrate"},
    "yaml": {"episodes"},
    "markdown": {"render.notes"},
    "nh3": {"render.notes"},
    "PIL": {"media.artwork", "check", "commands.init"},
    "sqlite3": {"cache"},
    "filelock": {"cache", "store"},
    "psutil": {"store"},
    "license_expression": {"licenses"},
    "faster_whisper": {"speech"},
}
# What the pure stages may lean on besides their own folder: model in, bytes or facts out,
# and the one writer of whole files for what they write.
PURE = {"render", "media"}
PURE_MAY_IMPORT = {"model", "errors", "output", "links", "categories", "licenses", "__version__"}
# Only the orchestrators (and the catalog they read episodes through) ask the cache; the
# stages get plain values from them.
ORCHESTRATORS = "build renditions lastbuild linking fragments catalog check facts commands"
CACHE_USERS = set(ORCHESTRATORS.split())
# Nothing a command runs may be Linux-only (producers work on macOS and Windows too), and
# nothing read from disk is ever executed.
FORBIDDEN = {
    "fcntl": "Linux-only locking",
    "pickle": "unpickling runs code",
    "marshal": "loading code objects runs code",
    "shelve": "unpickling runs code",
}
FORBIDDEN_CALLS = re.compile(r"\bos\.(fork|forkpty|getuid|geteuid|killpg|setsid|_exit)\b|/proc/")
MAX_MODULE_LINES = 400
MAX_PACKAGE_LINES = 13598  # a ceiling, so the package does not grow back


def modules() -> list[str]:
    """Every module, dotted below the package: `cli`, `render.feed`, ..."""
    return sorted(
        ".".join(path.relative_to(PACKAGE).with_suffix("").parts) for path in PACKAGE.rglob("*.py")
    )


def source(module: str) -> str:
    return (PACKAGE / Path(*module.split("."))).with_suffix(".py").read_text(encoding="utf-8")


def imports_of(module: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source(module))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert not node.level, f"{module}: import absolutely, from mediafeed...."
            if node.module == "mediafeed":
                names.update(f"mediafeed.{alias.name}" for alias in node.names)
            else:
                names.add(node.module)
    return names


def ours(module: str) -> set[str]:
    """The modules (or folders) of ours that `module` imports, dotted below the package."""
    return {
        name.removeprefix("mediafeed.")
        for name in imports_of(module)
        if name.startswith("mediafeed.")
    }


def folder(module: str) -> str:
    return module.split(".")[0]


def owned_by(module: str, owners: set[str]) -> bool:
    return module in owners or folder(module) in owners


@pytest.mark.parametrize("module", modules())
def test_third_party_libraries_are_used_by_their_owner_only(module: str) -> None:
    for name in imports_of(module):
        top = name.split(".")[0]
        if top in OWNERS:
            assert owned_by(module, OWNERS[top]), f"{module} imports {top}, owned by {OWNERS[top]}"


@pytest.mark.parametrize("module", ["model", "errors"])
def test_errors_and_model_import_nothing_of_ours(module: str) -> None:
    assert ours(module) == set()


@pytest.mark.parametrize("module", [m for m in modules() if folder(m) in PURE])
def test_render_and_media_import_only_the_model_and_their_own_folder(module: str) -> None:
    for name in ours(module):
        assert folder(name) == folder(module) or name in PURE_MAY_IMPORT, f"{module} imports {name}"


@pytest.mark.parametrize("module", modules())
def test_only_the_orchestrators_ask_the_cache(module: str) -> None:
    if "cache" in ours(module):
        assert owned_by(module, CACHE_USERS), f"{module} imports the cache"


@pytest.mark.parametrize("module", modules())
def test_nothing_imports_the_cli_or_the_commands(module: str) -> None:
    if folder(module) in {"cli", "commands"} or module == "__main__":
        return
    assert not {name for name in ours(module) if name == "cli" or folder(name) == "commands"}


@pytest.mark.parametrize("module", modules())
def test_nothing_linux_only_and_nothing_that_runs_what_it_reads(module: str) -> None:
    for name in imports_of(module):
        assert name.split(".")[0] not in FORBIDDEN, f"{module}: {FORBIDDEN[name.split('.')[0]]}"
    found = FORBIDDEN_CALLS.search(source(module))
    assert found is None, f"{module} uses {found[0] if found else ''}"


@pytest.mark.parametrize("module", modules())
def test_modules_open_with_a_docstring_and_stay_small(module: str) -> None:
    text = source(module)
    if module.endswith("__init__") and not text.strip():
        return
    assert ast.get_docstring(ast.parse(text)), f"{module} needs a one-line docstring"
    assert text.count("\n") <= MAX_MODULE_LINES, f"{module} has over {MAX_MODULE_LINES} lines"


def test_the_package_stays_small() -> None:
    lines = sum(source(module).count("\n") for module in modules())
    assert lines <= MAX_PACKAGE_LINES, f"{lines} lines in mediafeed/"
