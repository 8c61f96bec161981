"""The scene as plain data: what the scene file says, validated, with units in the names.

Nothing here touches files or GL. ``previs.io.scene_file`` builds these objects from YAML;
``previs.core.frame`` turns a shot into a :class:`~previs.core.frame.FrameState`; the renderer
reads FrameStates and the meshes the io layer loaded.

Axes: right-handed, metres, +Y up, cameras look down -Z. Matrices are float64, column vectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

MAX_LIGHTS = 16
"""How many lights the renderer lights a frame with; scene files are held to it."""
MAX_SHADOW_TILES = 32
"""Shadow-map tiles in the renderer's atlas: a point light takes 6 (a cube), others 1."""


def shadow_tiles(light_type: str, shadows: bool) -> int:
    """Atlas tiles a light's shadows take (see :data:`MAX_SHADOW_TILES`)."""
    return (6 if light_type == "point" else 1) if shadows else 0


FORMAT_VERSION = 2
"""The scene-file format version this build writes and reads (older versions are migrated).
2: characters (poses, looks, colours), named floor marks, walks by marks and speed."""


# ---------------------------------------------------------------- the LED volume
@dataclass(frozen=True)
class PanelSpec:
    """One LED cabinet model."""

    name: str
    pixel_pitch_mm: float
    panel_width_mm: float
    panel_height_mm: float
    panel_width_px: int
    panel_height_px: int
    peak_nits: float
    viewing_angle_deg: float = (
        160.0  # full angle where luminance falls to 50 % (spec-sheet convention)
    )
    fill_factor: float = 0.3  # share of the pitch that emits (SMD LEDs on a black mask)
    # Light and colour (previs check): the PWM refresh the panel quotes, its scan (multiplex)
    # ratio (1/scan_ratio of each period lights an LED row), its primaries' CIE xy (R, G, B),
    # and the preset the loader took what the scene left out from (previs/data/panels.yaml).
    refresh_hz: float = 3840.0
    scan_ratio: int = 16
    primaries_xy: tuple[tuple[float, float], ...] = ((0.700, 0.298), (0.170, 0.720), (0.135, 0.050))
    model: str = "generic-rgb"

    @property
    def falloff_k(self) -> float:
        """Exponent of the off-axis model L(t) = L0 cos^k t, fitted so that L falls to 50 % at
        half the viewing angle (the model form is an assumption; reference 4.1)."""
        import math

        return math.log(0.5) / math.log(math.cos(math.radians(self.viewing_angle_deg / 2)))


@dataclass(frozen=True)
class CurvedSection:
    """A wall section on a vertical cylinder: centre on the floor plane, arc measured from +Z towards +X
    (azimuth 0 deg = +Z, 90 deg = +X), the panels facing the centre."""

    name: str
    center_xz_m: tuple[float, float]
    radius_m: float
    start_azimuth_deg: float
    arc_deg: float
    height_m: float
    bottom_m: float = 0.0


@dataclass(frozen=True)
class FlatSection:
    """A flat wall section from one floor point to another; the lit side faces the left of the
    direction start -> end when seen from above (i.e. ``cross(up, end - start)``)."""

    name: str
    start_xz_m: tuple[float, float]
    end_xz_m: tuple[float, float]
    height_m: float
    bottom_m: float = 0.0


@dataclass(frozen=True)
class Ceiling:
    """A horizontal LED ceiling facing down, centred over ``center_xz_m``."""

    height_m: float
    center_xz_m: tuple[float, float]
    width_m: float
    depth_m: float


@dataclass(frozen=True)
class InnerFrustum:
    """How the stage drives the camera's part of the wall (nDisplay's ICVFX camera).

    The inner frustum is the virtual world rendered from the tracked camera, ``overscan_pct``
    wider than the lens sees on every side, with a soft edge of ``soft_edge_pct`` of its size
    blending into the outer frustum (the world from a fixed stage point). It is rendered for the
    camera pose ``latency_frames`` earlier: tracking, render and LED processing take time.
    """

    enabled: bool = True
    overscan_pct: float = 20.0
    soft_edge_pct: float = 5.0
    latency_frames: int = 0
    resolution_px: int = (
        2048  # most pixels across the inner-frustum render (capped by the camera image)
    )
    show_border: bool = False


