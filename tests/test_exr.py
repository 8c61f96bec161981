"""EXR for compositing (previs.export.exr): read back with the OpenEXR package, the colour is
the renderer's linear buffer at half precision, Z its depth exactly, and the header carries the
camera in the OpenEXR standard attributes Nuke shows as exr/*."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from previs import api
from previs.export.exr import EMPTY_DEPTH_M, write_exr

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def linear_frame(gl_context):
    scene = api.load_scene(ROOT / "scenes" / "led_stage.yaml")
    state = api.evaluate(scene, scene.shots[0], 0)
    with api.StageRenderer(scene, width=192) as r:
        rgb, depth = r.render_linear(state)
    return scene, state, rgb, depth


def test_exr_reads_back_as_the_linear_buffer_and_depth(linear_frame, tmp_path):
    import OpenEXR

    scene, state, rgb, depth = linear_frame
    assert rgb.dtype == np.float32 and rgb.shape == (*depth.shape, 3)
    assert np.isfinite(depth).any() and rgb.max() > 0.05  # a real picture, not black
    path = write_exr(tmp_path / "f.exr", rgb, depth, state, scene.name)
    assert not [p for p in tmp_path.iterdir() if p.name != "f.exr"]  # no temporary left
    f = OpenEXR.File(str(path))
    ch = f.channels()
    got = ch["RGB"].pixels if "RGB" in ch else np.stack([ch[c].pixels for c in "RGB"], -1)
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, rgb.astype(np.float16))  # half precision, nothing else
    z = ch["Z"].pixels
    assert z.dtype == np.float32
    finite = np.isfinite(depth)
    np.testing.assert_array_equal(z[finite], depth[finite])
    assert (z[~finite] == np.float32(EMPTY_DEPTH_M)).all()


def test_exr_header_has_the_camera(linear_frame, tmp_path):
    import OpenEXR

    scene, state, rgb, depth = linear_frame
    h = OpenEXR.File(str(write_exr(tmp_path / "f.exr", rgb, depth, state, scene.name))).header()
    assert h["nominalFocalLength"] == pytest.approx(state.focal_length_mm)
    assert h["focus"] == pytest.approx(state.focus_m) and h["tStop"] == pytest.approx(state.t_stop)
    assert h["expTime"] == pytest.approx(state.shutter_angle_deg / 360 / float(state.frame_rate))
    assert h["isoSpeed"] == pytest.approx(state.iso) and h["shutterAngle"] == pytest.approx(
        state.shutter_angle_deg
    )
    assert float(h["framesPerSecond"]) == pytest.approx(float(state.frame_rate))
    assert h["previs/shot"] == state.shot_id and h["previs/frame"] == state.frame
    assert h["previs/timecode"] == state.timecode
    assert h["previs/exposureScale"] == pytest.approx(state.exposure_scale)
    # worldToCamera (row vectors, left-handed, +z ahead): a point 5 m in front of the lens
    w2c = np.asarray(h["worldToCamera"], np.float64)
    ahead = state.world_from_camera @ np.array([0.3, -0.2, -5.0, 1.0])
    np.testing.assert_allclose(ahead @ w2c, [0.3, -0.2, 5.0, 1.0], atol=1e-4)
    # worldToNDC: the same point lands where the renderer draws it ((0, 0) top left)
    p = ahead @ np.asarray(h["worldToNDC"], np.float64)
    x_ndc, y_ndc = p[0] / p[3], p[1] / p[3]
    H, W = depth.shape
    tan_y = np.tan(state.yfov_rad / 2)
    aspect = W / H
    assert x_ndc == pytest.approx(0.5 + 0.3 / 5.0 / (tan_y * aspect) / 2, abs=1e-4)
    assert y_ndc == pytest.approx(0.5 + 0.2 / 5.0 / tan_y / 2, abs=1e-4)


def test_render_exr_from_the_cli(tmp_path):
    from previs.cli import main

    out = tmp_path / "sb"
    assert (
        main(
            [
                "render",
                str(ROOT / "scenes" / "led_stage.yaml"),
                "--shot",
                "1A",
                "--frames",
                "first",
                "--width",
                "96",
                "--exr",
                "--display",
                "srgb",
                "-q",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    assert sorted(p.suffix for p in out.iterdir()) == [".exr", ".png"]
