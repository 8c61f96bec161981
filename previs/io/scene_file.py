"""Load a scene file: YAML -> checked -> :class:`previs.core.scene.Scene`.

Every problem becomes one :class:`~previs.errors.SceneError` naming the file, the field path
(``shots[2].camera.focal_length_mm``) and the line, raised before anything is rendered:

1. YAML syntax, duplicate keys, a top level that is not a mapping (:mod:`previs.io.yaml_lines`);
2. ``format_version``: newer than this build is refused, older ones go through :func:`migrate`;
3. types, ranges, required and unknown keys (:mod:`previs.io.schema`, pydantic);
4. what needs the outside world: camera bodies, modes and lens kits (:mod:`previs.core.presets`),
   focus and T-stop against each shot's lens, unique ids and names, mesh files (loaded once,
   cached by :func:`previs.io.meshes.load_asset`).

Relative asset paths resolve against the scene file's folder, never the working directory.

Hostile input ends in one line too: every number is finite and bounded, every name printable, and
the file's size, values, nesting, frames, points, lists and wall are held to the limits of
:mod:`previs.core.limits`. Values that arrive through keys and moves get the ranges their static
fields get, checked at every key when the file loads (5.), so nothing is refused later without
its file, field and line. What is legal but probably unintended (a flat wall turned away from
every camera) lands in ``Scene.warnings``.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from previs.core import limits as lim
from previs.core import optics, presets
from previs.core import scene as sc
from previs.core.colour import kelvin_to_linear_rgb, luminance, srgb_to_linear
from previs.core.transforms import trs, vec2, vec3
from previs.errors import AssetError, PresetError, PrevisError, SceneError, show
from previs.io import schema
from previs.io.meshes import SUPPORTED_SUFFIXES, load_asset
from previs.io.safe_files import printable
from previs.io.yaml_lines import LineMap, PathT, format_path, load_yaml, load_yaml_text, one_line

FORMAT_VERSION = sc.FORMAT_VERSION

MOVED_KEY = "__moved__"
"""A migration step may record where it moved things: ``data[MOVED_KEY]`` maps a new path prefix
to the one written in the file, so errors still name the user's own field and line."""


def _v1_to_v2(data: dict) -> dict:
    """Format 2 gives people their own list: every ``type: standin`` set piece becomes a
    character (its name, or the name format 1 gave it; default colour and pose; its placement
    keys kept as written). Walks keep their ``standin:`` key (format 2 reads it as character)."""
    pieces = data.get("set")
    if not isinstance(pieces, list):
        return data
    kept: list[Any] = []
    characters: list[dict] = []
    moved: dict[PathT, PathT] = {}
    for i, p in enumerate(pieces):
        if isinstance(p, dict) and p.get("type") == "standin":
            c = {k: v for k, v in p.items() if k != "type"}
            if c.get("name") is None:
                c["name"] = f"standin {i + 1}"  # the name format 1 gave an unnamed stand-in
            moved[("characters", len(characters))] = ("set", i)
            characters.append(c)
        else:
            moved[("set", len(kept))] = ("set", i)
            kept.append(p)
    if not characters:
        return data
    out = dict(data)
    out["set"] = kept
    out["characters"] = characters + list(data.get("characters") or [])
    out[MOVED_KEY] = moved
    return out


MIGRATIONS: dict[int, Callable[[dict], dict]] = {1: _v1_to_v2}

_T = TypeVar("_T")


def _given(value: _T | None, what: str) -> _T:
    """A value the schema's validators require here, though its field is optional elsewhere."""
    if value is None:
        raise PrevisError(f"scene file: {what} is missing")
    return value


"""``MIGRATIONS[v]`` turns a version-``v`` document into a version ``v + 1`` one; add one here
whenever FORMAT_VERSION goes up."""


def migrate(raw: dict, version: int) -> dict:
    """Bring a document written as ``version`` up to :data:`FORMAT_VERSION`, one step at a time."""
    if version > FORMAT_VERSION:
        raise SceneError(
            f"format_version {version} was written by a newer previs (this one reads "
            f"up to {FORMAT_VERSION}); update previs",
            field="format_version",
        )
    if version < 1:
        raise SceneError(
            f"format_version {version} is not a version any previs wrote "
            f"(this one reads 1 to {FORMAT_VERSION})",
            field="format_version",
        )
    data = dict(raw)
    moved: dict = {}
    for v in range(version, FORMAT_VERSION):
        step = MIGRATIONS.get(v)
        if step is None:
            raise SceneError(
                f"format_version {version} is not a version any previs wrote "
                f"(this one reads 1 to {FORMAT_VERSION})",
                field="format_version",
            )
        data = step(data)
        step_moved = data.pop(MOVED_KEY, {})
        # compose: a path moved by this step, then by the earlier ones
        moved = {new: _remap(old, moved) for new, old in step_moved.items()} or moved
        data["format_version"] = v + 1
    if moved:
        data[MOVED_KEY] = moved
    return data


def _remap(path: tuple, moved: dict) -> tuple:
    """``path`` in the migrated document -> the same thing's path in the file as written."""
    for n in (2, 1):
        head = tuple(path[:n])
        if head in moved:
            return tuple(moved[head]) + tuple(path[n:])
    return tuple(path)


# ---------------------------------------------------------------- error plumbing
class _Ctx:
    """The file being loaded: its folder, its raw data and line map, for errors and paths."""

    def __init__(self, path: Path, raw: dict, lines: LineMap):
        self.path = path
        self.folder = path.parent
        self.raw = raw
        self.lines = lines
        self.asset_warnings: list[str] = []  # what mesh files said as they loaded (USD)
        self.moved: dict = {}  # migrated path prefix -> the path as written (see MOVED_KEY)

    def error(self, message: str, path: PathT) -> SceneError:
        path = _remap(tuple(path), self.moved)
        return SceneError(
            one_line(message),
            file=self.path,
            field=format_path(path) or None,
            line=self.lines.line_of(path),
        )


def _raw_path(loc: tuple, raw: Any) -> list:
    """A pydantic ``loc`` -> the path in the raw data (drops union tags and validator names)."""
    path: list = []
    cur = raw
    for i, part in enumerate(loc):
        if isinstance(cur, dict) and part in cur:
            path.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            path.append(part)
            cur = cur[part]
        elif isinstance(cur, dict) and i == len(loc) - 1 and isinstance(part, str):
            path.append(part)  # a missing key
            cur = None
    return path


