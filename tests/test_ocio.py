"""Output colour through OpenColorIO (previs.render.ocio, PostPass.display): OCIO's GPU shader
and LUTs against the sRGB curve previs uses where the transforms coincide, and against the
ST 2084 (PQ) formula for known luminances; names and aliases; filmic stays the default."""

from __future__ import annotations

import numpy as np
import pytest

from previs.errors import PrevisError
from previs.render.ocio import display_shader, resolve
from previs.render.passes.post import PostPass


def srgb_encode(c):
    """previs's sRGB encoding (shaders/display.glsl linear_to_srgb), in numpy."""
    c = np.clip(np.asarray(c, np.float64), 0.0, 1.0)
    return np.where(c < 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)


def pq_encode(nits):
    """SMPTE ST 2084 inverse EOTF, by hand: the signal (0..1) for absolute luminance."""
    m1, m2, c1, c2, c3 = (
        2610 / 16384,
        2523 / 4096 * 128,
        3424 / 4096,
        2413 / 4096 * 32,
        2392 / 4096 * 32,
    )
    y = (np.asarray(nits, np.float64) / 10000.0) ** m1
    return ((c1 + c2 * y) / (1 + c3 * y)) ** m2


def through_gpu(ctx, shader, linear_rgb: np.ndarray) -> np.ndarray:
    """A row of linear values through PostPass.display into an RGBA8 target: the code values."""
    n = len(linear_rgb)
    src = ctx.texture(
        (n, 1),
        4,
        np.concatenate([linear_rgb, np.ones((n, 1))], 1).astype("f4").tobytes(),
        dtype="f4",
    )
    targets = {"out": ctx.texture((n, 1), 4)}
    post = PostPass(ctx)
    try:
        post.display(shader, src, targets, "out", (n, 1))
        raw = targets["out_fbo"].read(components=3, alignment=1)
    finally:
        post.release()
        src.release()
        for obj in targets.values():
            obj.release()
    return np.frombuffer(raw, np.uint8).reshape(n, 3).astype(int)


def test_names_and_aliases():
    assert resolve("filmic") is None and display_shader("filmic") is None
    assert resolve("srgb")[0] == "sRGB - Display"
    assert resolve("rec2100-pq")[0] == "Rec.2100-PQ - Display"
    assert resolve("sRGB - Display", "Un-tone-mapped") == ("sRGB - Display", "Un-tone-mapped")
    with pytest.raises(PrevisError, match="no display 'nope'.*sRGB - Display"):
        resolve("nope")
    with pytest.raises(PrevisError, match="no view 'nope'"):
        resolve("srgb", "nope")


def test_ocio_srgb_without_a_tone_curve_is_previs_srgb_encoding(gl_context):
    # Linear Rec.709 -> sRGB display, un-tone-mapped: the same primaries and white, so only the
    # sRGB curve is left, which previs applies itself in display.glsl.
    shader = display_shader("sRGB - Display", "Un-tone-mapped")
    ramp = np.linspace(0.0, 1.0, 1024)
    got = through_gpu(gl_context, shader, np.repeat(ramp[:, None], 3, 1))
    want = srgb_encode(ramp) * 255.0
    assert np.abs(got - want[:, None]).max() <= 1.0  # within one code value (rounding)
    # every 8-bit code value's own linear value comes back as that code value
    codes = np.arange(256) / 255.0
    lin = np.where(codes <= 0.04045, codes / 12.92, ((codes + 0.055) / 1.055) ** 2.4)
    got = through_gpu(gl_context, shader, np.stack([lin, lin[::-1], lin], 1))
    assert (
        np.abs(got - np.stack([np.arange(256), np.arange(256)[::-1], np.arange(256)], 1)).max() <= 1
    )


def test_rec2100_pq_gives_st2084_code_values(gl_context):
    # OCIO's ACES configs put scene-linear 1.0 at 100 nits on an absolute display; neutral greys
    # stay neutral through the Rec.709 -> Rec.2020 matrix.
    nits = np.array([0.0, 1.0, 10.0, 48.0, 100.0, 203.0, 1000.0, 4000.0])
    hand = pq_encode(nits)
    assert hand[4] == pytest.approx(0.50808, abs=1e-4) and hand[6] == pytest.approx(
        0.75183, abs=1e-4
    )
    got = through_gpu(
        gl_context,
        display_shader("rec2100-pq", "Un-tone-mapped"),
        np.repeat((nits / 100.0)[:, None], 3, 1),
    )
    assert np.abs(got - np.round(hand * 255.0)[:, None]).max() <= 1


def test_the_aces_views_on_the_gpu_match_ocios_cpu(gl_context):
    # the default view of each alias: OCIO's ACES output transform, its LUTs on units 1..
    import PyOpenColorIO as ocio

    from previs.render.ocio import _config, working_space

    rng = np.random.default_rng(5)
    colours = np.concatenate(
        [np.array([[0.0] * 3, [0.18] * 3, [1.0] * 3, [16.0] * 3]), rng.uniform(0.0, 4.0, (60, 3))]
    )
    for alias in ("srgb", "rec709", "rec2100-pq"):
        shader = display_shader(alias)
        got = through_gpu(gl_context, shader, colours)
        cfg = _config(shader.config)
        cpu = cfg.getProcessor(
            working_space(cfg), shader.display, shader.view, ocio.TRANSFORM_DIR_FORWARD
        ).getDefaultCPUProcessor()
        want = np.array([cpu.applyRGB([float(v) for v in c]) for c in colours])
        assert np.abs(got - np.clip(want, 0, 1) * 255.0).max() <= 2.0, alias
        assert (np.diff(got[:4, 0]) > 0).all() and np.ptp(got[:4], axis=1).max() <= 1  # greys


def test_filmic_is_the_default_output():
    from previs.core.scene import Output

    assert Output().display == "filmic" and display_shader(Output().display) is None
