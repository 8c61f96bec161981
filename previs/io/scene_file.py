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
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from previs.core import optics, presets
from previs.core import scene as sc
from previs.core.colour import kelvin_to_linear_rgb, luminance, srgb_to_linear
from previs.core.transforms import trs
from previs.errors import AssetError, PresetError, PrevisError, SceneError
from previs.io import schema
from previs.io.meshes import SUPPORTED_SUFFIXES, load_asset
from previs.io.yaml_lines import LineMap, PathT, format_path, load_yaml, load_yaml_text

FORMAT_VERSION = sc.FORMAT_VERSION

MIGRATIONS: dict[int, Callable[[dict], dict]] = {}
"""``MIGRATIONS[v]`` turns a version-``v`` document into a version ``v + 1`` one. Version 1 is the
first published format, so there are none yet; add one here whenever FORMAT_VERSION goes up."""


def migrate(raw: dict, version: int) -> dict:
    """Bring a document written as ``version`` up to :data:`FORMAT_VERSION`, one step at a time."""
    if version > FORMAT_VERSION:
        raise SceneError(f"format_version {version} was written by a newer previs (this one reads "
                         f"up to {FORMAT_VERSION}); update previs", field="format_version")
    data = dict(raw)
    for v in range(version, FORMAT_VERSION):
        step = MIGRATIONS.get(v)
        if step is None:
            raise SceneError(f"format_version {version} is not a version any previs wrote "
                             f"(this one reads 1 to {FORMAT_VERSION})", field="format_version")
        data = step(data)
        data["format_version"] = v + 1
    return data


# ---------------------------------------------------------------- error plumbing
class _Ctx:
    """The file being loaded: its folder, its raw data and line map, for errors and paths."""

    def __init__(self, path: Path, raw: dict, lines: LineMap):
        self.path = path
        self.folder = path.parent
        self.raw = raw
        self.lines = lines

    def error(self, message: str, path: PathT) -> SceneError:
        return SceneError(message, file=self.path, field=format_path(path) or None,
                          line=self.lines.line_of(path))


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
    "int_parsing": "an integer", "int_type": "an integer", "int_from_float": "an integer",
    "float_parsing": "a number", "float_type": "a number", "finite_number": "a finite number",
    "bool_parsing": "true or false", "bool_type": "true or false",
    "string_type": "text", "list_type": "a list", "tuple_type": "a list",
    "dict_type": "a mapping (key: value lines)", "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
}
_BOUNDS = {"greater_than": ("gt", "greater than"), "greater_than_equal": ("ge", "at least"),
           "less_than": ("lt", "less than"), "less_than_equal": ("le", "at most")}


def _message(err: dict, path: list) -> str:
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
    if kind == "literal_error":
        expected = [e.strip(" '") for e in str(ctx.get("expected", "")).replace(" or ", ",").split(",")]
        expected = [e for e in expected if e]
        if isinstance(value, str):
            return f"unknown value {got}{schema.suggest(value, expected)}"
        return f"expected one of {', '.join(expected)}, got {got}"
    if kind == "union_tag_invalid":
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        tag = ctx.get("tag", "")
        return f"unknown type '{tag}'{schema.suggest(tag, tags)}"
    if kind == "union_tag_not_found":
        return "missing required key 'type'"
    if kind == "extra_forbidden":
        return f"unknown key '{path[-1]}'"
    return err.get("msg", kind)