_TYPE_WORDS = {
    "int_parsing": "an integer",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_parsing": "a number",
    "float_type": "a number",
    "finite_number": "a finite number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
}
_BOUNDS = {
    "greater_than": ("gt", "greater than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
}


def _message(err: ErrorDetails, path: list) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    got = schema.describe(value)
    if kind == "previs":
        return str(ctx["message"])
    if kind == "missing":
        return f"missing required key '{path[-1]}'"
    if kind in _TYPE_WORDS:
        return f"expected {_TYPE_WORDS[kind]}, got {got}"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return f"must be {words} {ctx[key]:g}, got {got}"
    if kind in ("string_too_short",):
        return "must not be empty"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
    if kind == "too_long":
        return (
            f"has {ctx.get('actual_length'):,} items; previs takes at most "
            f"{ctx.get('max_length'):,} here"
        )
    if kind == "literal_error":
        expected = [
            e.strip(" '") for e in str(ctx.get("expected", "")).replace(" or ", ",").split(",")
        ]
        expected = [e for e in expected if e]
        if isinstance(value, str):
            return f"unknown value {got}{schema.suggest(value, expected)}"
        return f"expected one of {', '.join(expected)}, got {got}"
    if kind == "union_tag_invalid":
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        tag = ctx.get("tag", "")
        return f"unknown type {show(str(tag))}{schema.suggest(tag, tags)}"
    if kind == "union_tag_not_found":
        return "missing required key 'type'"
    if kind == "extra_forbidden":
        return f"unknown key {show(str(path[-1]))}"
    return one_line(err.get("msg", kind))


def _validation_error(exc: ValidationError, ctx: _Ctx) -> SceneError:
    found: list[tuple[int, int, list, str]] = []
    for err in exc.errors():
        path = _raw_path(tuple(err["loc"]), ctx.raw)
        ectx = err.get("ctx") or {}
        if err["type"] == "union_tag_not_found":
            path.append("type")
        elif err["type"] == "union_tag_invalid":
            path.append("type")
        if "key" in ectx:
            key = ectx["key"]
            path.extend(key if isinstance(key, tuple | list) else [key])
        found.append(
            (
                ctx.lines.line_of(_remap(tuple(path), ctx.moved)) or 0,
                len(found),
                path,
                _message(err, path),
            )
        )
    line, _, path, message = min(found)
    return ctx.error(message, tuple(path))


# ---------------------------------------------------------------- loading
def load_scene(path: str | Path) -> sc.Scene:
    """Read, check and build a scene; every user mistake is a one-line :class:`SceneError`."""
    path = Path(path).absolute()
    raw, lines = load_yaml(path)
    return _load(raw, lines, path)


def load_scene_text(text: str, path: str | Path) -> sc.Scene:
    """As :func:`load_scene`, for text that would be the file at ``path`` (relative mesh paths
    resolve beside it; error lines count in ``text``)."""
    path = Path(path).absolute()
    raw, lines = load_yaml_text(text, path)
    return _load(raw, lines, path)


def _load(raw, lines, path: Path) -> sc.Scene:
    if raw is None:
        raise SceneError(
            "the file is empty; a scene needs format_version, name, frame_rate, camera and shots",
            file=path,
            line=1,
        )
    if not isinstance(raw, dict):
        raise SceneError(
            f"the top level must be a mapping of keys (format_version:, name:, ...), "
            f"got {schema.describe(raw)}",
            file=path,
            line=lines.line_of(()),
        )
    ctx = _Ctx(path, raw, lines)
    known = {f.alias or n for n, f in schema.SceneFile.model_fields.items()}
    if not known & set(raw):
        raise SceneError(
            "this does not look like a previs scene file: it has none of the keys "
            + ", ".join(sorted(known)),
            file=path,
            line=lines.line_of(()),
        )
    version = raw.get("format_version")
    if version is None:
        raise ctx.error(
            f"missing required key 'format_version' (this previs writes {FORMAT_VERSION})",
            ("format_version",),
        )
    if isinstance(version, bool) or not isinstance(version, int):
        raise ctx.error(f"expected an integer, got {schema.describe(version)}", ("format_version",))
    if version != FORMAT_VERSION:
        try:
            raw = migrate(raw, version)
        except SceneError as exc:
            raise ctx.error(exc.message, ("format_version",)) from None
        ctx.moved = raw.pop(MOVED_KEY, {})
        ctx.raw = raw
    try:
        model = schema.SceneFile.model_validate(raw)
    except ValidationError as exc:
        raise _validation_error(exc, ctx) from None
    return _build(model, ctx)


def _unique(ctx: _Ctx, items, key: str, what: str, section: str) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        value = getattr(item, key)
        if value is None:
            continue
        if value in seen:
            j = seen[value]
            line = ctx.lines.line_of((section, j, key))
            raise ctx.error(
                f"duplicate {what} '{value}' (also {section}[{j}], line {line})", (section, i, key)
            )
        seen[value] = i


def _build(m: schema.SceneFile, ctx: _Ctx) -> sc.Scene:
    _unique(ctx, m.shots, "id", "shot id", "shots")
    _frame_budget(m, ctx)
    _unique(ctx, m.set_pieces, "name", "set piece name", "set")
    _unique(ctx, m.characters, "name", "character name", "characters")
    _unique_people(ctx, m)
    _unique(ctx, m.lights, "name", "light name", "lights")
    camera = _camera(m, ctx)
    stage, environment = _stage(m.stage, ctx), _environment(m.environment, ctx)  # (error order)
    pieces = tuple(_piece(p, i, ctx) for i, p in enumerate(m.set_pieces))
    scene = sc.Scene(
        source_path=ctx.path,
        name=m.name,
        frame_rate=m.frame_rate,
        stage=stage,
        environment=environment,
        set_pieces=pieces
        + tuple(_character(c, i, m, pieces, ctx) for i, c in enumerate(m.characters)),
        lights=tuple(_light(li, i, ctx) for i, li in enumerate(m.lights)),
        camera=camera,
        shots=tuple(_shot(s, i, m, camera, ctx) for i, s in enumerate(m.shots)),
        format_version=FORMAT_VERSION,
        tracking=_tracking(m.tracking),
        output=sc.Output(m.output.display, m.output.view, m.output.config),
    )
    _check_motion(scene, m, ctx)
    from previs.io.blocking import seat_heights

    scene = seat_heights(scene, m, ctx)
    warnings = ctx.asset_warnings + _facing_warnings(scene, ctx) + list(scene.warnings)
    if warnings:
        scene = dataclasses.replace(scene, warnings=tuple(warnings))
    return scene


def _frame_budget(m: schema.SceneFile, ctx: _Ctx) -> None:
    """All shots together stay within MAX_SCENE_FRAMES (each is held to MAX_SHOT_FRAMES)."""
    total = 0
    for i, s in enumerate(m.shots):
        total += (
            s.length_frames
            if s.length_frames is not None
            else round(_given(s.duration_s, "duration_s") * m.frame_rate)
        )
        if total > lim.MAX_SCENE_FRAMES:
            raise ctx.error(
                f"the shots up to this one run {total:,} frames; a scene holds at most "
                f"{lim.MAX_SCENE_FRAMES:,}",
                ("shots", i),
            )


def _facing_warnings(scene: sc.Scene, ctx: _Ctx) -> list[str]:
    """A flat section lights the left of start -> end seen from above; turned away from every
    shot's camera (or, with no shots, from the set and the stage's centre) it shows its black back."""
    if scene.stage is None:
        return []
    refs = [np.array([s.camera.position_m[0], s.camera.position_m[2]]) for s in scene.shots]
    if not refs:
        refs = [
            np.array([p.world_from_local[0, 3], p.world_from_local[2, 3]]) for p in scene.set_pieces
        ] or [np.zeros(2)]
    out = []
    for k, sec in enumerate(scene.stage.sections):
        if not isinstance(sec, sc.FlatSection):
            continue
        a, b = np.asarray(sec.start_xz_m, float), np.asarray(sec.end_xz_m, float)
        d = b - a
        lit = np.array([d[1], -d[0]])  # cross(up, end - start) on the floor (x, z)
        mid = (a + b) / 2
        if all(float(np.dot(lit, r - mid)) < 0 for r in refs):
            who = "every shot's camera" if scene.shots else "the set"
            err = ctx.error(
                f"flat section '{sec.name}' turns its lit face away from {who}, so "
                "the cameras see its black back; swap start_xz_m and end_xz_m",
                ("stage", "sections", k),
            )
            out.append(str(err))
    return out


def _check_motion(scene: sc.Scene, m: schema.SceneFile, ctx: _Ctx) -> None:
    """Expand every moving shot now and check what it does at every key, so a move or key that
    cannot be built, or that takes a channel where its static field may not go (a tilt past 90°,
    a zoom past its range, focus inside the lens's close focus, a T-stop the lens lacks), stops
    the load with the field and line of the move or key that did it."""
    from previs.core.frame import _walk_channels, camera_track
    from previs.core.moves import MoveError

    for i, shot in enumerate(scene.shots):
        if shot.moves or shot.keys:
            try:
                track = camera_track(scene, shot)
            except MoveError as exc:
                j = next((j for j, mv in enumerate(shot.moves) if mv is exc.move), None)
                where = ("shots", i, "moves", j) if j is not None else ("shots", i, "keys")
                raise ctx.error(str(exc), where) from None
            except PrevisError as exc:
                raise ctx.error(str(exc), ("shots", i, "moves" if shot.moves else "keys")) from None
            _check_track(track, scene, shot, m.shots[i], i, ctx)
        for j, w in enumerate(shot.walks):
            try:
                _walk_channels(w)
            except PrevisError as exc:
                raise ctx.error(str(exc), ("shots", i, "walks", j)) from None


def _blame(shot: sc.Shot, s: schema.Shot, i: int, channel: str, frame: int) -> PathT:
    """Where a channel's value at ``frame`` comes from: the explicit key there, else the latest
    move driving the channel that has started by then, else the shot's camera."""
    rows = next((r for ch, r in s.keys.items() if ch == channel), [])
    for j, row in enumerate(rows):
        if row and row[0] == frame:
            return ("shots", i, "keys", channel, j)
    moves = [
        (mv.start_frame, j)
        for j, mv in enumerate(shot.moves)
        if channel in mv.drives() and mv.start_frame <= frame
    ]
    if moves:
        return ("shots", i, "moves", max(moves)[1])
    field = {
        "position_m": "position_m",
        "focal_length_mm": "focal_length_mm",
        "focus_m": "focus_m",
        "t_stop": "t_stop",
    }.get(channel)
    return ("shots", i, "camera") + ((field,) if field else ())


_CHANNEL_RANGE = {  # the same bounds each static field has (previs.io.schema)
    "position_m": (-lim.MAX_COORD_M, lim.MAX_COORD_M, "m"),
    "pan_deg": (-lim.MAX_ANGLE_DEG, lim.MAX_ANGLE_DEG, "°"),
    "tilt_deg": (-90.0, 90.0, "°"),
    "roll_deg": (-lim.MAX_ANGLE_DEG, lim.MAX_ANGLE_DEG, "°"),
    "focal_length_mm": (0.0, lim.MAX_FOCAL_MM, " mm"),
    "focus_m": (0.0, lim.MAX_MAGNITUDE, " m"),  # or exactly .inf
    "t_stop": (0.0, lim.MAX_MAGNITUDE, ""),
}


def _check_track(track, scene: sc.Scene, shot: sc.Shot, s: schema.Shot, i: int, ctx: _Ctx) -> None:
    kit = presets.get_lens_kit(scene.camera.lens_kit)
    for name, ch in track.channels.items():
        lo, hi, unit = _CHANNEL_RANGE[name]
        values = ch.key_values
        ok = (
            (values > lo) & (values <= hi)
            if lo == 0.0
            else (values >= lo - 1e-9) & (values <= hi + 1e-9)
        )
        ok = (ok & np.isfinite(values)) | ((values == math.inf) & (name == "focus_m"))
        bad = np.flatnonzero(~ok.all(axis=1))
        if len(bad):
            k = ch.keys[int(bad[0])]
            v = values[int(bad[0])]
            got = ", ".join(f"{x:g}" for x in v)
            side = f"above {lo:g}" if lo == 0.0 else f"within {lo:g}..{hi:g}{unit}"
            raise ctx.error(
                f"{name} reaches {got}{unit} at frame {k.frame}; it must be {side}",
                _blame(shot, s, i, name, k.frame),
            )
    # Focus at infinity holds: a fade to or from it has no middle (inf - x), so the key before
    # and the key at infinity must both be holds.
    keys = track.channels["focus_m"].keys
    for a, b in zip(keys, keys[1:], strict=False):
        if (math.isinf(a.value[0]) or math.isinf(b.value[0])) and a.interp != "hold":
            at = a if math.isinf(a.value[0]) else b
            raise ctx.error(
                f"focus_m travels to or from infinity between frames {a.frame} and "
                f"{b.frame}; make the key at frame {a.frame} a hold, or key a far "
                "finite distance instead",
                _blame(shot, s, i, "focus_m", at.frame),
            )
    # The lens: one lens per shot, every focal length on it, focus and T-stop within it.
    focal_ch, focus_ch, stop_ch = (
        track.channels[n] for n in ("focal_length_mm", "focus_m", "t_stop")
    )
    lenses: dict[float, optics.Lens] = {}
    for k in focal_ch.keys:
        f = round(k.value[0], 6)
        if f not in lenses:
            try:
                lenses[f] = kit.lens_at(f)
            except PresetError as exc:
                raise ctx.error(str(exc), _blame(shot, s, i, "focal_length_mm", k.frame)) from None
    if len(lenses) > 1:
        lo_f, hi_f = min(lenses), max(lenses)
        where = _blame(
            shot,
            s,
            i,
            "focal_length_mm",
            next(
                k.frame
                for k in focal_ch.keys
                if round(k.value[0], 6) != round(focal_ch.keys[0].value[0], 6)
            ),
        )
        if kit.kind != "zoom":
            raise ctx.error(
                f"the focal length changes ({lo_f:g}–{hi_f:g} mm) but {kit.name} is a "
                "prime kit; use a zoom kit",
                where,
            )
        if len({lens.zoom_range_mm for lens in lenses.values()}) > 1:
            raise ctx.error(
                f"the focal length runs {lo_f:g}–{hi_f:g} mm, past the range of one "
                f"of {kit.name}'s zooms",
                where,
            )
    frames = sorted({k.frame for ch in (focal_ch, focus_ch, stop_ch) for k in ch.keys})
    focal = focal_ch.evaluate_many(frames)[:, 0]
    focus = focus_ch.evaluate_many(frames)[:, 0]
    stop = stop_ch.evaluate_many(frames)[:, 0]
    for fr, f, d, t in zip(frames, focal, focus, stop, strict=True):
        lens = lenses.get(round(float(f), 6)) or kit.lens_at(float(f))
        for name, check, value in (
            ("focus_m", optics.validate_focus, d),
            ("t_stop", optics.validate_t_stop, t),
        ):
            try:
                check(lens, float(value))
            except PresetError as exc:
                raise ctx.error(f"{exc} at frame {fr}", _blame(shot, s, i, name, fr)) from None


def _stage(st: schema.Stage | None, ctx: _Ctx) -> sc.LedVolume | None:
    if st is None:
        return None
    p = st.panel
    if p.model is not None:
        model = presets.find_panel_model(p.model)
        if model is None:
            known = ", ".join(presets.panel_models())
            raise ctx.error(
                f"unknown panel model {p.model!r}; known: {known}", ("stage", "panel", "model")
            )
    else:  # the name may name a preset ("ROE Black Pearl BP2"); else the generic RGB panel
        model = presets.find_panel_model(p.name) or presets.generic_panel()
    prim = (
        model.primaries_xy
        if p.primaries_xy is None
        else (p.primaries_xy.red, p.primaries_xy.green, p.primaries_xy.blue)
    )
    panel = sc.PanelSpec(
        p.name,
        p.pixel_pitch_mm,
        p.panel_size_mm[0],
        p.panel_size_mm[1],
        p.panel_pixels[0],
        p.panel_pixels[1],
        p.peak_nits,
        p.viewing_angle_deg,
        p.fill_factor,
        refresh_hz=model.refresh_hz if p.refresh_hz is None else p.refresh_hz,
        scan_ratio=model.scan_ratio if p.scan_ratio is None else p.scan_ratio,
        primaries_xy=tuple(vec2(c) for c in prim),
        model=model.id,
    )
    try:
        processor = presets.get_processor(st.processing.processor)
    except PresetError as exc:
        raise ctx.error(str(exc), ("stage", "processing", "processor")) from None
    budget = st.processing.render_node_budget_px or presets.default_render_node_budget_px()
    white_k = None
    white = model.white_xy
    if st.white_point is not None:
        if st.white_point.kelvin is not None:
            from previs.core.stage_light import kelvin_to_xy_planck

            white_k = st.white_point.kelvin
            white = kelvin_to_xy_planck(white_k)
        else:
            white = _given(st.white_point.xy, "stage.white_point.xy")
    sections: list[sc.CurvedSection | sc.FlatSection] = []
    for i, s in enumerate(st.sections):
        name = s.name or f"section {i + 1}"
        if isinstance(s, schema.CurvedSection):
            sections.append(
                sc.CurvedSection(
                    name,
                    s.center_xz_m,
                    s.radius_m,
                    s.start_azimuth_deg,
                    s.arc_deg,
                    s.height_m,
                    s.bottom_m,
                )
            )
        else:
            sections.append(sc.FlatSection(name, s.start_xz_m, s.end_xz_m, s.height_m, s.bottom_m))
    ceiling = None
    if st.ceiling is not None:
        c = st.ceiling
        ceiling = sc.Ceiling(c.height_m, c.center_xz_m, c.width_m, c.depth_m)
    f = st.inner_frustum
    inner = sc.InnerFrustum(
        f.enabled, f.overscan_pct, f.soft_edge_pct, f.latency_frames, f.resolution_px, f.show_border
    )
    return sc.LedVolume(
        panel,
        tuple(sections),
        ceiling,
        st.floor_size_m[0],
        st.floor_size_m[1],
        inner,
        genlock=st.genlock,
        white_xy=vec2(white),
        white_kelvin=white_k,
        processor=processor.id,
        render_node_budget_px=int(budget),
    )


def _asset_path(
    ctx: _Ctx, written: str, field: PathT, *, kind: str, variants: dict[str, str] | None = None
) -> Path:
    """Resolve a mesh path against the scene folder and load it once (cached) to prove it works.
    :func:`load_asset` judges the path (FIFOs, devices, too-long names) in its own words."""
    shown = printable(written)
    p = Path(os.path.expanduser(written))
    full = p if p.is_absolute() else ctx.folder / p
    if full.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ctx.error(
            f"'{shown}' is not a {kind} previs reads (use {', '.join(SUPPORTED_SUFFIXES)})", field
        )
    if os.path.isfile(full) and not os.access(full, os.R_OK):
        raise ctx.error(f"{kind} file '{shown}' is not readable (permission denied)", field)
    try:
        asset = load_asset(full, variants=variants or None)
    except AssetError as exc:
        why = getattr(exc, "reason", None) or str(exc)
        if variants and why.startswith("variant set"):
            raise ctx.error(f"{kind} '{shown}': {why}", (*field[:-1], "variants")) from None
        if why == "file not found" or why == "not found":
            raise ctx.error(
                f"{kind} file '{shown}' not found (looked for {printable(full)})", field
            ) from None
        if why.startswith("a directory"):
            raise ctx.error(f"{kind} path '{shown}' is a directory, not a file", field) from None
        raise ctx.error(f"cannot load {kind} '{shown}': {why}", field) from None
    if variants and full.suffix.lower() not in (".usd", ".usda", ".usdc", ".usdz"):
        raise ctx.error(
            f"variants are for USD files; '{shown}' is not one", (*field[:-1], "variants")
        )
    for w in getattr(asset, "warnings", ()):  # a USD file's missing layers, subdivision, ...
        ctx.asset_warnings.append(str(ctx.error(f"{kind} '{shown}': {w}", field)))
    return full.resolve()


def _environment(e: schema.Environment, ctx: _Ctx) -> sc.Environment:
    gltf = None
    if e.gltf is not None:
        gltf = _asset_path(ctx, e.gltf, ("environment", "gltf"), kind="environment")
    unit = schema.UNIT_SCALE[e.units]
    sky = None
    if e.sky is not None:
        sky = sc.Sky(e.sky.sun_azimuth_deg, e.sky.sun_elevation_deg, e.sky.turbidity)
    return sc.Environment(
        gltf_path=gltf,
        world_from_env=trs(e.translation_m, e.rotation_deg, np.asarray(e.scale) * unit),
        sky=sky,
        wall_brightness_nits=e.wall_brightness_nits,
    )


def _linear(srgb) -> tuple[float, float, float]:
    return vec3(srgb_to_linear(np.asarray(srgb, dtype=np.float64)))


def _piece(p, i: int, ctx: _Ctx) -> sc.SetPiece:
    kind = p.type
    name = p.name or f"{kind} {i + 1}"
    scale = np.asarray(p.scale, dtype=np.float64)
    extra: dict[str, Any] = {}
    if kind == "mesh":
        scale = scale * schema.UNIT_SCALE[p.units]
        extra["mesh_path"] = _asset_path(
            ctx, p.path, ("set", i, "path"), kind="mesh", variants=p.variants
        )
        extra["mesh_variants"] = tuple(sorted((p.variants or {}).items()))
    elif kind in ("box", "plane"):
        extra["size_m"] = tuple(p.size_m)
    elif kind == "cylinder":
        extra.update(radius_m=p.radius_m, height_m=p.height_m)
    elif kind == "standin":
        raise ctx.error(
            "in format 2 a stand-in is a character: list it under characters: "
            "(name, height_m, position_m, facing_deg)",
            ("set", i, "type"),
        )
    colour = (0.5, 0.5, 0.5) if p.color is None else _linear(p.color)
    if p.color is None and kind == "mesh":
        colour = (1.0, 1.0, 1.0)  # a mesh keeps its own materials; white multiplies by one
    return sc.SetPiece(
        name=name,
        kind=kind,
        world_from_local=trs(p.translation_m, p.rotation_deg, scale),
        color_linear=colour,
        roughness=p.roughness,
        metallic=p.metallic,
        **extra,
    )


def _unit(v) -> tuple[float, float, float]:
    a = np.asarray(v, dtype=np.float64)
    a = a / np.linalg.norm(a)
    return vec3(a)


def light_colour(kelvin: float | None, srgb) -> tuple[float, float, float]:
    """Linear RGB with luminance 1 from a colour temperature or an sRGB colour (white if neither)."""
    if kelvin is not None:
        rgb = np.asarray(kelvin_to_linear_rgb(kelvin), dtype=np.float64)
    elif srgb is not None:
        rgb = np.asarray(srgb_to_linear(np.asarray(srgb, dtype=np.float64)))
    else:
        rgb = np.ones(3)
    return vec3(rgb / luminance(rgb))


def _light(li: schema.Light, i: int, ctx: _Ctx | None = None) -> sc.Light:
    if li.fixture is not None or li.gel is not None or li.dimmer_pct is not None:
        return _rigged_light(li, i, ctx)
    kind = _given(li.type, "a light's type")
    name = li.name or f"{kind} {i + 1}"
    beam, field = li.angles_deg()
    kw: dict[str, Any] = {}
    if kind == "directional":
        if li.direction is not None:
            kw["direction"] = _unit(li.direction)
        else:
            az = math.radians(_given(li.azimuth_deg, "azimuth_deg"))
            el = math.radians(_given(li.elevation_deg, "elevation_deg"))
            towards_light = (math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el))
            kw["direction"] = _unit([-c for c in towards_light])
        intensity = _given(li.illuminance_lux, "illuminance_lux")
    else:
        position = _given(li.position_m, "position_m")
        kw["position_m"] = vec3(position)
        if kind == "spot":
            aim = (
                li.direction
                if li.direction is not None
                else np.subtract(_given(li.target_m, "target_m"), position)
            )
            kw["direction"] = _unit(aim)
            solid_angle = 2.0 * math.pi * (1.0 - math.cos(math.radians(field) / 2.0))
        else:
            solid_angle = 4.0 * math.pi
        intensity = (
            li.intensity_cd
            if li.intensity_cd is not None
            else _given(li.lumens, "lumens") / solid_angle
        )
    return sc.Light(
        name=name,
        type=kind,
        color_linear=light_colour(li.kelvin, li.color),
        intensity=float(intensity),
        beam_angle_deg=beam,
        field_angle_deg=field,
        range_m=li.range_m,
        size_m=li.size_m,
        shadows=li.shadows,
        kelvin=li.kelvin,
        **kw,
    )