@dataclass(frozen=True)
class LedVolume:
    panel: PanelSpec
    sections: tuple[CurvedSection | FlatSection, ...]
    ceiling: Ceiling | None = None
    floor_width_m: float = 30.0
    floor_depth_m: float = 30.0
    inner_frustum: InnerFrustum = field(default_factory=InnerFrustum)
    # The wall's timing and colour: genlocked to the camera (the refresh locked to a whole
    # multiple of the frame rate); the white the processor is calibrated to (CIE xy; D65 by
    # default); the processor model and the pixels one render node renders (previs check, info).
    genlock: bool = False
    white_xy: tuple[float, float] = (0.31271, 0.32902)
    white_kelvin: float | None = None  # when the scene gave its white as a temperature
    processor: str = "brompton-tessera-sx40"
    render_node_budget_px: int = 8_847_360


# ---------------------------------------------------------------- what the wall shows
@dataclass(frozen=True)
class Sky:
    """An analytic sky with a sun; azimuth 0 deg = +Z, 90 deg = +X; elevation above the horizon."""

    sun_azimuth_deg: float = 200.0
    sun_elevation_deg: float = 25.0
    turbidity: float = 3.0


@dataclass(frozen=True)
class Environment:
    """The virtual world the wall shows, and how bright the wall runs."""

    gltf_path: Path | None = None
    world_from_env: np.ndarray = field(default_factory=lambda: np.eye(4))
    sky: Sky | None = None
    wall_brightness_nits: float = 800.0


# ---------------------------------------------------------------- the physical set
@dataclass(frozen=True)
class SetPiece:
    """A thing on the stage floor.

    ``kind`` is one of ``mesh`` (``mesh_path`` through trimesh), ``box`` (``size_m`` = x, y, z),
    ``cylinder`` (``radius_m``, ``height_m``), ``plane`` (``size_m`` = x, z) or ``standin`` (a human
    figure of ``height_m``). ``world_from_local`` places it (units already folded in).
    """

    name: str
    kind: str
    world_from_local: np.ndarray
    mesh_path: Path | None = None
    size_m: tuple[float, ...] = ()
    radius_m: float = 0.0
    height_m: float = 0.0
    color_linear: tuple[float, float, float] = (0.5, 0.5, 0.5)
    roughness: float = 0.7
    metallic: float = 0.0
    # USD variant selections for the mesh file ((set name, selection), ...), sorted: hashable
    mesh_variants: tuple[tuple[str, str], ...] = ()
    # A character (kind "standin"): the pose it holds where no shot keys one, and for ``sit``
    # the set piece it sits on and the seat's height under its hips (world y, found on load).
    pose: str = "stand"
    seat: str | None = None
    seat_height_m: float | None = None
    color_stated: bool = True  # False: the file gave none (plans take the palette's colour)


# ---------------------------------------------------------------- lights
@dataclass(frozen=True)
class Light:
    """A light. Colour is linear Rec.709 RGB with luminance 1 (intensity carries the amount).

    ``intensity`` is in lux for ``directional`` lights, candela for ``point`` and ``spot``.
    ``direction`` is the way the light travels (unit vector) for directional and spot lights.
    Beam angles are full angles (the spec-sheet convention).
    """

    name: str
    type: str  # "directional" | "point" | "spot"
    color_linear: tuple[float, float, float]
    intensity: float
    position_m: tuple[float, float, float] = (0.0, 0.0, 0.0)
    direction: tuple[float, float, float] = (0.0, -1.0, 0.0)
    beam_angle_deg: float = 30.0
    field_angle_deg: float = 45.0
    range_m: float = 0.0  # 0: no cut-off
    size_m: float = 0.0  # emitter size for soft shadows; 0 = hard
    shadows: bool = True
    kelvin: float | None = None  # after the gel
    # A library fixture (previs.core.fixtures): its id, the setting as rigged ("spot", "30°"),
    # the dimmer, the gel's id and its own CCT before the gel (None: the fixture's default);
    # the photometrics above are already worked out from them.
    fixture: str | None = None
    setting: str | None = None
    dimmer_pct: float = 100.0
    gel: str | None = None
    fixture_kelvin: float | None = None


