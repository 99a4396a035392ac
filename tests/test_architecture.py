"""The shape of the package: one owner per third-party library, data flowing one way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mediafeed"

# Each library is used by its owner modules only, so swapping or upgrading it touches one place.
OWNERS = {
    "click": {"cli"},
    "mutagen": {"media", "tags"},
    "feedgen": {"feed", "itunes", "podcast20"},
    "jinja2": {"templating"},
    "markupsafe": {"pages"},
    "boto3": {"publish", "transfer"},
    "botocore": {"publish", "transfer"},
    "s3transfer": {"publish", "transfer"},
    "yaml": {"episodes"},
    "markdown": {"notes"},
    "nh3": {"notes"},
    "rich": {"progress"},
    "podcastparser": {"importer"},
    "PIL": {"scaffold", "check", "artwork"},
}
# Adapters between the model and one library each: none of them leans on another.
ADAPTERS = {"config", "episodes", "media", "tags", "feed", "pages", "publish"}
BOTTOM = {"errors", "model"}


def imports_of(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from .errors import X
                names.add(f"mediafeed.{node.module}" if node.module else "mediafeed")
            elif node.module:
                names.add(node.module)
    return names


def modules() -> list[str]:
    return sorted(path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__")


def ours(module: str) -> set[str]:
    return {name.split(".")[1] for name in imports_of(module)
            if name.startswith("mediafeed.")}  # fmt: skip


@pytest.mark.parametrize("module", modules())
def test_third_party_libraries_are_used_by_their_owner_only(module: str) -> None:
    for name in imports_of(module):
        top = name.split(".")[0]
        if top in OWNERS:
            assert module in OWNERS[top], f"{module} imports {top}, owned by {OWNERS[top]}"


@pytest.mark.parametrize("module", sorted(BOTTOM))
def test_errors_and_model_import_nothing_of_ours(module: str) -> None:
    assert ours(module) <= BOTTOM - {module} - ({"model"} if module == "errors" else set())


@pytest.mark.parametrize("module", sorted(ADAPTERS))
def test_adapters_do_not_import_each_other(module: str) -> None:
    assert not ours(module) & (ADAPTERS - {module}), f"{module} imports {ours(module) & ADAPTERS}"


@pytest.mark.parametrize("module", modules())
def test_nothing_imports_the_cli(module: str) -> None:
    if module not in {"cli", "__main__"}:
        assert "cli" not in ours(module)


@pytest.mark.parametrize("module", modules())
def test_modules_open_with_a_docstring(module: str) -> None:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{module}.py needs a one-line docstring saying what it does"