def _rigged_light(li: schema.Light, i: int, ctx: _Ctx | None) -> sc.Light:
    """A library fixture (previs.core.fixtures), or a raw light through a dimmer and a gel:
    each library mistake one line naming the field."""
    from previs.core import fixtures as fx

    def error(exc: PrevisError, key: str) -> PrevisError:
        return ctx.error(str(exc), ("lights", i, key)) if ctx is not None else exc

    gel = None
    if li.gel is not None:
        try:
            gel = fx.get_gel(li.gel)
        except PresetError as exc:
            raise error(exc, "gel") from None
    dimmer = 100.0 if li.dimmer_pct is None else float(li.dimmer_pct)
    if li.fixture is None:  # a raw light: its own photometrics, dimmed and gelled
        raw = dataclasses.replace(
            _light(li.model_copy(update={"gel": None, "dimmer_pct": None}), i), dimmer_pct=dimmer
        )
        try:
            kelvin, rgb, transmission = fx.gelled(raw.kelvin, raw.color_linear, gel)
        except PresetError as exc:
            raise error(exc, "gel") from None
        return dataclasses.replace(
            raw,
            intensity=raw.intensity * dimmer / 100.0 * transmission,
            kelvin=kelvin,
            color_linear=vec3(rgb),
            gel=None if gel is None else gel.id,
        )
    try:
        fixture = fx.get_fixture(li.fixture)
    except PresetError as exc:
        raise error(exc, "fixture") from None
    try:
        fixture.setting(li.setting)
    except PresetError as exc:
        raise error(exc, "setting") from None
    colour = None if li.color is None else srgb_to_linear(np.asarray(li.color, dtype=np.float64))
    try:
        p = fx.rig(
            fixture, li.setting, dimmer_pct=dimmer, kelvin=li.kelvin, gel=gel, color_linear=colour
        )
    except PresetError as exc:
        key = (
            "gel"
            if gel is not None and str(exc).startswith(gel.name)
            else "color"
            if li.color is not None
            else "kelvin"
        )
        raise error(exc, key) from None
    position = _given(li.position_m, "position_m")
    aim = (
        li.direction
        if li.direction is not None
        else np.subtract(_given(li.target_m, "target_m"), position)
    )
    return sc.Light(
        name=li.name or f"{fixture.id} {i + 1}",
        type="spot",
        color_linear=p.color_linear,
        intensity=p.intensity_cd,
        position_m=vec3(position),
        direction=_unit(aim),
        beam_angle_deg=p.beam_deg,
        field_angle_deg=p.field_deg,
        range_m=li.range_m,
        size_m=li.size_m if "size_m" in li.model_fields_set else p.size_m,
        shadows=li.shadows,
        kelvin=p.kelvin,
        fixture=fixture.id,
        setting=p.setting,
        dimmer_pct=dimmer,
        gel=None if gel is None else gel.id,
        fixture_kelvin=li.kelvin,
    )


