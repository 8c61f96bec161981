"""Shot lists: one row per shot with the columns a first AD expects, as CSV, JSON, Markdown and PDF.

    rows = shot_rows(scene, overrides={"1B": {"shot_size": "MS"}})
    write_csv(rows, "out/shotlist.csv")
    export_shotlist(scene, "out/paperwork")      # -> [.csv, .json, .md, .pdf]

Columns (:data:`COLUMNS`): scene, shot, setup, description, shot size, angle, movement, lens (focal
length, kit, body and recording mode), T-stop, focus, duration (frames and timecode), cast or
stand-ins, lighting cue, stage checks, notes.

What is derived from the blocking, and how
------------------------------------------
Everything is pure geometry on :class:`~previs.core.frame.FrameState` (no GL). A value the scene
file states wins: ``shot.shot_size`` / ``shot.angle`` / ``shot.movement`` when the shot has such an
attribute, then the ``overrides`` argument of :func:`shot_rows` (``{shot_id: {column: value}}``),
which can replace any column.

**Framing a stand-in** (:func:`framings`). Each ``standin`` set piece is a vertical centre line
from its feet to the top of its head (``height_m`` through its world transform; a walking
stand-in's pose comes from ``FrameState.poses``), sampled at 1 % steps and projected through the
camera into the *delivered* frame: the largest centred rectangle of the delivery aspect inside
the recorded image (the frame lines the renderer draws, ``previs.render.frame_rect_uv``). A
stand-in is *in frame* when some of its centre line is inside the frame lines and in front of the
lens. Its **framing ratio** is the frame height as a fraction of its standing height, measured on
the visible part: walking down from the top of the head (or from where the body enters the frame,
when the head is cut off), the run of the body that stays in frame is a fraction ``v`` of the
stature and spans a fraction ``s`` of the frame height, so ``ratio = v / s`` (a body wholly in
frame gives ``1 / s``). When that run is foreshortened to almost nothing on the screen (a camera
looking straight down on a head), the ratio is the frame height at the depth of the eyes over
the stature instead (reference §3.5: ``FrameHeight = d · h_sensor / f``). Occlusion by the set is
ignored.

**The subject** of a frame is the in-frame stand-in whose eyes (93.5 % of stature) are in frame
and nearest the lens axis; failing that, the in-frame stand-in nearest the lens axis.

**Shot size** (:func:`shot_size_for_ratio`) from the subject's ratio, with boundaries at the
geometric means of the nominal values of reference §3.5 (ECU ≤ 0.1, CU 0.2, MCU 0.3, MS 0.45,
MWS 0.65–0.75, FS 1.1–1.3, WS 1.5–3, EWS ≥ 3):
ECU < 0.14 ≤ CU < 0.25 ≤ MCU < 0.37 ≤ MS < 0.55 ≤ MWS < 0.9 ≤ FS < 1.4 ≤ WS < 3 ≤ EWS.
With **no stand-in in frame**: ``INSERT`` when the focus is nearer than 1.5 m, or when the frame
at the focus distance is less than 0.55 of a 1.75 m person tall (a long lens on an object: the
same boundary as MS/MWS); otherwise ``WS``, or ``EWS`` when that frame is at least 3 × 1.75 m
tall (an empty landscape). A size is worked out at the first frame and at every key frame of a
moving shot (:func:`previs.core.frame.key_frames`); when it changes the column reads
``FS → MWS`` (consecutive repeats collapsed).

**Angle** (:func:`derive_angle`) at the same frames: ``overhead`` when the tilt is −60° or lower;
else, with a subject, the elevation of its eyes seen from the lens: above +5° the camera looks up
(``low``), below −5° it looks down (``high``), otherwise ``eye level``; with no subject the
camera's tilt decides the same way. ``Dutch`` is added when the roll exceeds ±5° (``low, Dutch``).

**Movement** (:func:`derive_movement`), in order of start frame: each named move by its type and
direction (``dolly in``/``out``, ``truck left``/``right``, ``pedestal up``/``down``, ``pan``,
``tilt``, ``dutch``, ``crane up``/``down``/``swing``, ``orbit left``/``right`` (the way the camera
travels), ``push-in``, ``tracking (path)``, ``dolly zoom``, ``zoom in``/``out``, ``rack focus``,
``handheld``). Explicit keys on channels no move drives are read from the built track, from the
key before the channel's first change of value to the key of its last change (which also orders
them): position changes by more than 5 cm along the camera's horizontal forward / right / world up
(and at least a quarter of the largest of the three) read as dolly / truck / pedestal; pan, tilt or roll by more than 1° as pan / tilt / dutch; the focal length by
more than 0.5 mm as a zoom (a dolly and a zoom the opposite way as a dolly zoom); focus by more than
0.05 dioptre as a rack focus. Nothing moving: ``static``.

**Setup** (:func:`assign_setups`): within a scene number, shots in file order; a shot joins the
first earlier setup whose first shot's camera is within 0.3 m and whose lens axis is within 10° at
frame 0, else opens the next setup number (1, 2, ...).

**Cast**: the stand-ins in frame at any of those frames, the subject first. **Lighting cue**: the
shot's light and wall cues in words and frames (``key HMI flicker 24–72; wall: world moves
12 m/s, sun to 8°, 110 nits 0–95``). **Stage checks**: without LED checks, the rig plausibility
warnings of :func:`previs.core.plausibility.check_track`; given the results of ``previs check``
(``checks``: run at export, or read from its ``check.json`` with
:func:`previs.check.read_report`), each shot's verdict in a few words, worst first, with the
numbers (``FAIL moiré: 0.77 photosites/LED pitch at 15.1 m``, ``FAIL shooting off 2.7 % (bare
floor), frames 76–143``, ``FAIL overscan 27 % needed > 20 % set (3 fr latency)``, or ``LED checks
pass``), then its warnings (steep viewing angle, medium moiré, the rig). The Markdown and PDF say
in their heading whether the LED checks ran (:func:`led_checks_note`), so an empty column never
reads as "all clear"; the JSON carries the same line as ``led_checks``.

Files
-----
All writes are atomic (:func:`previs.export.atomic.write_atomic`). CSV is UTF-8 with a byte-order mark
(so spreadsheet programs read the "→", "°" and "–" right; read it back with ``utf-8-sig``), one
header row of the column titles. JSON is ``{"format": "previs-shotlist", "version": 1, ...}`` with
typed values (:func:`read_json` reads it back). The PDF is landscape A4 with a title block, a table
that repeats its header row on every page and wraps its text, and "Page x of y"; it embeds DejaVu
Sans (Condensed) from the system when one is found (or the TTF named by ``PREVIS_PDF_FONT``);
without it the PDF falls back to the core Helvetica font, which cannot show every character, so
"–"/"—" become "-", "→" becomes "->", "…" becomes "...", "≤"/"≥" become "<="/">=" and any other
character outside Latin-1 becomes "?" ("°" and "·" are Latin-1 and stay).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from previs.core import analysis
from previs.core.analysis import (
    SHOT_SIZE_BOUNDS,
    Framing,
    assign_setups,
    frame_half_extents,
    framings,
    shot_size_for_ratio,
)
from previs.core.analysis import movement as derive_movement
from previs.core.scene import Scene, Shot
from previs.core.timecode import format_rate, frames_to_timecode
from previs.errors import ExportError, PrevisError
from previs.export.paper import build_date, default_paper, find_fonts, paper_name, safe_name

__all__ = [
    "ShotRow",
    "COLUMNS",
    "Framing",
    "shot_rows",
    "write_csv",
    "write_json",
    "read_json",
    "write_markdown",
    "write_pdf",
    "export_shotlist",
    "framings",
    "shot_size_for_ratio",
    "derive_shot_size",
    "derive_angle",
    "derive_movement",
    "assign_setups",
    "lighting_summary",
    "stage_checks",
    "frame_half_extents",
    "SHOT_SIZE_BOUNDS",
    "FORMATS",
    "led_checks_note",
    "LED_CHECKS_NOT_RUN",
    "schedule",
]

FORMAT = "previs-shotlist"
FORMAT_VERSION = 2  # 2: action, dialogue, camera height and tilt, support, cast shares, transition
FORMATS = ("csv", "json", "md", "pdf")

COLUMNS: tuple[tuple[str, str], ...] = (
    ("scene", "Scene"),
    ("shot", "Shot"),
    ("setup", "Setup"),
    ("description", "Description"),
    ("action", "Action"),
    ("dialogue", "Dialogue"),
    ("shot_size", "Shot size"),
    ("angle", "Angle"),
    ("height", "Camera height / tilt"),
    ("support", "Support"),
    ("movement", "Movement"),
    ("lens", "Lens"),
    ("lens_kit", "Lens kit"),
    ("camera", "Camera"),
    ("t_stop", "T-stop"),
    ("focus", "Focus"),
    ("duration_frames", "Frames"),
    ("duration_tc", "Duration"),
    ("cast", "Cast / stand-ins"),
    ("transition", "Transition in"),
    ("lighting_cue", "Lighting cue"),
    ("stage_checks", "Stage checks"),
    ("notes", "Notes"),
)
"""(key, title) of every column, in order: the CSV header is the titles, the JSON uses fields."""


# ---------------------------------------------------------------- the row
@dataclass(frozen=True)
class ShotRow:
    """One shot-list row, typed. Values that change over a moving shot (focal length, T-stop,
    focus) are the distinct values at its key frames, in order (one value when they hold)."""

    scene: str
    shot: str
    setup: int
    description: str
    shot_size: str
    angle: str
    movement: str
    focal_length_mm: tuple[float, ...]
    squeeze: float
    lens_kit: str
    camera_body: str
    camera_mode: str
    t_stop: tuple[float, ...]
    focus_m: tuple[float, ...]
    duration_frames: int
    duration_tc: str
    cast: tuple[str, ...]
    lighting_cue: str
    stage_checks: tuple[str, ...]
    notes: str
    action: str = ""
    dialogue: str = ""
    camera_height_m: tuple[float, ...] = ()
    tilt_deg: tuple[float, ...] = ()
    support: str = ""
    cast_share: tuple[float, ...] = ()  # each cast member's largest share of the frame, 0..1
    transition: str = "cut"  # "cut" or "dissolve 12 fr"

    @property
    def height_text(self) -> str:
        """``1.55 m, tilt +2°``; ``1.50 → 1.20 m`` when a move changes it."""
        if not self.camera_height_m:
            return ""
        return (
            " → ".join(f"{h:.2f}" for h in self.camera_height_m)
            + " m, tilt "
            + " → ".join(f"{t:+.0f}°" for t in self.tilt_deg)
        )

    @property
    def cast_text(self) -> str:
        """``Dale 32 %, Mara 18 %`` (the share of the frame each covers at most); names alone
        where the shares are not known (an override)."""
        if len(self.cast_share) != len(self.cast):
            return ", ".join(self.cast)
        return ", ".join(
            f"{n} {max(1, round(100 * sh))} %"
            for n, sh in zip(self.cast, self.cast_share, strict=True)
        )

    @property
    def lens(self) -> str:
        """``25 mm``; ``40 → 60 mm`` for a zoom in the shot; ``50 mm 2x anamorphic``."""
        text = " → ".join(f"{f:g}" for f in self.focal_length_mm) + " mm"
        return text + (f" {self.squeeze:g}x anamorphic" if self.squeeze != 1 else "")

    @property
    def camera(self) -> str:
        return f"{self.camera_body} {self.camera_mode}".strip()

    @property
    def t_stop_text(self) -> str:
        return " → ".join(f"T{t:g}" for t in self.t_stop)

    @property
    def focus_text(self) -> str:
        return " → ".join("inf" if math.isinf(f) else f"{f:.2f}" for f in self.focus_m) + (
            "" if all(math.isinf(f) for f in self.focus_m) else " m"
        )

    def cells(self) -> dict[str, str]:
        """Every column as the text a sheet shows, keyed as :data:`COLUMNS`."""
        return {
            "scene": self.scene,
            "shot": self.shot,
            "setup": str(self.setup),
            "description": self.description,
            "shot_size": self.shot_size,
            "angle": self.angle,
            "movement": self.movement,
            "lens": self.lens,
            "lens_kit": self.lens_kit,
            "camera": self.camera,
            "t_stop": self.t_stop_text,
            "focus": self.focus_text,
            "duration_frames": str(self.duration_frames),
            "duration_tc": self.duration_tc,
            "cast": self.cast_text,
            "lighting_cue": self.lighting_cue,
            "stage_checks": "; ".join(self.stage_checks),
            "notes": self.notes,
            "action": self.action,
            "dialogue": self.dialogue,
            "height": self.height_text,
            "support": self.support,
            "transition": self.transition,
        }

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        d["focus_m"] = [None if math.isinf(f) else f for f in self.focus_m]  # JSON has no infinity
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_json(cls, d: Mapping) -> ShotRow:
        kw = {}
        for f in dataclasses.fields(cls):
            if f.name not in d:
                if (
                    f.default is not dataclasses.MISSING
                ):  # a version-1 list: the later columns are blank
                    continue
                raise ExportError(f"shot-list row lacks '{f.name}'")
            v = d[f.name]
            if f.name == "focus_m":
                v = tuple(math.inf if x is None else float(x) for x in v)
            elif f.name in (
                "focal_length_mm",
                "t_stop",
                "camera_height_m",
                "tilt_deg",
                "cast_share",
            ):
                v = tuple(float(x) for x in v)
            elif isinstance(v, list):
                v = tuple(v)
            kw[f.name] = v
        return cls(**kw)


# ---------------------------------------------------------------- what the shot is (previs.core.analysis)
def derive_shot_size(scene: Scene, shot: Shot | str) -> str:
    """The shot size: the shot's own ``shot_size`` when it has one, else from the framing at
    the first frame and every key frame (``FS → MWS`` when it changes)."""
    return analysis.shot_size(scene, shot)


def derive_angle(scene: Scene, shot: Shot | str) -> str:
    """The camera angle: the shot's own ``angle`` when it has one, else from the camera's tilt and
    roll and the subject's eyes (``eye level``, ``high``, ``low``, ``overhead``, ``+ Dutch``)."""
    return analysis.angle(scene, shot)


