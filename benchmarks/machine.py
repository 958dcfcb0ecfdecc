"""What every benchmark reports about the machine it ran on."""

from __future__ import annotations

import platform


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (platform's answer elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def measured_run(argv: list[str], cwd: str | None = None, timeout: float | None = None) -> tuple[float, float]:
    """Run ``argv`` to the end; its wall seconds and peak RSS in MB.

    The peak RSS is ``os.wait4``'s ``ru_maxrss``: the largest of the process and of the
    child processes it started and waited for. Exits with the process's stderr when it fails.
    """
    import os
    import subprocess
    import sys
    import tempfile
    import time

    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if timeout is not None and time.perf_counter() - started > timeout:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:  # the process's log is shown only when it failed
            err.seek(0)
            sys.exit(f"failed: {' '.join(argv)}\n{err.read()[-4000:].decode('utf-8', 'replace')}")
    return seconds, usage.ru_maxrss / 1024