def _camera(m: schema.SceneFile, ctx: _Ctx) -> sc.CameraSettings:
    c = m.camera
    try:
        body = presets.get_body(c.body)
    except PresetError as exc:
        raise ctx.error(str(exc), ("camera", "body")) from None
    try:
        mode = presets.get_mode(body.id, c.mode)
    except PresetError as exc:
        raise ctx.error(str(exc), ("camera", "mode")) from None
    try:
        kit = presets.get_lens_kit(c.lens_kit)
    except PresetError as exc:
        raise ctx.error(str(exc), ("camera", "lens_kit")) from None
    return sc.CameraSettings(
        body=body.id,
        mode=mode.mode_id,
        lens_kit=kit.id,
        iso=c.iso,
        shutter_angle_deg=c.shutter_angle_deg,
        t_stop=c.t_stop,
        focus_m=c.focus_m,
        delivery_aspect=c.delivery_aspect,
        safe_areas=c.safe_areas,
        white_balance_k=c.white_balance_k,
    )


def _shot(
    s: schema.Shot, i: int, m: schema.SceneFile, camera: sc.CameraSettings, ctx: _Ctx
) -> sc.Shot:
    here = ("shots", i, "camera")
    cam = s.camera
    try:
        lens = presets.get_lens(camera.lens_kit, cam.focal_length_mm)
    except PresetError as exc:
        raise ctx.error(str(exc), here + ("focal_length_mm",)) from None
    for key, own, package in (
        ("focus_m", cam.focus_m, camera.focus_m),
        ("t_stop", cam.t_stop, camera.t_stop),
    ):
        check = optics.validate_focus if key == "focus_m" else optics.validate_t_stop
        try:
            check(lens, own if own is not None else package)
        except PresetError as exc:
            if own is not None:
                raise ctx.error(str(exc), here + (key,)) from None
            raise ctx.error(
                f"{exc} (the camera's {key} {package:g}; give this shot its own {key})", here
            ) from None
    if s.length_frames is not None:
        length = s.length_frames
    else:
        length = round(_given(s.duration_s, "duration_s") * m.frame_rate)  # finite: bounded
        if length < 1:
            raise ctx.error(
                f"{s.duration_s:g} s is less than one frame at {m.frame_rate} fps",
                ("shots", i, "duration_s"),
            )
        if length > lim.MAX_SHOT_FRAMES:
            raise ctx.error(
                f"{s.duration_s:g} s is {length:,} frames at {m.frame_rate} fps; a shot "
                f"has at most {lim.MAX_SHOT_FRAMES:,} frames",
                ("shots", i, "duration_s"),
            )
    placement = sc.CameraPlacement(
        position_m=vec3(cam.position_m),
        look_at_m=None if cam.look_at_m is None else vec3(cam.look_at_m),
        pan_deg=cam.pan_deg or 0.0,
        tilt_deg=cam.tilt_deg or 0.0,
        roll_deg=cam.roll_deg or 0.0,
        focal_length_mm=lens.focal_length_mm,
        focus_m=cam.focus_m,
        t_stop=cam.t_stop,
    )
    tr = s.transition
    if tr is not None and tr.frames > length:  # a dissolve centred on the cut needs half of it here
        raise ctx.error(
            f"a {tr.frames}-frame dissolve is longer than the shot ({length} frames)",
            ("shots", i, "transition", "frames"),
        )
    return sc.Shot(
        id=s.id,
        scene_number=s.scene,
        description=s.description,
        length_frames=length,
        camera=placement,
        notes=s.notes,
        action=s.action,
        dialogue=s.dialogue,
        support=s.support,
        transition="cut" if tr is None else tr.type,
        transition_frames=0 if tr is None else tr.frames,
        moves=_moves(s, i, length, ctx),
        keys=_keys(s, i, length, ctx),
        walks=_walks(s, i, length, m, ctx),
        marks=_marks(s, i, m, ctx),
        poses=_pose_keys(s, i, length, m, ctx),
        looks=_look_keys(s, i, length, m, ctx),
        light_cues=_light_cues(s, i, length, m, ctx),
        wall_cues=_wall_cues(s, i, length, ctx),
        shot_size=s.shot_size,
        angle=s.angle,
        movement=s.movement,
        take=None if s.take is None else sc.Take(s.take.source, s.take.timecode, s.take.frame_rate),
    )