# ---------------------------------------------------------------- camera and shots
@dataclass(frozen=True)
class CameraSettings:
    """The camera package: body, recording mode, lens kit, and exposure settings."""

    body: str
    mode: str
    lens_kit: str
    iso: float = 800.0
    shutter_angle_deg: float = 180.0
    t_stop: float = 2.8
    focus_m: float = 3.0
    delivery_aspect: str = "2.39"
    safe_areas: bool = False
    white_balance_k: float = 5600.0  # the camera's white balance (a point on the Planckian locus)


@dataclass(frozen=True)
class CameraPlacement:
    """Where the camera is in a shot and what lens it wears.

    Orientation comes from ``look_at_m`` when given, else from pan/tilt/roll (degrees; pan about +Y
    with 0 = looking down -Z and positive turning left, tilt positive up, roll positive clockwise as
    seen by the operator).
    """

    position_m: tuple[float, float, float]
    look_at_m: tuple[float, float, float] | None = None
    pan_deg: float = 0.0
    tilt_deg: float = 0.0
    roll_deg: float = 0.0
    focal_length_mm: float = 35.0
    focus_m: float | None = None  # None: the camera package's focus distance
    t_stop: float | None = None  # None: the camera package's T-stop


@dataclass(frozen=True)
class Walk:
    """A character (``standin``: its name) walking or running (``gait``) through floor points
    between two frames of a shot; ``marks`` names the marks it goes through when it was written
    mark to mark."""

    standin: str
    points_m: tuple[tuple[float, float, float], ...]
    start_frame: int
    end_frame: int
    constant_speed: bool = True
    interp: str = "linear"
    gait: str = "walk"
    marks: tuple[str, ...] = ()

    @property
    def character(self) -> str:
        return self.standin


@dataclass(frozen=True)
class FloorMark:
    """A named floor mark a character hits in a shot (tape on the floor): ``point_m`` on the
    floor under the character (x, y, z)."""

    character: str
    name: str
    point_m: tuple[float, float, float]


@dataclass(frozen=True)
class PoseKey:
    """From ``frame`` on, ``character`` holds ``pose`` (previs.core.figure.POSES), blended in over
    ``blend_frames``. ``seat_height_m``: world height of the seat under a ``sit``'s hips (found on
    load); ``aim_m``: where a ``point``/``reach`` aims (a point, or None: ahead); ``aim_subject``:
    the subject it aims at, resolved each frame."""

    character: str
    frame: int
    pose: str
    blend_frames: int = 6
    seat: str | None = None
    seat_height_m: float | None = None
    aim_m: tuple[float, float, float] | None = None
    aim_subject: str | None = None


@dataclass(frozen=True)
class LookKey:
    """From ``frame`` on, ``character``'s head turns to ``at`` (a subject name, ``lens`` or
    ``ahead``), to the point ``at_m``, or by ``yaw_deg`` (+ to its left) / ``pitch_deg`` (+ up)."""

    character: str
    frame: int
    at: str | None = None
    at_m: tuple[float, float, float] | None = None
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    blend_frames: int = 6


@dataclass(frozen=True)
class Take:
    """Where a shot's camera came from when it was recorded (``previs take import``, ``previs
    track record``): the file or URL, the take's first timecode and its own sample rate."""

    source: str
    timecode: str | None
    frame_rate: Fraction


