"""A private X server for the window tests: ``Xvfb -displayfd`` picks a free display number and
writes it back; DISPLAY points at it for the session; the server is killed afterwards."""

from __future__ import annotations

import os
import select
import shutil
import subprocess

import pytest


@pytest.fixture(scope="session")
def xvfb_display():
    exe = shutil.which("Xvfb")
    if exe is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb); the window tests need an X server")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen([exe, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        text = b""
        while not text.endswith(b"\n"):
            ready, _, _ = select.select([read_fd], [], [], 10.0)
            chunk = os.read(read_fd, 64) if ready else b""
            if not chunk:
                raise RuntimeError(f"Xvfb did not report a display (exit status {proc.poll()})")
            text += chunk
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        os.close(read_fd)
    old = os.environ.get("DISPLAY")
    display = f":{int(text.strip())}"
    os.environ["DISPLAY"] = display
    try:
        yield display
    finally:
        if old is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = old
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