def _tracking(t: schema.TrackingModel | None) -> sc.Tracking | None:
    if t is None:
        return None
    lenses = tuple(
        sc.LensCalibration(
            focal_length_mm=c.focal_length_mm,
            zoom_counts=tuple(vec2(r) for r in c.zoom or ()),
            focus_counts=tuple(vec2(r) for r in c.focus or ()),
        )
        for c in t.lenses
    )
    return sc.Tracking(
        axes=t.axes,
        yaw_deg=t.yaw_deg,
        origin_m=vec3(t.origin_m),
        pupil_offset_m=vec3(t.pupil_offset_m),
        flip_angles=tuple(t.flip_angles),
        lenses=lenses,
    )


def _end(item, length: int, ctx: _Ctx, where: tuple) -> tuple[int, int]:
    """Frames of a timed item, checked against the shot's length (end defaults to the last)."""
    end = length - 1 if item.end_frame is None else item.end_frame
    if item.start_frame >= length:
        raise ctx.error(
            f"start_frame {item.start_frame} is past the shot's last frame {length - 1}",
            where + ("start_frame",),
        )
    if end >= length:
        raise ctx.error(
            f"end_frame {end} is past the shot's last frame {length - 1}", where + ("end_frame",)
        )
    if end <= item.start_frame:
        raise ctx.error(
            f"end_frame {end} must come after start_frame {item.start_frame}",
            where + ("end_frame",),
        )
    return item.start_frame, end