@dataclass(frozen=True)
class Shot:
    """A shot: where the camera starts, and what moves (``previs.core.moves.Move``), explicit
    channel keys, stand-in walks and cues (``previs.core.cues``) happen over its frames."""

    id: str
    scene_number: str
    description: str
    length_frames: int
    camera: CameraPlacement
    notes: str = ""
    moves: tuple = ()
    keys: tuple = ()  # ((channel name, (Key, ...)), ...)
    walks: tuple[Walk, ...] = ()
    light_cues: tuple = ()
    wall_cues: tuple = ()
    # What the shot list says when the blocking should not decide it (None: derived).
    shot_size: str | None = None
    angle: str | None = None
    movement: str | None = None
    take: Take | None = None  # a recorded camera take this shot's keys came from
    action: str = ""  # what happens in frame (boards and shot list)
    dialogue: str = ""
    support: str | None = (
        None  # sticks, dolly, crane, steadicam, handheld ... (None: from the moves)
    )
    transition: str = "cut"  # how the cut comes into this shot: "cut" or "dissolve"
    transition_frames: int = 0  # a dissolve's length, centred on the cut
    marks: tuple[FloorMark, ...] = ()  # named floor marks, per character
    poses: tuple[PoseKey, ...] = ()  # sorted by frame
    looks: tuple[LookKey, ...] = ()  # sorted by frame

    @property
    def is_static(self) -> bool:
        """Nothing changes over the shot (a pose or look keyed after the first frame does)."""
        return not (
            self.moves
            or self.keys
            or self.walks
            or self.light_cues
            or self.wall_cues
            or any(k.frame > 0 for k in self.poses)
            or any(k.frame > 0 for k in self.looks)
        )


# ---------------------------------------------------------------- camera tracking
@dataclass(frozen=True)
class LensCalibration:
    """Encoder counts to optics for one lens of the kit (FreeD sends raw zoom and focus counts):
    piecewise-linear tables of (counts, focal length mm) and (counts, focus m), counts increasing;
    an empty table leaves that value to the lens (a prime's focal length) or the camera package."""

    focal_length_mm: float
    zoom_counts: tuple[tuple[float, float], ...] = ()
    focus_counts: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Tracking:
    """How a tracker's numbers land on the stage (``previs.track``). ``axes`` names, for previs'
    x, y and z, the tracker's signed axis (FreeD and OpenTrackIO are Z up, Y forward: the default
    ``x, z, -y``); the tracker's axes are then turned ``yaw_deg`` about the stage's up axis and
    its origin sits at ``origin_m``. ``pupil_offset_m`` goes from the tracked point to the lens's
    entrance pupil in the camera's own axes (x right, y up, z back: 0.1 m ahead is z = -0.1).
    ``flip_angles`` reverses the sense of the named protocol angles (pan, tilt, roll)."""

    axes: tuple[str, str, str] = ("x", "z", "-y")
    yaw_deg: float = 0.0
    origin_m: tuple[float, float, float] = (0.0, 0.0, 0.0)
    pupil_offset_m: tuple[float, float, float] = (0.0, 0.0, 0.0)
    flip_angles: tuple[str, ...] = ()
    lenses: tuple[LensCalibration, ...] = ()


@dataclass(frozen=True)
class Output:
    """How the camera's picture is shown (previs.render.ocio): ``filmic`` (previs's own film
    curve and sRGB, the default) or an OpenColorIO display (or an alias: srgb, rec709,
    rec2100-pq) and view (None: the display's default view) of ``config``."""

    display: str = "filmic"
    view: str | None = None
    config: str = "ocio://default"


@dataclass(frozen=True)
class Scene:
    """A whole scene file, validated."""

    source_path: Path | None
    name: str
    frame_rate: Fraction
    stage: LedVolume | None
    environment: Environment
    set_pieces: tuple[SetPiece, ...]
    lights: tuple[Light, ...]
    camera: CameraSettings
    shots: tuple[Shot, ...]
    format_version: int = FORMAT_VERSION
    seed: int = 0  # randomness (handheld, flicker) is seeded from the scene
    # Things the loader found legal but probably unintended, one line each, naming the file,
    # line and field (a flat wall whose lit face is turned away from every camera). Front ends
    # print them as warnings; they never stop a load.
    warnings: tuple[str, ...] = ()
    tracking: Tracking | None = None  # how a live tracker's numbers land on this stage
    output: Output = Output()  # the output transform of rendered pictures

    @property
    def characters(self) -> tuple[SetPiece, ...]:
        """The characters (``standin`` pieces: the mannequins), in the file's order."""
        return tuple(p for p in self.set_pieces if p.kind == "standin")

    def shot(self, shot_id: str) -> Shot:
        for s in self.shots:
            if s.id == shot_id:
                return s
        from previs.errors import PrevisError

        known = ", ".join(s.id for s in self.shots)
        raise PrevisError(
            f"no shot '{shot_id}' in {self.source_path or self.name} (shots: {known})"
        )
