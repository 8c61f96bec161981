"""Issue 14: every hostile scene file ends in a correct result or one clean line.

The corpus is generated (tests/hostile_scenes.py): every value of a scene that uses every section
of the format, mutated every way that fits it (NaN, ±inf, ±1e308, 0, -1, a 5,000-digit integer,
wrong types, control characters and escape sequences, overlong text and lists, missing and unknown
keys), and whole files that are not scenes (empty, binary, not UTF-8, /dev/zero, a FIFO, a link to
a device, a folder, deep nesting, an alias bomb, every kind of YAML tag). For each:

* it loads, and then every number previs evaluates for its shots is finite; or
* it raises a :class:`PrevisError` whose text is one printable line starting with the file's path,
  naming a field and a line where the case changed a field (the field itself, where the change is
  local: a NaN, an infinity, a huge number, a control character), and quoting no more of the file
  than the offending token.

Nothing here reads the clock: the limits in previs.core.limits bound the work of every accepted
file (tested at limit + 1 below), so a case cannot hang however fast the machine is.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import hostile_scenes as hs  # noqa: E402

from previs.core import limits as lim  # noqa: E402
from previs.core.frame import evaluate, key_frames  # noqa: E402
from previs.errors import PrevisError, SceneError  # noqa: E402
from previs.io.scene_file import load_scene, load_scene_text  # noqa: E402

CATEGORIES = ("tracebacks", "hangs", "memory", "silent", "after-loading", "messages")
FIELD_SAMPLE = 2600  # every local mutation (~2,300) and a seeded sample of the rest


@pytest.fixture(scope="module")
def field_corpus() -> list[hs.Case]:
    return hs.sample(hs.field_cases(), FIELD_SAMPLE)


# ---------------------------------------------------------------- what a good outcome is
def _numbers(state) -> list[float]:
    out = [
        *state.world_from_camera.ravel(),
        state.focal_length_mm,
        state.t_stop,
        state.tracked_yfov_rad,
        *state.tracked_world_from_camera.ravel(),
    ]
    out.append(0.0 if state.focus_m == math.inf else state.focus_m)
    for light in state.lights:
        out += [light.intensity, *light.color_linear, *light.position_m, *light.direction]
    if state.wall is not None:
        w = state.wall
        out += [*w.world_from_env.ravel(), w.brightness_nits, *w.cdl.as_array(), *w.world_offset_m]
        out += [x for x in (w.sun_azimuth_deg, w.sun_elevation_deg, w.turbidity) if x is not None]
    for pose in (state.poses or {}).values():
        out += list(np.ravel(pose))
    return out


def _check_loaded(scene) -> str | None:
    """Every shot at its key frames (first, last, where anything starts or ends): all finite."""
    for shot in scene.shots:
        frames = key_frames(scene, shot)
        for f in frames[:3] + frames[-2:]:
            try:
                state = evaluate(scene, shot, f)
            except PrevisError as exc:  # a load that passed must evaluate: checks after loading
                return f"loaded, but shot {shot.id} frame {f} fails: {exc}"
            bad = [x for x in _numbers(state) if not math.isfinite(x)]
            if bad:
                return f"loaded, but shot {shot.id} frame {f} evaluates to {bad[:3]}"
    return None


def _related(field: str | None, path: hs.PathT) -> bool:
    """The error names the mutated field, or a field above or below it."""
    want = hs._fmt(path)
    if not field:
        return False
    return any(
        a == b or a.startswith(b + ".") or a.startswith(b + "[")
        for a, b in ((field, want), (want, field))
    )


def _check_error(exc: BaseException, file: Path, case: hs.Case) -> str | None:
    if not isinstance(exc, PrevisError):
        return f"{type(exc).__name__} (a traceback): {str(exc)[:200]}"
    text = str(exc)
    if "\n" in text or "\r" in text:
        return f"message is not one line: {text[:200]!r}"
    if not all(c.isprintable() for c in text):
        return f"message holds raw control characters: {text[:200]!r}"
    if not text.startswith(str(file)):
        return f"message does not start with the file: {text[:200]!r}"
    if len(text) > 600 or "x" * 50 in text or "99999" * 20 in text:
        return f"message quotes too much of the file ({len(text)} characters)"
    if case.path:
        if not (isinstance(exc, SceneError) and exc.field and exc.line):
            return f"no field or line: {text[:200]!r}"
        if case.local and not _related(exc.field, case.path):
            return f"names {exc.field}, not {hs._fmt(case.path)}: {text[:200]!r}"
    return None


def _run(case: hs.Case, folder: Path) -> str | None:
    file = folder / "scene.yaml"
    try:
        if case.make is not None:
            file = case.make(folder)
            scene = load_scene(file)
        else:
            scene = load_scene_text(case.yaml(), file)
    except Exception as exc:  # noqa: BLE001 - the point: anything but a PrevisError is a bug
        return _check_error(exc, file.absolute(), case)
    try:
        return _check_loaded(scene)
    except Exception as exc:  # noqa: BLE001
        return f"loaded, then {type(exc).__name__} while evaluating: {str(exc)[:200]}"


# ---------------------------------------------------------------- the corpus
def test_the_base_scene_is_valid_and_uses_every_section():
    scene = load_scene_text(hs.dump(hs.rich_scene()), Path("/tmp/base.yaml"))
    assert _check_loaded(scene) is None
    assert scene.warnings == ()
    moves = {m.type for s in scene.shots for m in s.moves}
    from previs.core.moves import MOVE_TYPES

    assert moves == set(MOVE_TYPES)
    effects = {c.effect for s in scene.shots for c in s.light_cues if c.effect}
    assert effects == {"flicker", "lightning", "strobe", "police"}
    assert {name for s in scene.shots for name, _ in s.keys} == {
        "position_m",
        "pan_deg",
        "tilt_deg",
        "roll_deg",
        "focal_length_mm",
        "focus_m",
        "t_stop",
    }


def test_the_corpus_is_large_and_covers_every_category(field_corpus):
    cases = hs.field_cases()
    assert len(cases) > 5000
    assert {c.category for c in cases + hs.file_cases()} == set(CATEGORIES)
    assert sum(c.local for c in field_corpus) > 2000


@pytest.mark.parametrize("category", CATEGORIES)
def test_field_mutations(category, field_corpus, tmp_path):
    cases = [c for c in field_corpus if c.category == category]
    assert cases
    failures = []
    for case in cases:
        why = _run(case, tmp_path)
        if why:
            failures.append(f"{case.name}: {why}")
    assert not failures, f"{len(failures)} of {len(cases)} cases:\n" + "\n".join(failures[:25])


@pytest.mark.parametrize("case", hs.file_cases(), ids=lambda c: c.name)
def test_whole_files(case, tmp_path):
    if case.make is None:
        case = hs.Case(
            case.name,
            case.category,
            (),
            False,
            make=lambda folder, text=case.text: _text_file(folder, text),
        )
    why = _run(case, tmp_path)
    assert why is None, why


def _text_file(folder: Path, text: str) -> Path:
    p = folder / "scene.yaml"
    p.write_text(text, encoding="utf-8")
    return p


_SPECIAL = ("dev-zero", "dev-urandom", "fifo", "link-to-dev-zero", "directory")


@pytest.mark.parametrize(
    "case", [c for c in hs.file_cases() if c.name in _SPECIAL], ids=lambda c: c.name
)
def test_devices_and_pipes_say_what_they_are(case, tmp_path):
    with pytest.raises(SceneError) as info:
        load_scene(case.make(tmp_path))
    want = {
        "dev-zero": "is a character device",
        "dev-urandom": "is a character device",
        "fifo": "is a FIFO",
        "link-to-dev-zero": "is a character device (through a symbolic",
        "directory": "is a directory",
    }[case.name]
    assert want in str(info.value)
    if case.name != "directory":
        assert "directory" not in str(info.value)


def test_info_command_on_a_sample(tmp_path, capsys):
    """`previs info` (the CLI's own entry point) on a seeded sample: one line and status 2, or a
    listing with no raw control characters."""
    from previs.cli import main

    cases = hs.sample(hs.field_cases(), 0, seed=7)[::60][:40] + [
        c for c in hs.file_cases() if c.name in ("alias-bomb", "huge-int", "fifo", "dev-zero")
    ]
    for i, case in enumerate(cases):
        folder = tmp_path / str(i)
        folder.mkdir()
        file = case.make(folder) if case.make else _text_file(folder, case.yaml())
        rc = main(["info", str(file)])
        out, err = capsys.readouterr()
        assert rc in (0, 2), (case.name, rc, err[-500:])
        if rc == 2:
            lines = err.splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"previs: {file.absolute()}"), (
                case.name,
                err[:300],
            )
            assert all(c.isprintable() for c in lines[0]), case.name
        else:
            assert all(c.isprintable() or c == "\n" for c in out), (case.name, out[:300])


# ---------------------------------------------------------------- the limits hold at limit + 1
def _scene(**shot) -> dict:
    data = hs.rich_scene()
    data["shots"] = [
        {
            "id": "X",
            "scene": 1,
            "length_frames": 48,
            "camera": {"position_m": [0, 1.5, 3], "look_at_m": [0, 1.5, 0], "focal_length_mm": 40},
            **shot,
        }
    ]
    return data


def _error(data, where="/tmp/limits.yaml") -> SceneError:
    with pytest.raises(SceneError) as info:
        load_scene_text(hs.dump(data), where)
    return info.value


def test_shot_length_limit():
    assert load_scene_text(hs.dump(_scene(length_frames=lim.MAX_SHOT_FRAMES)), "/tmp/a.yaml")
    err = _error(_scene(length_frames=lim.MAX_SHOT_FRAMES + 1))
    assert err.field == "shots[0].length_frames" and err.line
    data = _scene(duration_s=1e308)
    del data["shots"][0]["length_frames"]
    assert _error(data).field == "shots[0].duration_s"
    data["shots"][0]["duration_s"] = (lim.MAX_SHOT_FRAMES + 24) / 24
    assert "at most 100,000 frames" in str(_error(data))


def test_path_and_walk_point_limits():
    n = lim.MAX_PATH_POINTS
    pts = [[0.01 * i, 1.5, 3 - 0.001 * i] for i in range(1, n + 2)]
    err = _error(_scene(moves=[{"type": "path", "points_m": pts}]))
    assert err.field == "shots[0].moves[0].points_m" and "at most 10,000" in err.message
    scene = load_scene_text(
        hs.dump(_scene(length_frames=2000, moves=[{"type": "path", "points_m": pts[:n]}])),
        "/tmp/a.yaml",
    )  # the largest path: loads
    assert _check_loaded(scene) is None
    walk = {"standin": "Mara", "points_m": [[0.01 * i, 0, 0] for i in range(n + 1)]}
    assert _error(_scene(walks=[walk])).field == "shots[0].walks[0].points_m"


def test_list_limits():
    move = {"type": "pedestal", "start_frame": 0, "end_frame": 1, "distance_m": 0.1}
    assert _error(_scene(moves=[move] * (lim.MAX_MOVES + 1))).field == "shots[0].moves"
    cue = {"start_frame": 0, "end_frame": 1, "to_brightness_nits": 100}
    assert _error(_scene(wall_cues=[cue] * (lim.MAX_CUES + 1))).field == "shots[0].wall_cues"
    data = hs.rich_scene()
    data["shots"] = data["shots"][:1] * (lim.MAX_SHOTS + 1)
    assert _error(data).field == "shots"


def test_wall_size_is_checked_before_any_facet():
    data = hs.rich_scene()
    data["stage"]["sections"][0]["radius_m"] = 1e6
    assert _error(data).field == "stage.sections[0].radius_m"
    data["stage"]["sections"][0]["radius_m"] = 0.1  # too small for its 500 mm panels
    err = _error(data)
    assert (
        err.field == "stage.sections[0].radius_m" and "too small for 500 mm panels" in err.message
    )
    data = hs.rich_scene()
    data["stage"]["panel"].update(
        pixel_pitch_mm=0.01, panel_size_mm=[1, 1], panel_pixels=[100, 100]
    )
    err = _error(data)  # 500 m x 100 m of 1 mm cabinets: billions of panels, refused
    assert err.field == "stage.sections" and "at most 1,000,000 panels" in err.message


def test_file_size_and_value_limits(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (lim.MAX_SCENE_FILE_BYTES + 1))
    with pytest.raises(SceneError, match="larger than 16 MiB"):
        load_scene(big)
    many = tmp_path / "many.yaml"
    many.write_text("a: [" + "1," * lim.MAX_YAML_VALUES + "1]\n")
    with pytest.raises(SceneError, match="more than 500,000 values"):
        load_scene(many)


# ---------------------------------------------------------------- the reporter's defects
def test_checks_that_used_to_be_skipped_after_loading():
    cases = [
        (dict(keys={"tilt_deg": [[0, 0], [10, 170]]}), "shots[0].keys.tilt_deg[1]", "-90..90"),
        (dict(keys={"tilt_deg": [[0, 0], [10, math.nan]]}), "shots[0].keys.tilt_deg[1]", "finite"),
        (dict(keys={"pan_deg": [[0, 0], [10, math.inf]]}), "shots[0].keys.pan_deg[1]", "finite"),
        (dict(keys={"focus_m": [[0, 3], [10, -1]]}), "shots[0].keys.focus_m[1]", "greater than 0"),
        (dict(keys={"focus_m": [[0, 3], [10, 0.1]]}), "shots[0].keys.focus_m[1]", "focus"),
        (dict(keys={"t_stop": [[0, 4], [10, 0.5]]}), "shots[0].keys.t_stop[1]", "T0.5"),
        (
            dict(keys={"focal_length_mm": [[0, 40], [10, 300]]}),
            "shots[0].keys.focal_length_mm[1]",
            "zoom range",
        ),
        (
            dict(moves=[{"type": "zoom", "to_focal_length_mm": 2000}]),
            "shots[0].moves[0]",
            "zoom range",
        ),
        (dict(moves=[{"type": "tilt", "angle_deg": 170}]), "shots[0].moves[0]", "±90"),
        (dict(moves=[{"type": "rack_focus", "to_focus_m": 0.05}]), "shots[0].moves[0]", "focus"),
        (
            dict(wall_cues=[{"to_brightness_nits": 99999}]),
            "shots[0].wall_cues[0].to_brightness_nits",
            "above the panel's peak of 1500 nits",
        ),
        (
            dict(light_cues=[{"light": "key", "to_intensity_scale": 1e308}]),
            "shots[0].light_cues[0].to_intensity_scale",
            "at most",
        ),
    ]
    for shot, field, words in cases:
        err = _error(_scene(**shot), "/tmp/after.yaml")
        assert str(err).startswith("/tmp/after.yaml:"), str(err)
        assert err.field == field and err.line, (field, str(err))
        assert words in err.message, (words, str(err))


def test_yaml_layer_faults_are_one_line_with_the_line(tmp_path):
    cases = {
        "name: !!float abc\n": (1, "'abc' is not a number"),
        f"format_version: 1\nname: {hs.HUGE_INT}\n": (2, "too large"),
        "format_version: 1\nname: !!binary aGVsbG8=\n": (2, "unsupported tag '!!binary'"),
        "format_version: 1\nname: !!python/object:os.system x\n": (2, "unsupported tag"),
        "format_version: 1\nname: !!timestamp 2001-12-14\n": (2, "unsupported tag '!!timestamp'"),
    }
    for text, (line, words) in cases.items():
        err = _error_text(text, tmp_path)
        assert err.line == line and words in err.message, str(err)


def _error_text(text: str, folder: Path) -> SceneError:
    p = folder / "t.yaml"
    p.write_text(text)
    with pytest.raises(SceneError) as info:
        load_scene(p)
    return info.value


def test_names_with_escape_sequences_are_refused_and_shown_escaped():
    data = hs.rich_scene()
    data["set"][4]["name"] = "Mara\x1b]0;owned\x07"
    err = _error(data)
    assert err.field == "set[4].name"
    assert "\\x1b" in str(err) and "\x1b" not in str(err)
    data = hs.rich_scene()
    data["shots"][0]["description"] = "wide\x9b2J"
    assert _error(data).field == "shots[0].description"
    data = hs.rich_scene()
    data["shots"][0]["notes"] = "line one\nline two\tindented"  # free text keeps its layout
    assert load_scene_text(hs.dump(data), "/tmp/a.yaml")


def test_echoed_values_are_short():
    data = _scene(keys={"tilt_deg": [["x" * 5000, 0]]})
    err = _error(data)
    assert len(str(err)) < 300 and "…" in str(err)


# ---------------------------------------------------------------- the flat wall's facing
def test_a_flat_wall_facing_away_from_every_camera_warns():
    data = hs.rich_scene()
    side = data["stage"]["sections"][1]
    side["start_xz_m"], side["end_xz_m"] = side["end_xz_m"], side["start_xz_m"]
    scene = load_scene_text(hs.dump(data), "/tmp/facing.yaml")
    assert len(scene.warnings) == 1
    w = scene.warnings[0]
    assert w.startswith("/tmp/facing.yaml:") and "stage.sections[1]" in w
    assert "swap start_xz_m and end_xz_m" in w and "'side'" in w
    # the example scene's walls face the set: no warning
    assert load_scene_text(hs.dump(hs.rich_scene()), "/tmp/facing.yaml").warnings == ()