def _shot(scene: Scene, shot: Shot | str) -> Shot:
    return scene.shot(shot) if isinstance(shot, str) else shot


# ---------------------------------------------------------------- cues and checks
def _frames_text(a: int, b: int) -> str:
    return f"at {a}" if a == b else f"{a}–{b}"


def _light_cue_text(c) -> str:
    parts = []
    if c.to_intensity_scale is not None:
        parts.append(
            "off" if c.to_intensity_scale == 0 else f"to {c.to_intensity_scale * 100:.0f} %"
        )
    if c.to_kelvin is not None:
        parts.append(f"to {c.to_kelvin:g} K")
    if c.to_color_linear is not None:
        parts.append("colour change")
    if c.effect:
        parts.append(c.effect)
    return f"{c.light} {', '.join(parts)} {_frames_text(c.start_frame, c.end_frame)}"


def _wall_cue_parts(c) -> list[str]:
    parts = []
    if c.velocity_mps is not None:
        parts.append(f"world moves {float(np.linalg.norm(c.velocity_mps)):.3g} m/s")
    if c.to_translation_m is not None:
        parts.append("world shifts")
    if c.to_rotation_deg is not None:
        parts.append("world turns")
    el, az = c.to_sun_elevation_deg, c.to_sun_azimuth_deg
    if el is not None and az is not None:
        parts.append(f"sun to {el:g}°, azimuth {az:g}°")
    elif el is not None:
        parts.append(f"sun to {el:g}°")
    elif az is not None:
        parts.append(f"sun to azimuth {az:g}°")
    if c.to_time_of_day_h is not None:
        parts.append(f"time of day to {c.to_time_of_day_h:g} h")
    if c.to_turbidity is not None:
        parts.append(f"haze to {c.to_turbidity:g}")
    if c.to_brightness_nits is not None:
        parts.append(f"{c.to_brightness_nits:g} nits")
    if c.to_cdl is not None:
        parts.append("grade change")
    return parts


