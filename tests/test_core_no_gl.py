"""previs.core and previs.io need no OpenGL: they import, load the example scene and evaluate its
shots in a process where moderngl and glfw cannot be imported, and no file under them imports
either (a headless tool, a validator or a web service can use them without a GPU stack)."""

from __future__ import annotations

import ast
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenes" / "led_stage.yaml"
GL_MODULES = ("moderngl", "glfw", "glcontext", "OpenGL")

# Blocks the GL modules for the whole interpreter before anything else runs.
BLOCKER = textwrap.dedent("""\
    import sys
    for name in {mods!r}:
        sys.modules[name] = None  # `import name` now raises ImportError
""").format(mods=GL_MODULES)


def test_core_and_io_work_without_moderngl_or_glfw(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    code = textwrap.dedent(f"""\
        import json, sys
        for name in {GL_MODULES!r}:
            try:
                __import__(name)
            except ImportError:
                pass
            else:
                raise SystemExit(name + " is importable: the blocker did not work")
        import previs.core, previs.io
        from previs.core import frame, optics, presets, stage, transforms
        from previs.io import load_scene
        from previs.io.meshes import load_asset, primitive_asset
        scene = load_scene({str(EXAMPLE)!r})
        states = [frame.evaluate(scene, s) for s in scene.shots]
        st = frame.evaluate(scene, "1A")
        mesh = stage.wall_mesh(scene.stage)
        box = primitive_asset("box", size_m=(1, 2, 3))
        assert not [m for m in sys.modules if m.split(".")[0] in {GL_MODULES!r} and sys.modules[m] is not None]
        print(json.dumps(dict(n=len(states), focal=st.focal_length_mm, size=st.image_size(1920),
                              hfov=st.hfov_deg, wall_vertices=len(mesh.positions),
                              box_triangles=box.triangle_count, body=presets.get_body("alexa-35").name)))
    """)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])),
    }
    res = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["n"] == 11
    assert out["focal"] == 25.0
    # ALEXA 35 open gate, 27.99 x 19.22 mm: 1920 x round(1920 / 1.4563) = 1318.
    assert out["size"] == [1920, 1318]
    # HFOV of 25 mm on 27.99 mm: 2 atan(27.99 / 50) = 58.48 deg.
    assert abs(out["hfov"] - math.degrees(2 * math.atan(27.99 / 50))) < 1e-6
    assert abs(out["hfov"] - 58.478) < 0.01
    assert out["wall_vertices"] > 100 and out["box_triangles"] == 12
    assert out["body"] == "ARRI ALEXA 35"


def test_the_blocker_really_blocks(tmp_path):
    """The check above would pass vacuously if the blocker did nothing: prove that under it the
    renderer cannot make a GL context (previs.render imports moderngl only when it needs it)."""
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    code = "from previs.render.context import create_offscreen_context; create_offscreen_context()"
    res = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode != 0 and "moderngl" in res.stderr, res.stderr[-2000:]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
            if node.module.startswith("previs.render"):
                found.add("previs.render")
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", ""))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(str(node.args[0].value).split(".")[0])
    return found


def test_no_file_under_core_or_io_imports_gl():
    files = sorted((ROOT / "previs" / "core").rglob("*.py")) + sorted(
        (ROOT / "previs" / "io").rglob("*.py")
    )
    assert len(files) >= 8
    offenders = {}
    for f in files:
        bad = _imported_modules(f) & (set(GL_MODULES) | {"previs.render"})
        if bad:
            offenders[str(f.relative_to(ROOT))] = sorted(bad)
    assert not offenders, f"GL imports under previs/core or previs/io: {offenders}"


def test_the_static_check_sees_imports():
    """The AST walk finds the import forms the check relies on (else it could never fail)."""
    import tempfile

    src = "import moderngl\nfrom glfw import init\ndef f():\n    import OpenGL.GL\n    from previs.render import Renderer\n"
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(src)
    try:
        found = _imported_modules(Path(fh.name))
    finally:
        os.unlink(fh.name)
    assert {"moderngl", "glfw", "OpenGL", "previs.render"} <= found
