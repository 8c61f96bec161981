"""How big a scene may be: every limit previs holds a scene file to, with its reason.

A scene file is input from anyone: these bounds make every load and every shot finish in bounded
time and memory, and keep every number finite through the maths (an integer conversion, a product,
a per-frame array). Each is far above what a real stage, set or shot needs; a file past one is
refused with one line naming the field, never truncated or clamped.
"""

from __future__ import annotations

# ---------------------------------------------------------------- the file
MAX_SCENE_FILE_BYTES = 16 * 2**20
"""16 MiB. The example scene of eleven shots is 15 KB; a thousand shots with hand keys is a few MB.
The file is read at most this plus one byte, so /dev/zero or a runaway file cannot fill memory."""
MAX_YAML_VALUES = 500_000
"""YAML values (scalars, lists and mappings, aliases counted each time they are used). Counted on
the parser's events before any node is built: building costs about 350 B per value, so this keeps
a parse under about 200 MB and 2 s whatever the file, and stops alias bombs ("billion laughs")."""
MAX_YAML_DEPTH = 64
"""Nesting of lists and mappings. The deepest thing a scene holds is a position key
(shots -> shot -> keys -> channel -> key -> [x, y, z]: 7 levels); 64 leaves room and keeps the
recursive builder far from Python's recursion limit."""
MAX_INT_DIGITS = 18
"""Digits of a written integer: every integer in a scene (frames, pixels, seeds) fits in 64 bits
(a 5,000-digit integer would otherwise trip Python's int-to-text limit or overflow numpy)."""

# ---------------------------------------------------------------- numbers
MAX_MAGNITUDE = 1e9
"""Largest absolute value of any number without a tighter physical limit (nits, lux, candela, Hz,
scale, seconds ...). Nothing on a stage is near 10⁹ in the units the scene uses, and products of a
few such numbers stay far inside float64, so no value overflows to infinity downstream."""
MAX_COORD_M = 10_000.0
"""Positions on the stage (camera, set pieces, lights, aim points, walk and path points): ±10 km.
An LED stage is under 200 m across and a backlot under 2 km; float32 on the GPU still resolves
about 1 mm at 10 km."""
MAX_WORLD_OFFSET_M = 1_000_000.0
"""The environment's placement and a wall cue's world offset: ±1,000 km (the virtual world may be
a country; the GPU draws it relative to the camera)."""
MAX_ANGLE_DEG = 3600.0
"""Written angles (pan, azimuths, rotations, move angles): ±10 turns, more than any head, turntable
or orbit turns in one shot."""
MAX_SPEED_MPS = 1_000.0
"""A wall cue's world velocity: 1 km/s, three times the speed of sound (a jet fly-by is ~300 m/s)."""

# ---------------------------------------------------------------- text
MAX_NAME_CHARS = 200
"""Names and ids (shots, pieces, lights, stand-ins, panels): they head table columns, title sheets
and become parts of file names (a file system allows 255 bytes per name)."""
MAX_TEXT_CHARS = 10_000
"""Free text (descriptions, notes): a page of prose."""
MAX_ECHO_CHARS = 40
"""How much of an offending value an error message quotes (escaped, with an ellipsis)."""

# ---------------------------------------------------------------- the stage
MAX_STAGE_EXTENT_M = 500.0
"""Radius of a curved section, length of a flat one, a ceiling's width or depth. The largest LED
volumes are about 100 m across; 500 m is generous and keeps the facet count bounded."""
MAX_WALL_HEIGHT_M = 100.0
"""Height of a wall section and of its bottom edge above the floor (stage walls are under 30 m)."""
MAX_SECTIONS = 256
"""Wall sections (real volumes have a handful: a main curve, sides, wild walls, a ceiling)."""
MAX_PANELS = 1_000_000
"""Cabinets in the whole volume, walls and ceiling. The largest volumes hold a few tens of
thousands of panels (a 100 m, 360° wall 30 m high is about 38,000 cabinets of 0.5 m); counted from
the layout before any facet is built."""
MAX_PANEL_COLUMNS = 100_000
"""Cabinet columns of all sections together: one facet (four vertices) each in the wall mesh and
in every ray cast, so this bounds both to a few MB."""

# ---------------------------------------------------------------- time
MAX_SHOT_FRAMES = 100_000
"""Frames of one shot: 69 minutes at 24 fps, 14 minutes at 120 fps, longer than any take a
magazine holds or an animatic needs. Per-frame arrays of a shot (tracks, checks) stay a few MB."""
MAX_SCENE_FRAMES = 2_000_000
"""Frames of all shots together: 23 hours at 24 fps, so exporting every frame is bounded."""
MAX_SHOTS = 2_000
"""Shots in one scene file (a feature film has 2,000-3,000 in all, over many scene files)."""
MAX_SET_PIECES = 2_000
"""Set pieces (each is drawn every frame and checked against every camera position)."""

# ---------------------------------------------------------------- what happens in a shot
MAX_MOVES = 100
"""Camera moves per shot (a complex crane shot is a handful of moves)."""
MAX_CUES = 200
"""Light cues and wall cues per shot (each: light cues are evaluated against each other per frame,
quadratic in their number)."""
MAX_WALKS = 100
"""Stand-in walks per shot."""
MAX_PATH_POINTS = 10_000
"""Points of one path move or walk: a point every frame of a 7-minute walk at 24 fps."""
MAX_EFFECT_COLORS = 16
"""Colours of a police-light effect."""
MAX_SHOT_ID_CHARS = 64
"""A shot id ("12A"): it becomes part of every file an export writes for the shot."""
MIN_SCALE, MAX_SCALE = 1e-6, 1e6
"""A piece's or the world's scale (units folded in): a millimetre model shown a thousand times
larger or smaller is within it; beyond, the matrices lose the precision to draw and invert."""
MAX_PANEL_MM = 5_000.0
"""A cabinet's width or height (real ones are 0.25-1.2 m)."""
MAX_PANEL_PIXELS = 20_000
"""LEDs across one cabinet (a 5 m cabinet at 0.25 mm pitch)."""
MAX_FOCAL_MM = 2_000.0
"""Focal lengths (the longest cine lenses are about 1,000 mm)."""