def lighting_summary(shot: Shot) -> str:
    """The shot's light and wall cues in a line (empty when it has none)."""
    items = [_light_cue_text(c) for c in sorted(shot.light_cues, key=lambda c: c.start_frame)]
    groups: dict[tuple[int, int], list[str]] = {}
    for c in sorted(shot.wall_cues, key=lambda c: c.start_frame):
        groups.setdefault((c.start_frame, c.end_frame), []).extend(_wall_cue_parts(c))
    if groups:
        items.append(
            "wall: "
            + "; ".join(f"{', '.join(p)} {_frames_text(*span)}" for span, p in groups.items())
        )
    return "; ".join(items)


def stage_checks(scene: Scene, shot: Shot | str) -> list[str]:
    """The rig plausibility warnings of a shot's camera track: the Stage checks column when the
    LED checks (which need renders: :func:`previs.check.run_checks`) were not run."""
    from previs.check import plausibility_warnings

    return plausibility_warnings(scene, _shot(scene, shot))


LED_CHECKS_NOT_RUN = (
    "LED stage checks not run: only the rig's plausibility is flagged "
    "(previs export --checks, or previs check)"
)


def _stage_column(scene: Scene, shot: Shot, checks: Mapping | None) -> tuple[str, ...]:
    if checks is None:
        return tuple(stage_checks(scene, shot))
    if shot.id not in checks:
        return ("LED checks not run", *stage_checks(scene, shot))
    return tuple(checks[shot.id].summary)