def _moves(s: schema.Shot, i: int, length: int, ctx: _Ctx) -> tuple:
    from previs.core.moves import Move

    out = []
    for j, mv in enumerate(s.moves):
        where = ("shots", i, "moves", j)
        start, end = _end(mv, length, ctx, where)
        try:
            out.append(
                Move(
                    type=mv.type,
                    start_frame=start,
                    end_frame=end,
                    params=mv.params,
                    interp=mv.interp,
                )
            )
        except PrevisError as exc:
            raise ctx.error(str(exc), where) from None
    return tuple(out)


def _keys(s: schema.Shot, i: int, length: int, ctx: _Ctx) -> tuple:
    from previs.core.animation import CAMERA_CHANNELS, INTERPOLATIONS, key

    out = []
    for name, rows in s.keys.items():
        dims = CAMERA_CHANNELS[name][0]
        lo, hi, unit = _CHANNEL_RANGE[name]
        keys = []
        for j, row in enumerate(rows):
            where = ("shots", i, "keys", name, j)
            if not 2 <= len(row) <= 3:
                raise ctx.error("a key is [frame, value] or [frame, value, interp]", where)
            frame, value = row[0], row[1]
            interp = row[2] if len(row) == 3 else "smooth"
            if not isinstance(frame, int) or isinstance(frame, bool) or not 0 <= frame < length:
                raise ctx.error(
                    f"key frame must be a whole frame within 0..{length - 1}, "
                    f"got {schema.describe(frame)}",
                    where,
                )
            if not isinstance(interp, str) or interp not in INTERPOLATIONS:
                raise ctx.error(
                    f"unknown interpolation {schema.describe(interp)}"
                    f"{schema.suggest(interp, INTERPOLATIONS)}",
                    where,
                )
            flat = value if isinstance(value, list) else [value]
            if len(flat) != dims or not all(
                isinstance(x, int | float) and not isinstance(x, bool) for x in flat
            ):
                raise ctx.error(
                    f"{name} keys need {dims} number{'s' if dims > 1 else ''}, "
                    f"got {schema.describe(value)}",
                    where,
                )
            for x in flat:  # the range the same static field has
                if name == "focus_m" and x == math.inf:
                    continue  # focused at infinity
                if not math.isfinite(x):
                    raise ctx.error(f"{name} keys must be finite numbers, got {x!r}", where)
                if (x <= lo if lo == 0.0 else x < lo) or x > hi:
                    side = f"greater than {lo:g}" if lo == 0.0 else f"within {lo:g}..{hi:g}{unit}"
                    raise ctx.error(f"{name} must be {side}, got {x:g}{unit}", where)
            keys.append(key(frame, flat, interp))
        keys.sort(key=lambda k: k.frame)
        if len({k.frame for k in keys}) != len(keys):
            raise ctx.error("two keys at the same frame", ("shots", i, "keys", name))
        out.append((name, tuple(keys)))
    return tuple(out)


