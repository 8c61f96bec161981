"""A non-editable install works away from the source tree: the wheel carries the shaders and the
preset data, and renders the example from a folder that is not the checkout.

The wheel is built from a copy of the sources (so the checkout gains no build/ folder), installed
with ``pip install --target`` into a temporary folder, and imported from there by the dev venv's
interpreter (which supplies the dependencies). ``previs.__file__`` must resolve to that folder, not
to the editable checkout.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenes" / "led_stage.yaml"


def _can_build_without_isolation() -> bool:
    """setuptools with a bdist_wheel in this interpreter: build offline with no index at all."""
    try:
        import setuptools
    except ImportError:
        return False
    major = int(setuptools.__version__.split(".")[0])
    return major >= 71 or importlib.util.find_spec("wheel") is not None


def _pip(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pip", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("pyproject.toml", "README.md", "LICENSE", "setup.cfg", "MANIFEST.in"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, src / name)
    for name in ("previs", "shaders"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    dist = tmp / "dist"
    if _can_build_without_isolation():
        res = _pip(
            "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", dist, src, cwd=tmp
        )
    else:  # the build backend comes from the package index (pyproject's build-system.requires)
        res = _pip("wheel", "--no-deps", "-w", dist, src, cwd=tmp)
        if res.returncode != 0 and "No matching distribution found for" in res.stdout + res.stderr:
            pytest.skip(
                "cannot fetch the build backend (setuptools, wheel) to build the wheel: offline?"
            )
    assert res.returncode == 0, f"pip wheel failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    (wheel,) = dist.glob("previs-*.whl")
    site = tmp / "site"
    res = _pip("install", "--no-deps", "--no-index", "--target", site, wheel, cwd=tmp)
    assert res.returncode == 0, f"pip install failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    work = tmp / "elsewhere"
    work.mkdir()
    return wheel, site, work


def _run(code_or_args, site: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = str(site)
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else list(code_or_args)
    # -P: do not put the current folder (or a script's folder) on sys.path.
    return subprocess.run(
        [sys.executable, "-P", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )


def shader_text(site: Path) -> str:
    res = _run(
        "from previs.render.context import shader_source; print(shader_source('deferred.frag'))",
        site,
        site.parent,
    )
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_wheel_carries_shaders_and_presets(installed):
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    shaders = {
        n
        for n in names
        if n.startswith("previs/shaders/") and n.rsplit(".", 1)[-1] in ("frag", "vert", "glsl")
    }
    # Every GLSL source in the checkout is in the wheel, under previs/shaders/.
    expected = {
        f"previs/shaders/{p.name}"
        for p in (ROOT / "shaders").iterdir()
        if p.suffix in (".frag", ".vert", ".glsl")
    }
    assert expected, "no shaders in the checkout?"
    assert shaders == expected
    assert {
        "previs/shaders/scene.vert",
        "previs/shaders/deferred.frag",
        "previs/shaders/lighting.glsl",
    } <= shaders
    assert {"previs/data/cameras.yaml", "previs/data/lenses.yaml"} <= names
    assert not any(n.startswith(("tests/", "scenes/", "shaders/")) for n in names)


def test_installed_package_imports_from_the_install_not_the_checkout(installed):
    _, site, work = installed
    code = (
        "import json, previs, previs.core.presets as p\n"
        "from previs.render.context import shader_source\n"
        "from importlib import resources\n"
        "print(json.dumps({'file': previs.__file__,"
        " 'shaders': str(resources.files('previs.shaders')),"
        " 'frag': len(shader_source('deferred.frag')),"
        " 'alexa': p.get_body('alexa-35').name}))\n"
    )
    res = _run(code, site, work)
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout.strip().splitlines()[-1])
    assert Path(info["file"]).resolve().is_relative_to(site.resolve()), info["file"]
    assert Path(info["shaders"]).resolve().is_relative_to(site.resolve()), info["shaders"]
    assert info["frag"] > 200
    assert "#include" not in shader_text(site)
    assert info["alexa"] == "ARRI ALEXA 35"


def test_installed_package_renders_the_example(installed, gl_context):
    _, site, work = installed
    out = work / "boards"
    res = _run(
        [
            "-m",
            "previs.cli",
            "render",
            str(EXAMPLE),
            "--shot",
            "1A",
            "--width",
            "200",
            "-o",
            str(out),
        ],
        site,
        work,
    )
    assert res.returncode == 0, f"render from the installed package failed:\n{res.stderr[-3000:]}"
    (png,) = out.glob("*.png")
    img = Image.open(png)
    assert img.size[0] == 200
    a = np.asarray(img.convert("RGB")).astype(int)
    image_h = round(200 / (27.99 / 19.22))  # ALEXA 35 open gate
    assert img.size[1] > image_h
    assert a[:image_h].std() > 25, "the render from the installed package is flat"
    assert not (work / "previs").exists() and not any(work.glob("*.py"))