def _validation_error(exc: ValidationError, ctx: _Ctx) -> SceneError:
    found = []
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
        found.append((ctx.lines.line_of(tuple(path)) or 0, len(found), path, _message(err, path)))
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
        raise SceneError("the file is empty; a scene needs format_version, name, frame_rate, "
                         "camera and shots", file=path, line=1)
    if not isinstance(raw, dict):
        raise SceneError(f"the top level must be a mapping of keys (format_version:, name:, ...), "
                         f"got {schema.describe(raw)}", file=path, line=lines.line_of(()))
    ctx = _Ctx(path, raw, lines)
    known = {f.alias or n for n, f in schema.SceneFile.model_fields.items()}
    if not known & set(raw):
        raise SceneError("this does not look like a previs scene file: it has none of the keys "
                         + ", ".join(sorted(known)), file=path, line=lines.line_of(()))
    version = raw.get("format_version")
    if version is None:
        raise ctx.error(f"missing required key 'format_version' (this previs writes "
                        f"{FORMAT_VERSION})", ("format_version",))
    if isinstance(version, bool) or not isinstance(version, int):
        raise ctx.error(f"expected an integer, got {schema.describe(version)}", ("format_version",))
    if version != FORMAT_VERSION:
        try:
            raw = migrate(raw, version)
        except SceneError as exc:
            raise ctx.error(exc.message, ("format_version",)) from None
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
            raise ctx.error(f"duplicate {what} '{value}' (also {section}[{j}], line {line})",
                            (section, i, key))
        seen[value] = i


def _build(m: schema.SceneFile, ctx: _Ctx) -> sc.Scene:
    _unique(ctx, m.shots, "id", "shot id", "shots")
    _unique(ctx, m.set_pieces, "name", "set piece name", "set")
    _unique(ctx, m.lights, "name", "light name", "lights")
    camera = _camera(m, ctx)
    scene = sc.Scene(
        source_path=ctx.path,
        name=m.name,
        frame_rate=m.frame_rate,
        stage=_stage(m.stage),
        environment=_environment(m.environment, ctx),
        set_pieces=tuple(_piece(p, i, ctx) for i, p in enumerate(m.set_pieces)),
        lights=tuple(_light(li, i) for i, li in enumerate(m.lights)),
        camera=camera,
        shots=tuple(_shot(s, i, m, camera, ctx) for i, s in enumerate(m.shots)),
        format_version=FORMAT_VERSION,
    )
    _check_motion(scene, ctx)
    return scene


def _check_motion(scene: sc.Scene, ctx: _Ctx) -> None:
    """Expand every moving shot now, so a move that cannot be built (overlaps, a subject that is
    not there, a zoom on a prime) stops the load with the shot's field and line."""
    from previs.core.frame import camera_track, walk_poses

    for i, shot in enumerate(scene.shots):
        if shot.moves or shot.keys:
            try:
                track = camera_track(scene, shot)
            except PrevisError as exc:
                raise ctx.error(str(exc), ("shots", i, "moves" if shot.moves else "keys")) from None
            focal = track.channels["focal_length_mm"]
            values = {round(v, 6) for k in focal.keys for v in k.value}
            kit = presets.get_lens_kit(scene.camera.lens_kit)
            if len(values) > 1 and kit.kind != "zoom":
                raise ctx.error(f"the focal length changes ({min(values):g}–{max(values):g} mm) but "
                                f"{kit.name} is a prime kit; use a zoom kit", ("shots", i, "moves"))
        if shot.walks:
            try:
                walk_poses(scene, shot, 0)
            except PrevisError as exc:
                raise ctx.error(str(exc), ("shots", i, "walks")) from None


def _stage(st: schema.Stage | None) -> sc.LedVolume | None:
    if st is None:
        return None
    p = st.panel
    panel = sc.PanelSpec(p.name, p.pixel_pitch_mm, p.panel_size_mm[0], p.panel_size_mm[1],
                         p.panel_pixels[0], p.panel_pixels[1], p.peak_nits, p.viewing_angle_deg, p.fill_factor)
    sections: list[sc.CurvedSection | sc.FlatSection] = []
    for i, s in enumerate(st.sections):
        name = s.name or f"section {i + 1}"
        if isinstance(s, schema.CurvedSection):
            sections.append(sc.CurvedSection(name, s.center_xz_m, s.radius_m, s.start_azimuth_deg,
                                             s.arc_deg, s.height_m, s.bottom_m))
        else:
            sections.append(sc.FlatSection(name, s.start_xz_m, s.end_xz_m, s.height_m, s.bottom_m))
    ceiling = None
    if st.ceiling is not None:
        c = st.ceiling
        ceiling = sc.Ceiling(c.height_m, c.center_xz_m, c.width_m, c.depth_m)
    f = st.inner_frustum
    inner = sc.InnerFrustum(f.enabled, f.overscan_pct, f.soft_edge_pct, f.latency_frames, f.resolution_px,
                            f.show_border)
    return sc.LedVolume(panel, tuple(sections), ceiling, st.floor_size_m[0], st.floor_size_m[1], inner)


