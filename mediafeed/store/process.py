"""The embedded store's server process: started detached from the terminal, known again by
its pid, start time and command line (a reused pid is never signalled), stopped portably."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from mediafeed.errors import StoreError

if TYPE_CHECKING:
    import psutil

STOP_TIMEOUT = 15.0
# How far the start time psutil reports may drift from the recorded one (clock ticks,
# boot-time rounding) and still be the same process; a reused pid starts far later.
START_TOLERANCE = 1.0
# Servers started by this process, kept so they are reaped (no zombies) and waited on.
CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def spawn_detached(args: list[str], log: IO[bytes], cwd: Path) -> subprocess.Popen[bytes]:
    """Start a server that a Ctrl+C in the terminal that started it does not stop."""
    return subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=cwd,
        # A process group of its own on Windows (the flag exists only there), a session of
        # its own elsewhere.
        creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
        start_new_session=os.name != "nt",
    )


def recorded_server(record: dict[str, Any], state_dir: Path) -> psutil.Process | None:
    """The recorded process if it is alive and still our server, not a reused pid: started
    when the record says (if it says) and a `weed mini` serving this folder's data."""
    import psutil

    if not record:
        return None
    try:
        pid = int(record["pid"])
        child = CHILDREN.get(pid)
        if child is not None and child.poll() is not None:
            CHILDREN.pop(pid, None)  # ours, exited and now reaped
            return None
        process = psutil.Process(pid)
        started = record.get("create_time")
        if started is not None and abs(process.create_time() - float(started)) > START_TOLERANCE:
            return None
        return process if is_our_weed(process, state_dir / "data") else None
    except (psutil.Error, TypeError, ValueError, OverflowError):
        return None  # gone, not ours to look at, or a record that names no pid


def is_our_weed(process: psutil.Process, data_dir: Path) -> bool:
    import psutil

    try:
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        args = process.cmdline()
    except psutil.Error:
        return False
    if not args or Path(args[0]).name.lower() not in ("weed", "weed.exe") or "mini" not in args:
        return False
    for arg in args:
        name, _, value = arg.partition("=")
        if name in ("-dir", "--dir") and value:
            try:
                return os.path.samefile(value, data_dir)
            except OSError:
                return False
    return False


def end(process: psutil.Process, *, grace: float) -> None:
    """Stop a server and any children it has: ask, wait up to `grace` s, then kill."""
    import psutil

    try:
        family = [process, *process.children(recursive=True)]
    except psutil.Error:
        family = [process]  # gone already, or its children not ours to see
    alive = family
    if grace > 0:
        for member in family:
            _signal(member, member.terminate)
        alive = _wait_gone(family, grace)
    for member in alive:
        _signal(member, member.kill)
    if _wait_gone(alive, STOP_TIMEOUT):
        raise StoreError(f"the local store (pid {process.pid}) did not stop")


def _signal(process: psutil.Process, how: Callable[[], None]) -> None:
    import psutil

    try:
        how()  # psutil checks that the pid still names the same process before it signals
    except psutil.NoSuchProcess:
        pass
    except psutil.AccessDenied as exc:
        raise StoreError(f"not allowed to stop the local store (pid {process.pid})") from exc


def _wait_gone(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Those of `processes` still running after up to `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [process for process in processes if _running(process)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


def _running(process: psutil.Process) -> bool:
    import psutil

    child = CHILDREN.get(process.pid)
    if child is not None:
        # Ours and not yet reaped, so the pid is still this process: poll, which reaps it
        # once it has exited, is all there is to ask.
        if child.poll() is None:
            return True
        CHILDREN.pop(process.pid, None)
        return False
    try:
        # An exited process that is not our child may linger as a zombie until its parent
        # reaps it; it is gone all the same.
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True
