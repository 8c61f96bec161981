"""Animatic export: PNG frame sequences (resumable), H.264 MP4s at exact rates, burn-in.

Every MP4 is read back the way a user's player would get it: decoded by ffmpeg (the binary
imageio-ffmpeg ships) to RGB, and its boxes parsed for the exact stored rate.
"""

from __future__ import annotations

import argparse
import dataclasses
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from previs.errors import ExportError, PrevisError
from previs.export import animatic as A

imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")

ROOT = Path(__file__).resolve().parents[1]
NTSC24 = Fraction(24000, 1001)


def decode(path) -> tuple[dict, np.ndarray]:
    """(metadata, frames as an (N, H, W, 3) uint8 array), decoded by ffmpeg."""
    gen = imageio_ffmpeg.read_frames(str(path))
    meta = next(gen)
    w, h = meta["size"]
    frames = [np.frombuffer(b, np.uint8).reshape(h, w, 3) for b in gen]
    return meta, np.stack(frames) if frames else np.zeros((0, h, w, 3), np.uint8)


def grey_frames(n, w=160, h=90):
    return [np.full((h, w, 3), (8 * k) % 256, np.uint8) for k in range(n)]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------- encode_mp4
def test_mp4_has_the_frames_size_rate_and_content_sent(tmp_path):
    out = tmp_path / "grey.mp4"
    assert A.encode_mp4(grey_frames(32), out, 24) == 32
    info = A.mp4_info(out)
    assert (info.frames, info.width, info.height, info.fps, info.codec) == (
        32,
        160,
        90,
        Fraction(24),
        "avc1",
    )
    meta, frames = decode(out)
    assert frames.shape == (32, 90, 160, 3)
    assert (
        meta["codec"] == "h264"
        and meta["pix_fmt"].startswith("yuv420p")
        and "bt709" in meta["pix_fmt"]
    )
    means = frames.reshape(32, -1).mean(axis=1)
    np.testing.assert_allclose(means, 8 * np.arange(32), atol=3)
    assert leftovers(tmp_path) == ["grey.mp4"]


def test_colours_survive_the_yuv_round_trip(tmp_path):
    bars = np.zeros((90, 160, 3), np.uint8)
    cols = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (230, 200, 40)]
    for i, c in enumerate(cols):
        bars[:, 40 * i : 40 * i + 40] = c
    A.encode_mp4([bars] * 3, tmp_path / "bars.mp4", 25)
    _, frames = decode(tmp_path / "bars.mp4")
    for i, c in enumerate(cols):
        patch = frames[1, 20:70, 40 * i + 8 : 40 * i + 32].reshape(-1, 3).mean(axis=0)
        np.testing.assert_allclose(patch, c, atol=4)


def test_odd_sizes_are_padded_to_even_with_black(tmp_path):
    out = tmp_path / "odd.mp4"
    A.encode_mp4([np.full((91, 161, 3), 200, np.uint8)] * 4, out, 25)
    info = A.mp4_info(out)
    assert (info.width, info.height, info.frames) == (162, 92, 4)
    _, frames = decode(out)
    assert abs(frames[0, :88, :158].mean() - 200) < 3  # the picture, away from the chroma edge
    assert frames[0, :, 161].mean() < 20 and frames[0, 91, :].mean() < 20  # the padding


@pytest.mark.parametrize(
    "rate, shown", [(NTSC24, 23.976), (Fraction(30000, 1001), 29.97), (25, 25.0)]
)
def test_ntsc_rates_are_stored_exactly(tmp_path, rate, shown):
    out = tmp_path / "rate.mp4"
    A.encode_mp4(grey_frames(10), out, rate)
    assert A.mp4_info(out).fps == Fraction(rate)  # e.g. 1001 ticks of a 24000 Hz clock per frame
    meta, frames = decode(out)
    assert meta["fps"] == pytest.approx(shown, abs=0.006) and len(frames) == 10