def _asset_path(ctx: _Ctx, written: str, field: PathT, *, kind: str) -> Path:
    """Resolve a mesh path against the scene folder and load it once (cached) to prove it works."""
    p = Path(os.path.expanduser(written))
    full = p if p.is_absolute() else ctx.folder / p
    if full.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ctx.error(f"'{written}' is not a {kind} previs reads (use "
                        f"{', '.join(SUPPORTED_SUFFIXES)})", field)
    if not full.exists():
        raise ctx.error(f"{kind} file '{written}' not found (looked for {full})", field)
    if not full.is_file():
        raise ctx.error(f"{kind} path '{written}' is a directory, not a file", field)
    if not os.access(full, os.R_OK):
        raise ctx.error(f"{kind} file '{written}' is not readable (permission denied)", field)
    try:
        load_asset(full)
    except AssetError as exc:
        why = str(exc)
        prefix = f"{full.resolve()}: "
        why = why[len(prefix):] if why.startswith(prefix) else why
        raise ctx.error(f"cannot load {kind} '{written}': {why}", field) from None
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
    return tuple(float(c) for c in srgb_to_linear(np.asarray(srgb, dtype=np.float64)))


def _piece(p, i: int, ctx: _Ctx) -> sc.SetPiece:
    kind = p.type
    name = p.name or f"{kind} {i + 1}"
    scale = np.asarray(p.scale, dtype=np.float64)
    extra: dict[str, Any] = {}
    if kind == "mesh":
        scale = scale * schema.UNIT_SCALE[p.units]
        extra["mesh_path"] = _asset_path(ctx, p.path, ("set", i, "path"), kind="mesh")
    elif kind in ("box", "plane"):
        extra["size_m"] = tuple(p.size_m)
    elif kind == "cylinder":
        extra.update(radius_m=p.radius_m, height_m=p.height_m)
    elif kind == "standin":
        extra["height_m"] = p.height_m
    colour = (0.5, 0.5, 0.5) if p.color is None else _linear(p.color)
    if p.color is None and kind == "mesh":
        colour = (1.0, 1.0, 1.0)  # a mesh keeps its own materials; white multiplies by one
    return sc.SetPiece(name=name, kind=kind,
                       world_from_local=trs(p.translation_m, p.rotation_deg, scale),
                       color_linear=colour, roughness=p.roughness, metallic=p.metallic, **extra)


def _unit(v) -> tuple[float, float, float]:
    a = np.asarray(v, dtype=np.float64)
    a = a / np.linalg.norm(a)
    return tuple(float(x) for x in a)


def light_colour(kelvin: float | None, srgb) -> tuple[float, float, float]:
    """Linear RGB with luminance 1 from a colour temperature or an sRGB colour (white if neither)."""
    if kelvin is not None:
        rgb = np.asarray(kelvin_to_linear_rgb(kelvin), dtype=np.float64)
    elif srgb is not None:
        rgb = np.asarray(srgb_to_linear(np.asarray(srgb, dtype=np.float64)))
    else:
        rgb = np.ones(3)
    return tuple(float(c) for c in rgb / luminance(rgb))