def led_checks_note(checks: Mapping | None, source: str | None = None) -> str:
    """The heading line that says whether and where the LED checks ran: ``LED stage checks (run
    at export): 8 of 11 shots pass; failing 1A, 2B, 3B``, or :data:`LED_CHECKS_NOT_RUN`."""
    if checks is None:
        return LED_CHECKS_NOT_RUN
    failed = [sid for sid, r in checks.items() if r.failed]
    return (
        f"LED stage checks ({source or 'run at export'}): {len(checks) - len(failed)} of {len(checks)} "
        f"shots pass" + (f"; failing {', '.join(failed)}" if failed else "")
    )


# ---------------------------------------------------------------- rows
def _distinct(values: Iterable[float], digits: int) -> tuple[float, ...]:
    out: list[float] = []
    for v in values:
        v = float(v) if math.isinf(v) else round(float(v), digits)
        if not out or out[-1] != v:
            out.append(v)
    return tuple(out)


_FIELDS = {f.name: f for f in dataclasses.fields(ShotRow)}
_TUPLE_FIELDS = {
    "focal_length_mm",
    "t_stop",
    "focus_m",
    "cast",
    "stage_checks",
    "camera_height_m",
    "tilt_deg",
    "cast_share",
}


def _override(row: ShotRow, values: Mapping) -> ShotRow:
    changes = {}
    for name, v in values.items():
        if name not in _FIELDS:
            raise PrevisError(
                f"shot {row.shot}: no shot-list column '{name}' to override "
                f"(use: {', '.join(_FIELDS)})"
            )
        if name in _TUPLE_FIELDS:
            v = tuple(v) if isinstance(v, list | tuple) else (v,)
            if name in (
                "focal_length_mm",
                "t_stop",
                "focus_m",
                "camera_height_m",
                "tilt_deg",
                "cast_share",
            ):
                v = tuple(float(x) for x in v)
        elif name in ("setup", "duration_frames"):
            v = int(v)
        elif name == "squeeze":
            v = float(v)
        else:
            v = "" if v is None else str(v)
        changes[name] = v
    return dataclasses.replace(row, **changes)


