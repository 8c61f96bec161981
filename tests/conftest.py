"""Shared test fixtures: one OpenGL context for the session, the golden-image regeneration flag,
and the third-party assets that live beside the checkout (never in it).

Regenerate golden images with one command (it writes ``tests/golden/*.png`` and skips the
comparisons)::

    .venv/bin/python -m pytest tests/test_render_golden.py --regen-golden
    # or: PREVIS_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_render_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_ASSETS = Path(__file__).resolve().parents[1].parent / "shared" / "assets"


def pytest_addoption(parser):
    parser.addoption(
        "--regen-golden",
        action="store_true",
        default=False,
        help="write tests/golden/*.png from the current renderer instead of comparing "
        "(also: PREVIS_REGEN_GOLDEN=1)",
    )


@pytest.fixture(scope="session")
def regen_golden(request) -> bool:
    return (
        bool(request.config.getoption("--regen-golden"))
        or os.environ.get("PREVIS_REGEN_GOLDEN") == "1"
    )


@pytest.fixture(scope="session")
def gl_context():
    """A standalone OpenGL 3.3 context (EGL/llvmpipe here), shared by every GL test.

    Skips (with the reason) only when no context can be made at all; a context that is made but
    renders wrongly is a failure, not a skip.
    """
    from previs.errors import RenderError
    from previs.render.context import create_offscreen_context

    try:
        ctx = create_offscreen_context()
    except RenderError as exc:
        pytest.skip(f"no OpenGL context: {exc}")
    yield ctx
    ctx.release()


@pytest.fixture(autouse=True)
def _gl_context_current(request):
    """The shared context made current for each test that uses it: renderers that other tests
    made (each its own context) leave theirs current, and GL calls go to the current one."""
    if "gl_context" not in request.fixturenames:
        yield
        return
    ctx = request.getfixturevalue("gl_context")
    with ctx:
        yield


@pytest.fixture(scope="session")
def shared_assets() -> Path:
    if not SHARED_ASSETS.is_dir():
        pytest.skip(
            "../shared/assets not found (third-party assets live beside the checkout, never in it)"
        )
    return SHARED_ASSETS