def _light(li: schema.Light, i: int) -> sc.Light:
    name = li.name or f"{li.type} {i + 1}"
    beam, field = li.angles_deg()
    kw: dict[str, Any] = {}
    if li.type == "directional":
        if li.direction is not None:
            kw["direction"] = _unit(li.direction)
        else:
            az, el = math.radians(li.azimuth_deg), math.radians(li.elevation_deg)
            towards_light = (math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el))
            kw["direction"] = _unit([-c for c in towards_light])
        intensity = li.illuminance_lux
    else:
        kw["position_m"] = tuple(li.position_m)
        if li.type == "spot":
            aim = li.direction if li.direction is not None else np.subtract(li.target_m, li.position_m)
            kw["direction"] = _unit(aim)
            solid_angle = 2.0 * math.pi * (1.0 - math.cos(math.radians(field) / 2.0))
        else:
            solid_angle = 4.0 * math.pi
        intensity = li.intensity_cd if li.intensity_cd is not None else li.lumens / solid_angle
    return sc.Light(name=name, type=li.type, color_linear=light_colour(li.kelvin, li.color),
                    intensity=float(intensity), beam_angle_deg=beam, field_angle_deg=field,
                    range_m=li.range_m, size_m=li.size_m, shadows=li.shadows, kelvin=li.kelvin,
                    **kw)


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
    return sc.CameraSettings(body=body.id, mode=mode.mode_id, lens_kit=kit.id, iso=c.iso,
                             shutter_angle_deg=c.shutter_angle_deg, t_stop=c.t_stop,
                             focus_m=c.focus_m, delivery_aspect=c.delivery_aspect,
                             safe_areas=c.safe_areas)


def _shot(s: schema.Shot, i: int, m: schema.SceneFile, camera: sc.CameraSettings,
          ctx: _Ctx) -> sc.Shot:
    here = ("shots", i, "camera")
    cam = s.camera
    try:
        lens = presets.get_lens(camera.lens_kit, cam.focal_length_mm)
    except PresetError as exc:
        raise ctx.error(str(exc), here + ("focal_length_mm",)) from None
    for key, own, package in (("focus_m", cam.focus_m, camera.focus_m),
                              ("t_stop", cam.t_stop, camera.t_stop)):
        check = optics.validate_focus if key == "focus_m" else optics.validate_t_stop
        try:
            check(lens, own if own is not None else package)
        except PresetError as exc:
            if own is not None:
                raise ctx.error(str(exc), here + (key,)) from None
            raise ctx.error(f"{exc} (the camera's {key} {package:g}; give this shot its own "
                            f"{key})", here) from None
    if s.length_frames is not None:
        length = s.length_frames
    else:
        length = round(s.duration_s * m.frame_rate)
        if length < 1:
            raise ctx.error(f"{s.duration_s:g} s is less than one frame at {m.frame_rate} fps",
                            ("shots", i, "duration_s"))
    placement = sc.CameraPlacement(
        position_m=tuple(cam.position_m),
        look_at_m=None if cam.look_at_m is None else tuple(cam.look_at_m),
        pan_deg=cam.pan_deg or 0.0,
        tilt_deg=cam.tilt_deg or 0.0,
        roll_deg=cam.roll_deg or 0.0,
        focal_length_mm=lens.focal_length_mm,
        focus_m=cam.focus_m,
        t_stop=cam.t_stop,
    )
    return sc.Shot(id=s.id, scene_number=s.scene, description=s.description, length_frames=length,
                   camera=placement, notes=s.notes,
                   moves=_moves(s, i, length, ctx),
                   keys=_keys(s, i, length, ctx),
                   walks=_walks(s, i, length, m, ctx),
                   light_cues=_light_cues(s, i, length, m, ctx),
                   wall_cues=_wall_cues(s, i, length, ctx),
                   shot_size=s.shot_size, angle=s.angle, movement=s.movement)


def _end(item, length: int, ctx: _Ctx, where: tuple) -> tuple[int, int]:
    """Frames of a timed item, checked against the shot's length (end defaults to the last)."""
    end = length - 1 if item.end_frame is None else item.end_frame
    if item.start_frame >= length:
        raise ctx.error(f"start_frame {item.start_frame} is past the shot's last frame {length - 1}",
                        where + ("start_frame",))
    if end >= length:
        raise ctx.error(f"end_frame {end} is past the shot's last frame {length - 1}", where + ("end_frame",))
    if end <= item.start_frame:
        raise ctx.error(f"end_frame {end} must come after start_frame {item.start_frame}", where + ("end_frame",))
    return item.start_frame, end