def shot_rows(
    scene: Scene, overrides: Mapping[str, Mapping] | None = None, *, checks: Mapping | None = None
) -> list[ShotRow]:
    """One :class:`ShotRow` per shot, in the file's order. ``overrides`` maps a shot id to
    ``{column: value}`` (column = a :class:`ShotRow` field) and wins over what is derived.
    ``checks`` maps a shot id to its :class:`previs.check.ShotCheck`: its ``summary`` fills the
    Stage checks column (a shot it lacks says the LED checks were not run for it)."""
    overrides = dict(overrides or {})
    unknown = [k for k in overrides if k not in {s.id for s in scene.shots}]
    if unknown:
        raise PrevisError(
            f"shot-list overrides name unknown shot(s) {', '.join(map(str, unknown))} "
            f"(shots: {', '.join(s.id for s in scene.shots)})"
        )
    setups = assign_setups(scene)
    rows = []
    for shot in scene.shots:
        judged = analysis.analyse_shot(scene, shot)
        states = judged.states
        first = states[0]
        row = ShotRow(
            scene=str(shot.scene_number),
            shot=shot.id,
            setup=setups[shot.id],
            description=shot.description,
            shot_size=judged.shot_size,
            angle=judged.angle,
            movement=judged.movement,
            focal_length_mm=_distinct((st.focal_length_mm for st in states), 2),
            squeeze=float(first.squeeze),
            lens_kit=first.lens.kit_name,
            camera_body=first.mode.body_name,
            camera_mode=first.mode.mode_name,
            t_stop=_distinct((st.t_stop for st in states), 2),
            focus_m=_distinct((st.focus_m for st in states), 2),
            duration_frames=int(shot.length_frames),
            duration_tc=frames_to_timecode(int(shot.length_frames), scene.frame_rate),
            cast=judged.cast,
            lighting_cue=lighting_summary(shot),
            stage_checks=_stage_column(scene, shot, checks),
            notes=shot.notes,
            action=shot.action,
            dialogue=shot.dialogue,
            camera_height_m=judged.height_m,
            tilt_deg=judged.tilt_deg,
            support=judged.support,
            cast_share=tuple(share for _, share in judged.cast_share),
            transition=(
                "cut"
                if shot.transition == "cut"
                else f"{shot.transition} {shot.transition_frames} fr"
            ),
        )
        if shot.id in overrides:
            row = _override(row, overrides[shot.id])
        rows.append(row)
    return rows


# ---------------------------------------------------------------- CSV, JSON, Markdown
def _titles() -> list[str]:
    return [title for _, title in COLUMNS]