def test_paths_and_arrays_encode_alike(tmp_path):
    seq = A.FrameSequence(tmp_path / "frames", "S", 6, (160, 90))
    seq.prepare()
    for k, img in enumerate(grey_frames(6)):
        seq.write(k, img)
    A.encode_mp4(seq.paths(), tmp_path / "p.mp4", 24)
    _, frames = decode(tmp_path / "p.mp4")
    np.testing.assert_allclose(frames.reshape(6, -1).mean(axis=1), 8 * np.arange(6), atol=3)


# ---------------------------------------------------------------- failures are atomic
def test_ffmpeg_failure_leaves_no_mp4_and_no_temp_and_keeps_the_old_file(tmp_path):
    out = tmp_path / "shot.mp4"
    out.write_bytes(b"the previous good movie")
    with pytest.raises(ExportError) as err:
        A.encode_mp4(grey_frames(5), out, 24, preset="no-such-preset")
    msg = str(err.value)
    assert (
        "\n" not in msg and "ffmpeg failed" in msg and "no-such-preset" in msg and str(out) in msg
    )
    assert leftovers(tmp_path) == ["shot.mp4"] and out.read_bytes() == b"the previous good movie"


def test_ffmpeg_that_dies_midway_is_reported_in_one_line(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "ffmpeg"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\nhead -c 20000 >/dev/null\necho 'some banner' >&2\n"
        "echo 'Error writing trailer: No space left on device' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setattr(A, "_ffmpeg_exe", lambda: str(fake))
    out_dir = tmp_path / "out"
    with pytest.raises(
        ExportError, match=r"exit status 1\): Error writing trailer: No space left on device$"
    ):
        A.encode_mp4(grey_frames(40), out_dir / "x.mp4", 24)
    assert leftovers(out_dir) == []


def test_a_frame_source_that_raises_leaves_nothing(tmp_path):
    def frames():
        yield from grey_frames(5)
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError, match="renderer crashed"):
        A.encode_mp4(frames(), tmp_path / "x.mp4", 24)
    assert leftovers(tmp_path) == []


