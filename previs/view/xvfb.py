"""A private virtual X display (Xvfb) for running the window without a screen: tests, benchmarks,
render farms. ``Xvfb -displayfd`` picks a free display number and writes it back."""

from __future__ import annotations

import os
import select
import shutil
import subprocess

from previs.errors import PrevisError


def start_xvfb(
    screen: str = "1280x800x24", timeout_s: float = 10.0
) -> tuple[subprocess.Popen, str]:
    """Start Xvfb on a free display; returns (process, ":N"). The caller terminates it."""
    exe = shutil.which("Xvfb")
    if exe is None:
        raise PrevisError("Xvfb is not installed (apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [exe, "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        text = b""
        while not text.endswith(b"\n"):
            ready, _, _ = select.select([read_fd], [], [], timeout_s)
            chunk = os.read(read_fd, 64) if ready else b""
            if not chunk:
                raise PrevisError(f"Xvfb did not report a display (exit status {proc.poll()})")
            text += chunk
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        os.close(read_fd)
    return proc, f":{int(text.strip())}"


def stop_xvfb(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
