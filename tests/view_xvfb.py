"""A private X server for the window tests (previs.view.xvfb): DISPLAY points at it for the
session; the server is stopped afterwards."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture(scope="session")
def xvfb_display():
    from previs.view.xvfb import start_xvfb, stop_xvfb

    if shutil.which("Xvfb") is None:
        pytest.skip(
            "Xvfb is not installed (apt-get install xvfb); the window tests need an X server"
        )
    proc, display = start_xvfb()
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    try:
        yield display
    finally:
        if old is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = old
        stop_xvfb(proc)