def test_bad_inputs_are_export_errors(tmp_path):
    with pytest.raises(ExportError, match="no frames"):
        A.encode_mp4([], tmp_path / "x.mp4", 24)
    with pytest.raises(ExportError, match="80x45"):
        A.encode_mp4(grey_frames(3) + grey_frames(1, 80, 45), tmp_path / "x.mp4", 24)
    with pytest.raises(ExportError, match="crf"):
        A.encode_mp4(grey_frames(3), tmp_path / "x.mp4", 24, crf=99)
    with pytest.raises(ExportError, match="8-bit"):
        A.encode_mp4([np.zeros((9, 16, 3), np.float32)], tmp_path / "x.mp4", 24)
    with pytest.raises(PrevisError):
        A.encode_mp4(grey_frames(3), tmp_path / "x.mp4", 12.5)
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------- frame sequences
def test_frame_sequence_validity(tmp_path):
    seq = A.FrameSequence(tmp_path, "1A", 5, (160, 90))
    seq.prepare()
    assert seq.path(3) == tmp_path / "1A" / "1A_00003.png"
    assert seq.missing() == [0, 1, 2, 3, 4]
    for k, img in enumerate(grey_frames(5)):
        seq.write(k, img)
    assert seq.missing() == []
    np.testing.assert_array_equal(seq.read(2), grey_frames(5)[2])
    data = seq.path(1).read_bytes()
    seq.path(1).write_bytes(data[: len(data) // 2])  # truncated
    bad = bytearray(seq.path(2).read_bytes())
    bad[len(bad) // 2] ^= 0xFF
    seq.path(2).write_bytes(bytes(bad))  # corrupt IDAT (CRC)
    A.FrameSequence(tmp_path, "1A", 5, (80, 45)).write(3, grey_frames(1, 80, 45)[0])  # wrong size
    seq.path(4).unlink()  # missing
    assert seq.missing() == [1, 2, 3, 4]
    with pytest.raises(ExportError, match="160x90"):
        seq.write(0, grey_frames(1, 80, 45)[0])
    with pytest.raises(ExportError):
        seq.is_valid(5)
    assert not any(p.name.endswith(".tmp") for p in seq.folder.iterdir())


@pytest.mark.parametrize("h, w", [(1, 1), (7, 5), (90, 160)])
def test_png_encoder_is_lossless_and_valid(h, w):
    """encode_png (Sub filter, ISA-L deflate) decodes to the same bytes in PIL, passes its
    CRC check, and a smooth picture compresses (a frame of noise need not)."""
    import io

    from PIL import Image

    rng = np.random.default_rng(h * w)
    noise = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    ramp = np.broadcast_to(np.linspace(0, 255, w, dtype=np.uint8)[None, :, None], (h, w, 3))
    for img in (noise, ramp):
        data = A.encode_png(img)
        with Image.open(io.BytesIO(data)) as im:
            im.verify()
        with Image.open(io.BytesIO(data)) as im:
            assert (im.format, im.mode, im.size) == ("PNG", "RGB", (w, h))
            np.testing.assert_array_equal(np.asarray(im), img)
    if w * h > 1000:
        assert len(A.encode_png(ramp)) < ramp.nbytes / 4


def test_a_new_key_invalidates_old_frames(tmp_path):
    seq = A.FrameSequence(tmp_path, "1A", 3, (160, 90), key="width=160")
    seq.prepare()
    for k, img in enumerate(grey_frames(3)):
        seq.write(k, img)
    assert A.FrameSequence(tmp_path, "1A", 3, (160, 90), key="width=160").missing() == []
    other = A.FrameSequence(tmp_path, "1A", 3, (160, 90), key="burn-in off")
    assert other.missing() == [0, 1, 2]
    other.prepare()
    other.write(1, grey_frames(1)[0])
    # each frame carries its own key: the folder now holds frames of both settings, and each
    # sequence sees only its own
    assert [seq.frame_key(k) for k in range(3)] == ["width=160", "burn-in off", "width=160"]
    assert other.missing() == [0, 2] and seq.missing() == [1]
    assert A.FrameSequence(tmp_path, "1A", 3, (160, 90)).missing() == []  # no key: any frame
    assert not (tmp_path / "1A" / "frames.json").exists()


def test_frames_carry_their_key_in_a_text_chunk_and_stay_deterministic():
    import io

    from PIL import Image

    img = grey_frames(1)[0]
    a, b = A.encode_png(img, "k1"), A.encode_png(img, "k1")
    assert a == b and a != A.encode_png(img, "k2") and a != A.encode_png(img)
    with Image.open(io.BytesIO(a)) as im:
        assert im.info["previs-key"] == "k1"
        np.testing.assert_array_equal(np.asarray(im), img)
    # the chunk sits between IHDR and IDAT: keyword, NUL, text, with a good CRC (PIL verified it)
    assert a[33 : 33 + 8 + len(b"previs-key\0k1")][4:] == b"tEXtprevis-key\0k1"


def test_shorter_shot_and_stale_temporaries_are_cleaned_by_prepare(tmp_path):
    seq = A.FrameSequence(tmp_path, "1A", 4, (16, 9), key="k")
    seq.prepare()
    for k in range(4):
        seq.write(k, grey_frames(1, 16, 9)[0])
    # what a killed run leaves: api-style and previs-style temporaries (a dead pid)
    stale = [
        seq.folder / ".1A_00002.png.ab12cd_z.tmp",
        seq.folder / ".1A_00003.png.previs-999999999-0a1b.tmp",
    ]
    for t in stale:
        t.write_bytes(b"half a frame")
    live = seq.folder / f".1A_00001.png.previs-{__import__('os').getppid()}-0a1b.tmp"  # a live pid
    live.write_bytes(b"being written")
    foreign = seq.folder / ".notes.txt.ab12cd_z.tmp"  # not ours
    foreign.write_bytes(b"x")
    shorter = A.FrameSequence(tmp_path, "1A", 2, (16, 9), key="k")
    shorter.prepare()
    assert leftovers(seq.folder) == sorted(
        [".notes.txt.ab12cd_z.tmp", live.name, "1A_00000.png", "1A_00001.png"]
    )
    assert shorter.missing() == []


# ---------------------------------------------------------------- burn-in
@pytest.mark.parametrize("w, h", [(160, 90), (640, 360), (1920, 1080)])
def test_burn_in_marks_the_corners_and_bottom_only(w, h):
    img = np.full((h, w, 3), 128, np.uint8)
    out = A.burn_in(
        img,
        ["1A  ·  Sc 1", "WIDE MASTER - a long description that has to be cut"],
        ["01:00:00:00"],
        ["ARRI Signature Prime 25 mm  ·  T4  ·  focus 9.00 m"],
    )
    assert (
        out.shape == img.shape and out.dtype == np.uint8 and np.all(img == 128)
    )  # input untouched
    changed = np.any(out != img, axis=2)
    ys, xs = np.nonzero(changed)
    top, bottom = ys < h * 0.4, ys > h * 0.6
    assert np.all(top | bottom)  # nothing in the middle band
    if w >= 640:
        assert np.all((ys < h * 0.15) | (ys > h * 0.9))  # small against the picture
    assert np.any(top & (xs < w * 0.5)) and np.any(top & (xs > w * 0.5)) and np.any(bottom)
    assert not np.any(top & (xs > w * 0.49) & (xs < w * 0.51))  # two separate corner blocks
    # white text on a darkened box
    assert out[changed].min() < 80 and out[changed].max() > 230
    # type scales with the frame: at least 12 px; about 1/56 of the width at 1920
    tl = changed[: int(h * 0.4), : w // 2]
    rows = np.nonzero(tl.any(axis=1))[0]
    box_h = rows.max() - rows.min() + 1
    assert box_h >= 2 * 8 * 1.25
    if w >= 640:
        assert box_h >= 2 * 12 * 1.25
    if w == 1920:
        assert box_h >= 2 * 34 * 1.25


# ---------------------------------------------------------------- render_animatic
@pytest.fixture(scope="module")
def scene():
    from previs import api

    return api.load_scene(ROOT / "scenes" / "led_stage.yaml")


def short_scene(scene, lengths=(12, 8), rate=None):
    shots = tuple(
        dataclasses.replace(s, length_frames=n) for s, n in zip(scene.shots, lengths, strict=False)
    )
    return dataclasses.replace(
        scene, shots=shots, frame_rate=Fraction(rate) if rate else scene.frame_rate
    )


class GreyRenderer:
    """Frame k of shot i painted grey 8*k + 100*i; counts its calls."""

    def __init__(self, scene, width):
        self.ids = [s.id for s in scene.shots]
        self.width = width
        self.calls = []

    def __call__(self, state):
        self.calls.append((state.shot_id, state.frame))
        w, h = state.image_size(self.width)
        return np.full((h, w, 3), 8 * state.frame + 100 * self.ids.index(state.shot_id), np.uint8)


def run(scene, out, render, **kw):
    from previs.core.frame import evaluate

    kw.setdefault("burn_in", A.BurnIn.none())
    return A.render_animatic(
        scene, None, out, width=160, render_frame=render, evaluate=evaluate, progress=False, **kw
    )


def test_animatic_writes_shot_movies_and_the_cut_sequence(tmp_path, scene):
    sc = short_scene(scene)
    render = GreyRenderer(sc, 160)
    res = run(sc, tmp_path, render)
    ids = [s.id for s in sc.shots]
    assert (res.frames_rendered, res.frames_skipped) == (20, 0) and len(render.calls) == 20
    assert list(res.shot_movies) == ids and res.sequence == tmp_path / "sequence.mp4"
    w, h = 160, 110  # the example's recording mode is 1.46:1 desqueezed: 160 / 1.456 -> 110
    for sid, n in zip(ids, (12, 8), strict=True):
        info = A.mp4_info(res.shot_movies[sid])
        assert (info.frames, info.width, info.height, info.fps) == (n, w, h, Fraction(24))
    meta, frames = decode(res.sequence)
    assert frames.shape == (20, h, w, 3) and meta["fps"] == pytest.approx(24)
    expected = [8 * k for k in range(12)] + [100 + 8 * k for k in range(8)]  # the cut, in order
    np.testing.assert_allclose(frames.reshape(20, -1).mean(axis=1), expected, atol=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{i}.mp4" for i in ids] + ["sequence.mp4", "frames"]
    )


def test_animatic_resumes_rendering_only_missing_or_broken_frames(tmp_path, scene):
    sc = short_scene(scene)
    run(sc, tmp_path, GreyRenderer(sc, 160))
    first, second = sc.shots[0].id, sc.shots[1].id
    seq_a = A.FrameSequence(tmp_path / "frames", first, 12, (160, 110))
    seq_b = A.FrameSequence(tmp_path / "frames", second, 8, (160, 110))
    seq_a.path(5).unlink()
    data = bytearray(seq_b.path(2).read_bytes())
    data[-30:] = b"\0" * 30  # corrupt the tail (IDAT/IEND)
    seq_b.path(2).write_bytes(bytes(data))
    (tmp_path / "sequence.mp4").unlink()
    render = GreyRenderer(sc, 160)
    res = run(sc, tmp_path, render)
    assert sorted(render.calls) == sorted([(first, 5), (second, 2)])
    assert (res.frames_rendered, res.frames_skipped) == (2, 18)
    assert res.shot_frames == {first: (1, 11), second: (1, 7)}
    _, frames = decode(res.sequence)
    expected = [8 * k for k in range(12)] + [100 + 8 * k for k in range(8)]
    np.testing.assert_allclose(frames.reshape(20, -1).mean(axis=1), expected, atol=3)
    # changing what the picture would be (here: the burn-in) renders everything again
    render = GreyRenderer(sc, 160)
    res = run(sc, tmp_path, render, burn_in=A.BurnIn())
    assert res.frames_rendered == 20 and len(render.calls) == 20


def test_animatic_at_23976_is_stored_exactly_with_burnt_in_timecode(tmp_path, scene):
    sc = short_scene(scene, lengths=(6,), rate=NTSC24)
    res = run(sc, tmp_path, GreyRenderer(sc, 160), burn_in=A.BurnIn())
    info = A.mp4_info(res.shot_movies[sc.shots[0].id])
    assert info.fps == NTSC24 and info.frames == 6
    assert A.mp4_info(res.sequence).fps == NTSC24
    meta, frames = decode(res.sequence)
    assert meta["fps"] == pytest.approx(23.976, abs=0.006)
    # the burn-in is in the frames: the top-left corner is no longer flat grey
    assert frames[0, :20, :60].std() > 10 and frames[0, 50:60, 60:100].std() < 3


def test_render_results_with_a_colour_attribute_and_other_sizes_are_accepted(tmp_path, scene):
    sc = short_scene(scene, lengths=(3,))

    class Result:
        def __init__(self, color):
            self.color = color

    res = run(sc, tmp_path, lambda state: Result(np.full((55, 80, 3), 90, np.uint8)))
    assert A.mp4_info(res.shot_movies[sc.shots[0].id]).width == 160
    _, frames = decode(res.sequence)
    assert abs(frames.mean() - 90) < 3


def test_unknown_shot_fails_before_any_work(tmp_path, scene):
    from previs.core.frame import evaluate

    with pytest.raises(PrevisError, match="no shot 'ZZ'"):
        A.render_animatic(
            scene,
            ["ZZ"],
            tmp_path / "o",
            render_frame=lambda s: None,
            evaluate=evaluate,
            progress=False,
        )
    assert not (tmp_path / "o").exists()


def test_shots_that_would_share_their_files_are_refused_before_any_work(tmp_path, scene):
    sc = short_scene(scene, lengths=(2, 2))
    a, b = sc.shots
    sc = dataclasses.replace(
        sc, shots=(dataclasses.replace(a, id="1 A"), dataclasses.replace(b, id="1_A"))
    )
    with pytest.raises(
        ExportError, match=r"shots '1 A' and '1_A' would both be written as 1_A\.mp4"
    ):
        run(sc, tmp_path / "o", GreyRenderer(sc, 160))
    assert not (tmp_path / "o").exists()


def test_cli_command_registration_and_early_errors(tmp_path, capsys):
    ap = argparse.ArgumentParser(prog="previs")
    sub = ap.add_subparsers(dest="command", required=True)
    A.add_animatic_command(sub)
    args = ap.parse_args(
        [
            "animatic",
            "scenes/led_stage.yaml",
            "--shot",
            "1A",
            "--shot",
            "1B",
            "-o",
            str(tmp_path),
            "--width",
            "640",
            "--no-burn-in",
        ]
    )
    assert args.func is A._cmd_animatic
    assert (args.shot, args.output, args.width, args.no_burn_in, args.crf) == (
        ["1A", "1B"],
        str(tmp_path),
        640,
        True,
        18,
    )
    args = ap.parse_args(
        ["animatic", str(ROOT / "scenes" / "led_stage.yaml"), "--shot", "ZZ", "-o", str(tmp_path)]
    )
    with pytest.raises(PrevisError, match="no shot 'ZZ'"):
        args.func(args)
    args = ap.parse_args(["animatic", "x.yaml", "--crf", "60"])
    with pytest.raises(PrevisError, match="crf"):
        args.func(args)
    args = ap.parse_args(["animatic", "x.yaml", "--scale", "2"])
    with pytest.raises(PrevisError, match="--scale must be within 0.25..1, got 2"):
        args.func(args)


def test_draft_scale_renders_small_and_delivers_full_size_frames(tmp_path, scene):
    """`--scale 0.5`: the renderer draws half the width; the frames and MP4 keep --width, and a
    draft never passes for a native render on resume (the scale is part of the cache key)."""
    ap = argparse.ArgumentParser(prog="previs")
    A.add_animatic_command(ap.add_subparsers(dest="command", required=True))
    src = ROOT / "scenes" / "led_stage.yaml"
    sc = short_scene(scene, lengths=(2,))
    args = ap.parse_args(
        [
            "animatic",
            str(src),
            "--shot",
            sc.shots[0].id,
            "-o",
            str(tmp_path),
            "--width",
            "160",
            "--scale",
            "0.5",
            "-q",
        ]
    )
    import previs.api as api_mod

    widths = []
    real = api_mod.StageRenderer
    orig_load = api_mod.load_scene

    shapes = []

    class Spy(real):
        def __init__(self, s, **kw):
            widths.append(kw["width"])
            super().__init__(s, **kw)

        def render(self, state, **kw):
            frame = super().render(state, **kw)
            shapes.append((kw.get("output_width"), frame.color.shape))
            return frame

    api_mod.StageRenderer, api_mod.load_scene = Spy, lambda _path: sc
    try:
        assert args.func(args) == 0
    finally:
        api_mod.StageRenderer, api_mod.load_scene = real, orig_load
    assert widths == [80]
    # the renderer is asked for the full width and returns it: scaled up on the GPU, not after
    assert shapes == [(160, (110, 160, 3))] * 2
    shot = sc.shots[0].id
    seq = A.FrameSequence(tmp_path / "frames", shot, 2, (160, 110))
    assert seq.read(1).shape == (110, 160, 3)
    info = A.mp4_info(tmp_path / f"{shot}.mp4")
    assert (info.frames, info.width, info.height) == (2, 160, 110)


def test_four_frames_of_the_real_example_at_160px(tmp_path, scene):
    from previs import api
    from previs.errors import RenderError

    sc = short_scene(scene, lengths=(4,))
    try:
        renderer = api.StageRenderer(sc, width=160)
    except RenderError as exc:
        pytest.skip(f"no OpenGL context: {exc}")
    with renderer:
        calls = []

        def render(state):
            calls.append(state.frame)
            return renderer.render(state, read_depth=False).color

        res = run(sc, tmp_path, render, burn_in=A.BurnIn())
    assert calls == [0, 1, 2, 3]
    info = A.mp4_info(res.sequence)
    assert (info.frames, info.width, info.height, info.fps) == (4, 160, 110, Fraction(24))
    _, frames = decode(res.shot_movies[sc.shots[0].id])
    png = A.FrameSequence(tmp_path / "frames", sc.shots[0].id, 4, (160, 110)).read(2)
    assert png.std() > 10  # a picture, not a flat fill
    assert np.abs(frames[2].astype(int) - png).mean() < 6  # the MP4 shows the PNG


def test_lights_at_half_resolution_by_default_and_in_full_on_request(tmp_path, scene, capsys):
    """The animatic evaluates the lights at half resolution unless --full-res-lighting; the
    lighting is part of the cache key, so frames lit one way are rendered again the other way."""
    ap = argparse.ArgumentParser(prog="previs")
    A.add_animatic_command(ap.add_subparsers(dest="command", required=True))
    src = ROOT / "scenes" / "led_stage.yaml"
    sc = short_scene(scene, lengths=(2,))
    import previs.api as api_mod

    modes = []
    real, orig_load = api_mod.StageRenderer, api_mod.load_scene

    class Spy(real):
        def render(self, state, **kw):
            modes.append(self.half_res_lighting)
            return super().render(state, **kw)

    api_mod.StageRenderer, api_mod.load_scene = Spy, lambda _path: sc
    try:
        for extra in ([], ["--full-res-lighting"], ["--full-res-lighting"]):
            args = ap.parse_args(
                ["animatic", str(src), "-o", str(tmp_path), "--width", "160", "-q", *extra]
            )
            assert args.func(args) == 0
    finally:
        api_mod.StageRenderer, api_mod.load_scene = real, orig_load
    assert modes == [True, True, False, False]
    out = capsys.readouterr().out
    assert [line.split(" in ")[0] for line in out.splitlines() if line.startswith("rendered")] == [
        "rendered 2 of 2 frames (0 already done)",
        "rendered 2 of 2 frames (0 already done)",
        "rendered 0 of 2 frames (2 already done)",
    ]


@pytest.mark.parametrize("size", [12, 20, 34])
def test_cached_burn_in_text_is_what_pil_draws(size):
    """burn_in pastes each line through a cached coverage mask: the bytes are those of PIL's
    ImageDraw.text at the same place, on a graded background, with accents, descenders and
    symbols, and with the text running off the left and top edges."""
    from PIL import Image, ImageDraw

    grad = np.linspace(0, 255, 400, dtype=np.uint8)
    bg = np.stack(
        [
            np.broadcast_to(grad, (80, 400)),
            np.broadcast_to(grad[::-1], (80, 400)),
            np.full((80, 400), 90, np.uint8),
        ],
        axis=-1,
    )
    font = A._font(size)
    for text in ("3A  ·  Sc 3", "Café — jÿg Ω fr 17 / 120", "01:00:04:17;"):
        for x, y in ((6, 9), (0, 0), (-5, -3), (250, 40)):
            want = Image.fromarray(bg.copy())
            ImageDraw.Draw(want).text((x, y), text, font=font, fill=(255, 255, 255))
            got = Image.fromarray(bg.copy())
            mask, (ox, oy) = A._text_mask(size, text)
            got.paste((255, 255, 255), (x - ox, y - oy), mask)
            assert got.tobytes() == want.tobytes(), (text, x, y)
            assert got.tobytes() != Image.fromarray(bg).tobytes()