def _named(ctx: _Ctx, name: str, names: list, what: str, where: tuple) -> None:
    """Stop with a did-you-mean when a cue or walk names something the scene does not have."""
    if name not in names:
        known = [n for n in names if n] or ["(none)"]
        raise ctx.error(f"no {what} named {show(name)}{schema.suggest(name, known)}", where)


def _walks(s: schema.Shot, i: int, length: int, m: schema.SceneFile, ctx: _Ctx) -> tuple:
    from previs.io.blocking import walk_points

    people = [c.name for c in m.characters]
    out = []
    for j, w in enumerate(s.walks):
        where = ("shots", i, "walks", j)
        who_key = "character" if w.character is not None else "standin"
        _named(ctx, w.who, people, "character", where + (who_key,))
        points = walk_points(w, s, i, j, m, ctx)
        if w.speed_mps is not None:  # the end frame follows from the path and the speed
            from previs.core.moves import _path_points, _path_samples  # noqa: PLC2701

            try:
                pts = _path_points("walk", None, points)
            except PrevisError as exc:
                raise ctx.error(str(exc), where) from None
            pos, _ = _path_samples(pts, np.linspace(0.0, 1.0, 257), True)
            length_m = float(np.linalg.norm(np.diff(pos, axis=0), axis=1).sum())
            frames = max(1, round(length_m / w.speed_mps * float(m.frame_rate)))
            end = w.start_frame + frames
            if end >= length:
                raise ctx.error(
                    f"{length_m:.2f} m at {w.speed_mps:g} m/s takes {frames} frames: the "
                    f"walk would end at frame {end}, past the shot's last frame "
                    f"{length - 1}",
                    where + ("speed_mps",),
                )
            if w.start_frame >= length:
                raise ctx.error(
                    f"start_frame {w.start_frame} is past the shot's last frame {length - 1}",
                    where + ("start_frame",),
                )
            start = w.start_frame
        else:
            start, end = _end(w, length, ctx, where)
        out.append(
            sc.Walk(
                standin=w.who,
                points_m=points,
                start_frame=start,
                end_frame=end,
                constant_speed=w.constant_speed,
                interp=w.interp,
                gait=w.gait,
                marks=tuple(w.marks or ()),
            )
        )
    return tuple(out)


def _unique_people(ctx: _Ctx, m: schema.SceneFile) -> None:
    """Characters and set pieces share one namespace (moves aim at either by name)."""
    pieces = {p.name: k for k, p in enumerate(m.set_pieces) if p.name is not None}
    for k, c in enumerate(m.characters):
        if c.name in pieces:
            j = pieces[c.name]
            raise ctx.error(
                f"character '{c.name}' has the name of set[{j}] (line "
                f"{ctx.lines.line_of(('set', j, 'name'))}); names must differ",
                ("characters", k, "name"),
            )


