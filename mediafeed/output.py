"""Writing files: whole or not at all (a temp file, then a rename), and only when the bytes
change, so an unchanged rebuild touches nothing. The one place the package writes files."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

_NEW = os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)  # a file made new, never one there


def replace_whole(target: str, make: Callable[[str], object], *, exclusive: bool = False) -> None:
    """Make the file whole under a temp name beside `target` (`make(temp)`), then put it
    in place in one step: a reader, or a crash, sees the old file or the new, never half.
    `exclusive`: fail with FileExistsError rather than replace a file."""
    folder, name = os.path.split(target)
    os.makedirs(folder or ".", exist_ok=True)
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
    try:
        make(tmp)
        if exclusive:
            try:
                os.link(tmp, target)  # never replaces a file made meanwhile
            except FileExistsError:
                raise
            except OSError:  # no hard links here (FAT, exFAT, some shares): claim the name
                open(target, "xb").close()
                try:
                    os.replace(tmp, target)
                except BaseException:
                    os.unlink(target)  # the empty file claimed above, never left behind
                    raise
            else:
                os.unlink(tmp)
        else:
            os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename == tmp:
            exc.filename = target  # the error names the user's file, not a name they never see
        raise


def temp_beside(folder: str | os.PathLike[str], prefix: str, suffix: str) -> tuple[int, str]:
    """A new file in `folder`, open for reading and writing, made with the permissions the
    umask gives (tempfile's are 0600 whatever the umask: a web server could not read
    media put in place from one)."""
    while True:
        name = os.path.join(folder, f"{prefix}{secrets.token_hex(4)}{suffix}")
        try:
            return os.open(name, os.O_RDWR | _NEW, 0o666), name
        except FileExistsError:
            continue
        except OSError as exc:  # a folder it cannot write: name it, not the temp file
            exc.filename = os.fspath(folder)
            raise


def write_atomic(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    exclusive: bool = False,
    durable: bool = False,
    private: bool = False,
) -> os.stat_result:
    """Replace the file with `data`, whole or not at all. `durable`: on disk before the
    rename (the producer's own files); `private`: only the owner may read it (secrets),
    else a web server running as another user can."""
    path = os.fspath(path)
    mode = 0o600 if private else 0o666
    replace_whole(path, lambda tmp: _write_new(tmp, data, mode, durable), exclusive=exclusive)
    return os.stat(path)


def write_if_changed(path: str | os.PathLike[str], data: bytes) -> os.stat_result:
    """Leave the file alone when it holds these bytes, else replace it whole. A new file is
    written straight, a third of the calls: the build trusts an output only by its content
    hash, so one half written by a stopped build is made again by the next."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            if stat.st_size == len(data) and handle.read() == data:
                return stat
    except FileNotFoundError:
        return write_new(path, data)
    except OSError:
        pass
    return write_atomic(path, data)


def write_new(path: str, data: bytes) -> os.stat_result:
    """Write a file the caller found missing, and its folder if that is missing too (a
    file made meanwhile is replaced whole)."""
    try:
        return _write_new(path, data)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return _write_new(path, data)
    except FileExistsError:
        return write_atomic(path, data)


def _write_new(path: str, data: bytes, mode: int = 0o666, durable: bool = False) -> os.stat_result:
    with os.fdopen(os.open(path, os.O_WRONLY | _NEW, mode), "wb") as handle:
        handle.write(data)
        handle.flush()
        if durable:
            os.fsync(handle.fileno())
        return os.fstat(handle.fileno())


def link_or_copy(
    source: str,
    wanted: os.stat_result,
    target: str | os.PathLike[str],
    *,
    copied: Callable[[os.stat_result], bool] | None = None,
) -> os.stat_result:
    """The target as a hard link to the source (`wanted`: its stat as the build found it),
    left alone when it already is one, else replaced whole; a copy where links cannot be.
    `copied`: whether a target that is no link is a copy of the source's bytes, as made
    before (on drives without hard links), to be left alone too."""
    target = os.fspath(target)
    try:
        made = os.stat(target)
    except FileNotFoundError:
        with contextlib.suppress(OSError):  # no links here, or made meanwhile
            try:
                os.link(source, target)
            except FileNotFoundError:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.link(source, target)
            return wanted
    else:
        if (made.st_ino, made.st_dev) == (wanted.st_ino, wanted.st_dev):
            return made
        if copied is not None and copied(made):
            return made

    def link_or_copy_to(tmp: str) -> None:
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copy2(source, tmp)

    replace_whole(target, link_or_copy_to)
    return os.stat(target)


def markdown_files(folder: str) -> list[str]:
    """The paths of the Markdown files in `folder` (a show's episode files), by name, but
    hidden ones (macOS writes `._` files beside others on FAT and network drives); none if
    it is not there. Text, not Paths: ten thousand Paths cost more than their records."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(
                e.name
                for e in entries
                if e.name.endswith(".md") and not e.name.startswith(".") and e.is_file()
            )
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [os.path.join(folder, name) for name in names]


def files_under(root: Path, *, prefix: str = "") -> set[str]:
    """Every file below `root` by its key (a relative path with forward slashes), after
    `prefix/` if given."""
    found: set[str] = set()
    base = str(root)
    for folder, _subfolders, files in os.walk(base):
        below = folder[len(base) + 1 :].replace(os.sep, "/")
        below = "/".join(part for part in (prefix, below) if part)
        found.update(f"{below}/{name}" if below else name for name in files)
    return found


def remove_files(root: Path, keys: Iterable[str]) -> None:
    """Delete these files below `root`, then the folders that left empty."""
    folders: set[str] = set()
    for key in keys:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(root, key))
        parent = os.path.dirname(key)
        while parent:
            folders.add(parent)
            parent = os.path.dirname(parent)
    for folder in sorted(folders, key=lambda name: name.count("/"), reverse=True):
        with contextlib.suppress(OSError):  # still holds files
            os.rmdir(os.path.join(root, folder))