def _moves(s: schema.Shot, i: int, length: int, ctx: _Ctx) -> tuple:
    from previs.core.moves import Move

    out = []
    for j, mv in enumerate(s.moves):
        where = ("shots", i, "moves", j)
        start, end = _end(mv, length, ctx, where)
        try:
            out.append(Move(type=mv.type, start_frame=start, end_frame=end, params=mv.params, interp=mv.interp))
        except PrevisError as exc:
            raise ctx.error(str(exc), where) from None
    return tuple(out)


def _keys(s: schema.Shot, i: int, length: int, ctx: _Ctx) -> tuple:
    from previs.core.animation import CAMERA_CHANNELS, INTERPOLATIONS, key

    out = []
    for name, rows in s.keys.items():
        dims = CAMERA_CHANNELS[name][0]
        keys = []
        for j, row in enumerate(rows):
            where = ("shots", i, "keys", name, j)
            if not 2 <= len(row) <= 3:
                raise ctx.error("a key is [frame, value] or [frame, value, interp]", where)
            frame, value = row[0], row[1]
            interp = row[2] if len(row) == 3 else "smooth"
            if not isinstance(frame, int) or isinstance(frame, bool) or not 0 <= frame < length:
                raise ctx.error(f"key frame must be a whole frame within 0..{length - 1}, got {frame!r}", where)
            if interp not in INTERPOLATIONS:
                raise ctx.error(f"unknown interpolation '{interp}'{schema.suggest(interp, INTERPOLATIONS)}", where)
            flat = value if isinstance(value, list) else [value]
            if len(flat) != dims or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in flat):
                raise ctx.error(f"{name} keys need {dims} number{'s' if dims > 1 else ''}, got {value!r}", where)
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
        raise ctx.error(f"no {what} named '{name}'{schema.suggest(name, known)}", where)


def _walks(s: schema.Shot, i: int, length: int, m: schema.SceneFile, ctx: _Ctx) -> tuple:
    standins = [p.name for p in m.set_pieces if p.type == "standin"]
    out = []
    for j, w in enumerate(s.walks):
        where = ("shots", i, "walks", j)
        _named(ctx, w.standin, standins, "stand-in", where + ("standin",))
        start, end = _end(w, length, ctx, where)
        out.append(sc.Walk(standin=w.standin, points_m=tuple(tuple(p) for p in w.points_m), start_frame=start,
                           end_frame=end, constant_speed=w.constant_speed, interp=w.interp))
    return tuple(out)


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
            out.append(LightCue(light=c.light, start_frame=start, end_frame=end,
                                to_intensity_scale=c.to_intensity_scale, to_kelvin=c.to_kelvin,
                                to_color_linear=None if c.to_color is None else _linear(c.to_color),
                                interp=c.interp, effect=c.effect, params=params))
        except PrevisError as exc:
            raise ctx.error(str(exc), where) from None
    return tuple(out)


def _wall_cues(s: schema.Shot, i: int, length: int, ctx: _Ctx) -> tuple:
    from previs.core.cues import CDL, WallCue

    out = []
    for j, c in enumerate(s.wall_cues):
        where = ("shots", i, "wall_cues", j)
        start, end = _end(c, length, ctx, where)
        fields = {k: getattr(c, k) for k in ("velocity_mps", "to_translation_m", "to_rotation_deg",
                                             "to_sun_azimuth_deg", "to_sun_elevation_deg", "to_time_of_day_h",
                                             "latitude_deg", "day_of_year", "north_azimuth_deg", "to_turbidity",
                                             "to_brightness_nits") if getattr(c, k) is not None}
        if c.to_cdl is not None:
            fields["to_cdl"] = CDL(c.to_cdl.slope, c.to_cdl.offset, c.to_cdl.power, c.to_cdl.saturation)
        try:
            out.append(WallCue(start_frame=start, end_frame=end, interp=c.interp, **fields))
        except PrevisError as exc:
            raise ctx.error(str(exc), where) from None
    return tuple(out)