def _character(c: schema.Character, i: int, m: schema.SceneFile, pieces, ctx: _Ctx) -> sc.SetPiece:
    where = ("characters", i)
    if c.seat is not None:
        _named(ctx, c.seat, [p.name for p in pieces], "set piece", where + ("seat",))
    pos = c.position_m if c.position_m is not None else (c.translation_m or (0.0, 0.0, 0.0))
    rot = c.rotation_deg if c.rotation_deg is not None else (0.0, c.facing_deg or 0.0, 0.0)
    from previs.core.figure import CHARACTER_COLOURS_SRGB8, srgb8_to_linear

    if c.color is not None:
        colour = _linear(c.color)
    elif ("characters", i) in ctx.moved:  # a format-1 stand-in renders grey, as it did
        colour = (0.5, 0.5, 0.5)
    else:  # the palette colour the plans give it: one colour everywhere
        k = sum(1 for other in m.characters[:i] if other.color is None)
        colour = srgb8_to_linear(CHARACTER_COLOURS_SRGB8[k % len(CHARACTER_COLOURS_SRGB8)])
    return sc.SetPiece(
        name=c.name,
        kind="standin",
        world_from_local=trs(pos, rot, np.asarray(c.scale)),
        height_m=c.height_m,
        color_linear=colour,
        roughness=c.roughness,
        metallic=c.metallic,
        pose=c.pose,
        seat=c.seat,
        color_stated=c.color is not None,
    )


def _marks(s: schema.Shot, i: int, m: schema.SceneFile, ctx: _Ctx) -> tuple:
    people = {c.name: c for c in m.characters}
    out = []
    for who, marks in s.marks.items():
        _named(ctx, who, list(people), "character", ("shots", i, "marks", who))
        c = people[who]
        y = (c.position_m or c.translation_m or (0.0, 0.0, 0.0))[1]
        for name, (x, z) in marks.items():
            out.append(sc.FloorMark(who, name, (float(x), float(y), float(z))))
    return tuple(out)


def _key_frame(ctx: _Ctx, frame: int, length: int, where: tuple) -> int:
    if frame >= length:
        raise ctx.error(
            f"frame {frame} is past the shot's last frame {length - 1}", where + ("frame",)
        )
    return frame


def _pose_keys(s: schema.Shot, i: int, length: int, m: schema.SceneFile, ctx: _Ctx) -> tuple:
    people = [c.name for c in m.characters]
    pieces = [p.name for p in m.set_pieces if p.name is not None]
    out = []
    for j, k in enumerate(s.poses):
        where = ("shots", i, "poses", j)
        _named(ctx, k.character, people, "character", where + ("character",))
        if k.seat is not None:
            _named(ctx, k.seat, pieces, "set piece", where + ("seat",))
        if k.at is not None:
            _named(ctx, k.at, people + pieces, "subject", where + ("at",))
        out.append(
            sc.PoseKey(
                k.character,
                _key_frame(ctx, k.frame, length, where),
                k.pose,
                blend_frames=k.blend_frames,
                seat=k.seat,
                aim_m=None if k.at_m is None else vec3(k.at_m),
                aim_subject=k.at,
            )
        )
    _one_key_a_frame(ctx, out, ("shots", i, "poses"))
    return tuple(sorted(out, key=lambda k: k.frame))


def _look_keys(s: schema.Shot, i: int, length: int, m: schema.SceneFile, ctx: _Ctx) -> tuple:
    people = [c.name for c in m.characters]
    targets = people + [p.name for p in m.set_pieces if p.name is not None] + ["lens", "ahead"]
    out = []
    for j, k in enumerate(s.looks):
        where = ("shots", i, "looks", j)
        _named(ctx, k.character, people, "character", where + ("character",))
        if k.at is not None:
            _named(
                ctx,
                k.at,
                targets,
                "subject (a character, a set piece, lens or ahead)",
                where + ("at",),
            )
            if k.at == k.character:
                raise ctx.error(f"{k.character} cannot look at itself", where + ("at",))
        out.append(
            sc.LookKey(
                k.character,
                _key_frame(ctx, k.frame, length, where),
                at=k.at,
                at_m=None if k.at_m is None else vec3(k.at_m),
                yaw_deg=k.yaw_deg or 0.0,
                pitch_deg=k.pitch_deg or 0.0,
                blend_frames=k.blend_frames,
            )
        )
    _one_key_a_frame(ctx, out, ("shots", i, "looks"))
    return tuple(sorted(out, key=lambda k: k.frame))


def _one_key_a_frame(ctx: _Ctx, keys, where: tuple) -> None:
    seen: dict[tuple[str, int], int] = {}
    for j, k in enumerate(keys):
        if (k.character, k.frame) in seen:
            raise ctx.error(
                f"two keys for {k.character} at frame {k.frame} (also "
                f"{where[-1]}[{seen[(k.character, k.frame)]}])",
                where + (j,),
            )
        seen[(k.character, k.frame)] = j


def _light_cues(s: schema.Shot, i: int, length: int, m: schema.SceneFile, ctx: _Ctx) -> tuple:
    from previs.core.cues import LightCue

    names = [li.name for li in m.lights]
    out = []
    for j, c in enumerate(s.light_cues):
        where = ("shots", i, "light_cues", j)
        _named(ctx, c.light, names, "light", where + ("light",))
        start, end = _end(c, length, ctx, where)
        params = {k: getattr(c, k) for k in schema.EFFECT_KEYS if getattr(c, k) is not None}
        if "colors" in params:
            params["colors"] = tuple(_linear(col) for col in params["colors"])
        try:
            out.append(
                LightCue(
                    light=c.light,
                    start_frame=start,
                    end_frame=end,
                    to_intensity_scale=c.to_intensity_scale,
                    to_kelvin=c.to_kelvin,
                    to_color_linear=None if c.to_color is None else _linear(c.to_color),
                    interp=c.interp,
                    effect=c.effect,
                    params=params,
                )
            )
        except PrevisError as exc:
            raise ctx.error(str(exc), where) from None
    return tuple(out)


def _wall_cues(s: schema.Shot, i: int, length: int, ctx: _Ctx) -> tuple:
    from previs.core.cues import CDL, WallCue

    out = []
    for j, c in enumerate(s.wall_cues):
        where = ("shots", i, "wall_cues", j)
        start, end = _end(c, length, ctx, where)
        fields = {
            k: getattr(c, k)
            for k in (
                "velocity_mps",
                "to_translation_m",
                "to_rotation_deg",
                "to_sun_azimuth_deg",
                "to_sun_elevation_deg",
                "to_time_of_day_h",
                "latitude_deg",
                "day_of_year",
                "north_azimuth_deg",
                "to_turbidity",
                "to_brightness_nits",
            )
            if getattr(c, k) is not None
        }
        if c.to_cdl is not None:
            fields["to_cdl"] = CDL(
                c.to_cdl.slope, c.to_cdl.offset, c.to_cdl.power, c.to_cdl.saturation
            )
        try:
            out.append(WallCue(start_frame=start, end_frame=end, interp=c.interp, **fields))
        except PrevisError as exc:
            raise ctx.error(str(exc), where) from None
    return tuple(out)