def csv_text(rows: Sequence[ShotRow]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(_titles())
    for r in rows:
        cells = r.cells()
        w.writerow([cells[k] for k, _ in COLUMNS])
    return buf.getvalue()


def write_csv(rows: Sequence[ShotRow], path) -> Path:
    """The shot list as CSV: a header row of the column titles, one row per shot (UTF-8 with BOM)."""
    path = Path(path)
    from previs.export.atomic import write_atomic

    write_atomic(path, csv_text(rows).encode("utf-8-sig"))
    return path


def _scene_info(scene: Scene) -> dict:
    return {
        "scene": scene.name,
        "source": scene.source_path.name if scene.source_path else None,
        "frame_rate": format_rate(scene.frame_rate),
        "frame_rate_fraction": f"{scene.frame_rate.numerator}/{scene.frame_rate.denominator}",
        "delivery_aspect": scene.camera.delivery_aspect,
    }


def write_json(
    rows: Sequence[ShotRow], path, scene: Scene, *, led_note: str = LED_CHECKS_NOT_RUN
) -> Path:
    """The shot list as JSON with typed values (``format``, ``version``, scene name, frame rate,
    ``led_checks`` = :func:`led_checks_note`, ``columns`` = the titles by field, ``shots``)."""
    from previs import __version__
    from previs.export.atomic import write_atomic

    doc = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        **_scene_info(scene),
        "generator": f"previs {__version__}",
        "led_checks": led_note,
        "columns": dict(COLUMNS),
        "shots": [r.to_json() for r in rows],
    }
    path = Path(path)
    write_atomic(
        path,
        (json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8"),
    )
    return path


def read_json(path) -> list[ShotRow]:
    """The rows of a shot list :func:`write_json` wrote."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExportError(f"{path}: cannot read a shot list ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ExportError(f"{path}: not a previs shot list")
    if doc.get("version", 0) > FORMAT_VERSION:
        raise ExportError(
            f"{path}: shot-list version {doc['version']} is newer than this previs reads "
            f"({FORMAT_VERSION})"
        )
    return [ShotRow.from_json(d) for d in doc.get("shots", [])]


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def markdown_text(
    rows: Sequence[ShotRow], scene: Scene | None = None, *, led_note: str = LED_CHECKS_NOT_RUN
) -> str:
    lines = []
    if scene is not None:
        info = _scene_info(scene)
        lines += [
            f"# Shot list: {_md_cell(scene.name)}",
            "",
            f"{info['frame_rate']} fps · delivery {info['delivery_aspect']} · {len(rows)} shots",
            "",
        ]
    lines += [f"**{_md_cell(led_note)}**", ""]
    lines.append("| " + " | ".join(_titles()) + " |")
    lines.append("|" + "|".join(" --- " for _ in COLUMNS) + "|")
    for r in rows:
        cells = r.cells()
        lines.append("| " + " | ".join(_md_cell(cells[k]) for k, _ in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def write_markdown(
    rows: Sequence[ShotRow], path, scene: Scene | None = None, *, led_note: str = LED_CHECKS_NOT_RUN
) -> Path:
    """The shot list as a Markdown (GitHub) table, one row per shot; a title when given the
    scene; the line that says whether the LED checks ran above the table."""
    from previs.export.atomic import write_atomic

    path = Path(path)
    write_atomic(path, markdown_text(rows, scene, led_note=led_note).encode("utf-8"))
    return path


# ---------------------------------------------------------------- PDF
def find_pdf_fonts() -> tuple[Path, Path] | None:
    """(regular, bold) TTF files for the PDF: DejaVu Sans Condensed, else DejaVu Sans, found as
    :func:`previs.export.paper.find_fonts` finds fonts (``PREVIS_PDF_FONT`` first); None when
    there is none (the PDF then uses core Helvetica, see the module notes)."""
    return find_fonts(("DejaVuSansCondensed", "DejaVuSans"))


_ASCII = {
    "–": "-",
    "—": "-",
    "→": "->",
    "…": "...",
    "≤": "<=",
    "≥": ">=",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "−": "-",
}


def _latin1(text: str) -> str:
    for a, b in _ASCII.items():
        text = text.replace(a, b)
    return text.encode("latin-1", errors="replace").decode("latin-1")


def _words(r: ShotRow) -> str:
    parts = [r.description]
    if r.action:
        parts.append(f"ACTION: {r.action}")
    if r.dialogue:
        parts.append(f"DIALOGUE: {r.dialogue}")
    return "\n".join(p for p in parts if p)


# PDF column layout: (title, relative width, how to build the cell from a row). The camera
# package (body, mode, lens kit) is the same for every row: the heading says it once.
_PDF_COLUMNS = (
    ("Sc", 5, lambda r: r.scene),
    (
        "Shot",
        7,
        lambda r: (
            r.shot
            + ("" if r.transition == "cut" else f"\n{r.transition.replace('dissolve', 'diss.')}")
        ),
    ),
    ("Setup", 8, lambda r: str(r.setup)),
    ("Description · action · dialogue", 46, _words),
    ("Size", 11, lambda r: r.shot_size),
    ("Angle", 11, lambda r: r.angle),
    ("Height · tilt", 14, lambda r: r.height_text.replace(", ", "\n")),
    ("Support", 11, lambda r: r.support),
    ("Movement", 18, lambda r: r.movement),
    ("Lens", 9, lambda r: r.lens.replace(" anamorphic", "\nanamorphic")),
    ("Stop · focus", 13, lambda r: f"{r.t_stop_text}\n{r.focus_text}"),
    ("Duration", 14, lambda r: f"{r.duration_tc}\n{r.duration_frames} fr"),
    ("Cast (share of frame)", 19, lambda r: r.cast_text.replace(", ", "\n")),
    ("Lighting cue", 20, lambda r: r.lighting_cue),
    ("Stage checks", 30, lambda r: "\n".join(r.stage_checks)),
    ("Notes", 22, lambda r: r.notes),
)


def schedule(rows: Sequence[ShotRow]) -> list[tuple[str, int, str, str, list[str]]]:
    """The shooting order: (scene, setup, lens, support, shot ids) for each camera position and
    lens, setups in order within each scene (a lens change at one position is its own line)."""
    groups: dict[tuple[str, int, str], list[ShotRow]] = {}
    for r in rows:
        groups.setdefault((r.scene, r.setup, r.lens), []).append(r)
    scenes = list(dict.fromkeys(r.scene for r in rows))
    order = sorted(
        groups, key=lambda k: (scenes.index(k[0]), k[1], min(rows.index(r) for r in groups[k]))
    )
    return [
        (
            sc,
            su,
            lens,
            ", ".join(dict.fromkeys(r.support for r in groups[(sc, su, lens)])),
            [r.shot for r in groups[(sc, su, lens)]],
        )
        for sc, su, lens in order
    ]


def pdf_bytes(
    rows: Sequence[ShotRow],
    scene: Scene,
    *,
    when=None,
    paper: str | None = None,
    fonts: tuple[Path, Path] | None | bool = True,
    led_note: str = LED_CHECKS_NOT_RUN,
) -> bytes:
    """The PDF as bytes (see :func:`write_pdf`). ``fonts``: True = find them, None/False = core
    Helvetica, or a (regular, bold) pair of TTF paths."""
    from fpdf import FPDF, FontFace
    from fpdf.enums import TableCellFillMode

    from previs import __version__

    paper_format = paper_name(paper or default_paper())  # fpdf's own A4/Letter sizes
    if fonts is True:
        fonts = find_pdf_fonts()
    day = build_date(when)
    info = _scene_info(scene)
    ttf = bool(fonts)
    fix = (lambda s: s) if ttf else _latin1

    class _Sheet(FPDF):
        def footer(self):
            self.set_y(-9)
            self.set_font(family, "", 7)
            self.set_text_color(90)
            self.cell(0, 5, fix(f"{scene.name}  ·  shot list  ·  {day.isoformat()}"), align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    pdf = _Sheet(orientation="L", unit="mm", format=paper_format)
    pdf.set_creation_date(datetime(day.year, day.month, day.day, tzinfo=UTC))
    pdf.set_title(fix(f"Shot list: {scene.name}"))
    pdf.set_creator(f"previs {__version__}")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(True, margin=12)
    if ttf:
        family = "previs-sans"
        pdf.add_font(family, "", str(fonts[0]))
        pdf.add_font(family, "B", str(fonts[1]))
    else:
        family = "helvetica"
    pdf.add_page()
    # title block
    pdf.set_font(family, "B", 15)
    pdf.cell(0, 8, fix(scene.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 9)
    cams = sorted({r.camera for r in rows})
    kits = sorted({r.lens_kit for r in rows})
    lines = [
        f"Shot list  ·  {len(rows)} shots  ·  {info['frame_rate']} fps  ·  delivery {info['delivery_aspect']}",
        f"Camera {', '.join(cams)}  ·  lenses {', '.join(kits)} (every shot; the Lens column gives the focal "
        f"length)",
        f"Date {day.isoformat()}  ·  source {info['source'] or '-'}  ·  previs {__version__}",
    ]
    for line in lines:
        pdf.cell(0, 4.6, fix(line), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "B", 9)
    pdf.multi_cell(0, 4.6, fix(led_note), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(family, "", 6.5)
    grey = (225, 225, 225)
    fail_style = FontFace(
        color=(170, 0, 0)
    )  # a failing shot's checks stand out on a grey printout too
    with pdf.table(
        col_widths=tuple(w for _, w, _ in _PDF_COLUMNS),
        text_align="LEFT",
        v_align="TOP",
        line_height=2.9,
        padding=0.8,
        repeat_headings=1,
        headings_style=FontFace(emphasis="BOLD", fill_color=grey),
        cell_fill_color=(246, 246, 246),
        cell_fill_mode=TableCellFillMode.ROWS,
    ) as table:
        head = table.row()
        for title, _, _ in _PDF_COLUMNS:
            head.cell(fix(title))
        for r in rows:
            row = table.row()
            for title, _, get in _PDF_COLUMNS:
                failing = title == "Stage checks" and any(
                    c.startswith("FAIL") for c in r.stage_checks
                )
                row.cell(fix(get(r)), style=fail_style if failing else None)
    # the shooting order: one line per camera position and lens
    pdf.ln(4)
    pdf.set_font(family, "B", 10)
    pdf.cell(
        0,
        6,
        fix("Shooting order by setup (same camera position and lens)"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font(family, "", 7.5)
    with pdf.table(
        col_widths=(8, 10, 18, 24, 40),
        width=110,
        align="LEFT",
        text_align="LEFT",
        line_height=3.6,
        padding=0.8,
        headings_style=FontFace(emphasis="BOLD", fill_color=grey),
        cell_fill_color=(246, 246, 246),
        cell_fill_mode=TableCellFillMode.ROWS,
    ) as table:
        head = table.row()
        for title in ("Sc", "Setup", "Lens", "Support", "Shots"):
            head.cell(fix(title))
        for sc, su, lens, support, shots in schedule(rows):
            row = table.row()
            for value in (sc, str(su), lens, support, ", ".join(shots)):
                row.cell(fix(value))
    return bytes(pdf.output())


def write_pdf(
    rows: Sequence[ShotRow],
    path,
    scene: Scene,
    *,
    when=None,
    paper: str | None = None,
    led_note: str = LED_CHECKS_NOT_RUN,
) -> Path:
    """A printable shot list: landscape ``paper`` (A4 or Letter), a title block (production,
    rate, camera package once, date), the table with wrapped text and its header row repeated on
    every page, the shooting order by set-up and lens (:func:`schedule`), and "Page x of y".
    ``paper`` None: :func:`previs.export.paper.default_paper`. ``when`` (a date; default ``SOURCE_DATE_EPOCH`` or today) is printed and
    stamped as the creation date, so the same rows and date give the same bytes."""
    from previs.export.atomic import write_atomic

    path = Path(path)
    write_atomic(path, pdf_bytes(rows, scene, when=when, paper=paper, led_note=led_note))
    return path


# ---------------------------------------------------------------- all of it
def _stem(scene: Scene) -> str:
    return safe_name(scene.source_path.stem if scene.source_path else scene.name)


def export_shotlist(
    scene: Scene,
    out_dir,
    formats: Sequence[str] = FORMATS,
    *,
    overrides: Mapping[str, Mapping] | None = None,
    when=None,
    paper: str | None = None,
    shot_ids: Sequence[str] | None = None,
    checks: Mapping | None = None,
    checks_source: str | None = None,
) -> list[Path]:
    """Write the shot list in each of ``formats`` (``csv``, ``json``, ``md``, ``pdf``) to
    ``out_dir/<scene stem>_shotlist.<ext>``; returns the paths in the order asked. ``shot_ids``:
    only those rows (setups still numbered over the whole scene). ``checks``: shot id ->
    :class:`previs.check.ShotCheck` for the Stage checks column; ``checks_source`` says where
    they came from in the heading (default: run at export)."""
    formats = list(dict.fromkeys(str(f).lower().lstrip(".") for f in formats))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise PrevisError(
            f"unknown shot-list format(s) {', '.join(bad) or '(none)'} (use: {', '.join(FORMATS)})"
        )
    rows = shot_rows(scene, overrides, checks=checks)
    if shot_ids is not None:
        keep = {scene.shot(s).id for s in shot_ids}
        rows = [r for r in rows if r.shot in keep]
        if checks is not None:
            checks = {sid: c for sid, c in checks.items() if sid in keep}
    note = led_checks_note(checks, checks_source)
    out_dir = Path(out_dir)
    written = []
    for f in formats:
        path = out_dir / f"{_stem(scene)}_shotlist.{f}"
        if f == "csv":
            write_csv(rows, path)
        elif f == "json":
            write_json(rows, path, scene, led_note=note)
        elif f == "md":
            write_markdown(rows, path, scene, led_note=note)
        else:
            write_pdf(rows, path, scene, when=when, paper=paper, led_note=note)
        written.append(path)
    return written
