"""A generated corpus of hostile scene files (issue 14), for tests/test_hostile_scene.py.

:func:`rich_scene` is one valid scene that uses every section of the format: a stage of curved
and flat sections and a ceiling, an environment with a sky and a glTF, a set piece of every kind,
a light of every kind, and shots with keys on every channel, a move of every type, a walk, light
cues of every effect and wall cues of every field. :func:`field_cases` walks every value in it
and mutates it (non-finite and huge numbers, wrong types, control characters, overlong text and
lists, a missing key, an unknown key); :func:`file_cases` gives whole files that are not scenes.
Everything is deterministic: a case is a name, a category and the YAML text (or a file maker).
"""

from __future__ import annotations

import copy
import math
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from previs.core import limits as lim

ROOT = Path(__file__).resolve().parents[1]
GEOMETRY = ROOT / "scenes" / "geometry"
HUGE_INT = "9" * 5000  # past Python's int-to-text limit (4,300 digits)
_HUGE_TOKEN = "__HUGE_INT__"

PathT = tuple
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def rich_scene() -> dict:
    """A valid scene touching every section, move type, cue effect and key channel."""
    panel = {
        "name": "ROE BP2",
        "pixel_pitch_mm": 2.84,
        "panel_size_mm": [500, 500],
        "panel_pixels": [176, 176],
        "peak_nits": 1500,
        "viewing_angle_deg": 160,
        "fill_factor": 0.3,
    }
    return {
        "format_version": 1,
        "name": "Hostile base",
        "frame_rate": 24,
        "stage": {
            "panel": panel,
            "sections": [
                {
                    "name": "main",
                    "type": "curved",
                    "center_xz_m": [0, 0],
                    "radius_m": 10.0,
                    "start_azimuth_deg": 45,
                    "arc_deg": 270,
                    "height_m": 6.0,
                    "bottom_m": 0.0,
                },
                {
                    "name": "side",
                    "type": "flat",
                    "start_xz_m": [-8, -4],
                    "end_xz_m": [-8, 4],
                    "height_m": 5.0,
                    "bottom_m": 0.0,
                },
            ],
            "ceiling": {"height_m": 6.2, "center_xz_m": [0, -1], "width_m": 14, "depth_m": 12},
            "floor_size_m": [24, 24],
            "inner_frustum": {
                "enabled": True,
                "overscan_pct": 20,
                "soft_edge_pct": 5,
                "latency_frames": 3,
                "resolution_px": 2048,
                "show_border": False,
            },
        },
        "environment": {
            "gltf": str(GEOMETRY / "desert.glb"),
            "units": "m",
            "translation_m": [0, 0, 0],
            "rotation_deg": [0, 8, 0],
            "scale": 10,
            "sky": {"sun_azimuth_deg": 200, "sun_elevation_deg": 25, "turbidity": 2.5},
            "wall_brightness_nits": 150,
        },
        "set": [
            {
                "name": "floor",
                "type": "plane",
                "size_m": [14, 13],
                "translation_m": [0, 0.005, -1],
                "color": "#cfa978",
                "roughness": 1.0,
            },
            {
                "name": "pump",
                "type": "mesh",
                "path": str(GEOMETRY / "fuel_pump.ply"),
                "units": "m",
                "translation_m": [1.2, 0.15, -2.8],
                "rotation_deg": [0, 20, 0],
                "scale": 1,
            },
            {
                "name": "island",
                "type": "box",
                "size_m": [3.0, 0.15, 1.0],
                "translation_m": [1.8, 0, -2.8],
                "color": [0.6, 0.6, 0.6],
                "metallic": 0.0,
            },
            {
                "name": "drum",
                "type": "cylinder",
                "radius_m": 0.29,
                "height_m": 0.88,
                "translation_m": [0.1, 0, -4.3],
                "color": "#2f5d8a",
                "metallic": 0.6,
            },
            {
                "name": "Mara",
                "type": "standin",
                "height_m": 1.68,
                "translation_m": [0.4, 0, -1.6],
                "rotation_deg": [0, -68, 0],
            },
        ],
        "lights": [
            {
                "name": "sun",
                "type": "directional",
                "azimuth_deg": 200,
                "elevation_deg": 25,
                "illuminance_lux": 600,
                "kelvin": 5600,
                "shadows": True,
            },
            {
                "name": "moon",
                "type": "directional",
                "direction": [0.2, -1, 0.1],
                "illuminance_lux": 5,
                "color": [0.8, 0.8, 1.0],
                "shadows": False,
            },
            {
                "name": "key",
                "type": "spot",
                "position_m": [3.5, 4.0, 2.5],
                "target_m": [-0.1, 1.5, -1.4],
                "intensity_cd": 8000,
                "beam_angle_deg": 25,
                "field_angle_deg": 40,
                "kelvin": 5600,
                "size_m": 0.6,
                "shadows": True,
            },
            {
                "name": "fill",
                "type": "spot",
                "position_m": [-4.5, 2.5, 2.0],
                "direction": [1, -0.3, -1],
                "lumens": 3500,
                "beam_angle_deg": 50,
                "shadows": False,
            },
            {
                "name": "bulb",
                "type": "point",
                "position_m": [0, 3, -3],
                "lumens": 800,
                "range_m": 25,
                "shadows": False,
            },
        ],
        "camera": {
            "body": "alexa-35",
            "mode": "4.6k-3-2-og",
            "lens_kit": "angenieux-optimo-24-290",
            "iso": 800,
            "shutter_angle_deg": 180,
            "t_stop": 4,
            "focus_m": 3.0,
            "delivery_aspect": "2.39",
            "safe_areas": True,
        },
        "shots": [
            {
                "id": "1A",
                "scene": 1,
                "description": "static",
                "length_frames": 48,
                "notes": "locked off",
                "camera": {
                    "position_m": [0.9, 0.5, 2.0],
                    "pan_deg": 10,
                    "tilt_deg": 5,
                    "roll_deg": 0,
                    "focal_length_mm": 35,
                    "focus_m": 3.0,
                    "t_stop": 4,
                },
                "shot_size": "MS",
                "angle": "low",
                "movement": "static",
            },
            {
                "id": "1B",
                "scene": 1,
                "description": "keys",
                "duration_s": 4,
                "camera": {
                    "position_m": [0, 1.5, 4],
                    "look_at_m": [0, 1.5, -1],
                    "focal_length_mm": 40,
                },
                "keys": {
                    "position_m": [[0, [0, 1.5, 4]], [90, [0.5, 1.5, 3.5], "linear"]],
                    "pan_deg": [[0, 0], [90, 10, "ease"]],
                    "tilt_deg": [[0, 0], [90, 5]],
                    "roll_deg": [[0, 0], [90, 2]],
                    "focal_length_mm": [[0, 40], [90, 50]],
                    "focus_m": [[0, 4.0], [90, 3.0]],
                    "t_stop": [[0, 4], [90, 5.6, "hold"]],
                },
            },
            {
                "id": "2A",
                "scene": 2,
                "length_frames": 240,
                "camera": {
                    "position_m": [0, 1.5, 4],
                    "look_at_m": [0.4, 1.57, -1.6],
                    "focal_length_mm": 40,
                    "focus_m": 5.0,
                },
                "moves": [
                    {"type": "dolly", "start_frame": 0, "end_frame": 20, "distance_m": 0.5},
                    {
                        "type": "truck",
                        "start_frame": 20,
                        "end_frame": 40,
                        "distance_m": 0.3,
                        "interp": "linear",
                    },
                    {"type": "pedestal", "start_frame": 40, "end_frame": 60, "distance_m": 0.2},
                    {"type": "pan", "start_frame": 0, "end_frame": 30, "angle_deg": 10},
                    {"type": "tilt", "start_frame": 0, "end_frame": 30, "to_deg": 5},
                    {"type": "dutch", "start_frame": 0, "end_frame": 30, "angle_deg": 3},
                    {"type": "zoom", "start_frame": 0, "end_frame": 60, "to_focal_length_mm": 60},
                    {
                        "type": "rack_focus",
                        "start_frame": 60,
                        "end_frame": 100,
                        "to_subject": "Mara",
                    },
                    {
                        "type": "orbit",
                        "start_frame": 60,
                        "end_frame": 120,
                        "subject": "Mara",
                        "angle_deg": -30,
                        "interp": "smooth",
                    },
                    {
                        "type": "push_in",
                        "start_frame": 120,
                        "end_frame": 150,
                        "subject_m": [0.4, 1.57, -1.6],
                        "distance_m": 0.5,
                    },
                    {
                        "type": "path",
                        "start_frame": 150,
                        "end_frame": 200,
                        "points_m": [[0.5, 1.5, 2.0], [1.0, 1.6, 2.2]],
                        "constant_speed": True,
                        "aim_m": [0.4, 1.57, -1.6],
                    },
                    {
                        "type": "crane",
                        "start_frame": 200,
                        "end_frame": 239,
                        "arm_length_m": 2.0,
                        "swing_deg": 10,
                        "boom_deg": 5,
                        "keep_aim_m": [0.4, 1.57, -1.6],
                    },
                    {
                        "type": "handheld",
                        "start_frame": 0,
                        "end_frame": 239,
                        "amplitude_m": 0.01,
                        "amplitude_deg": 0.3,
                        "frequency_hz": 1.0,
                        "seed": 2,
                    },
                ],
            },
            {
                "id": "2B",
                "scene": 2,
                "length_frames": 96,
                "camera": {
                    "position_m": [0, 1.5, 4],
                    "look_at_m": [0.4, 1.57, -1.6],
                    "focal_length_mm": 50,
                    "focus_m": 5.0,
                },
                "moves": [
                    {
                        "type": "dolly_zoom",
                        "start_frame": 0,
                        "end_frame": 95,
                        "subject_m": [0.4, 1.57, -1.6],
                        "distance_m": 1.0,
                        "interp": "ease",
                    }
                ],
                "walks": [
                    {
                        "standin": "Mara",
                        "start_frame": 12,
                        "end_frame": 84,
                        "points_m": [[0.4, 0, -1.6], [1.0, 0, -1.2], [1.5, 0, -1.8]],
                        "constant_speed": True,
                        "interp": "linear",
                    }
                ],
                # format 2's blocking (a format-1 file is migrated first, then read with them)
                "marks": {"Mara": {"1": [0.4, -1.6], "2": [1.5, -1.8]}},
                "poses": [{"character": "Mara", "frame": 0, "pose": "lean", "blend_frames": 6}],
                "looks": [
                    {"character": "Mara", "frame": 10, "at": "lens", "blend_frames": 4},
                    {"character": "Mara", "frame": 90, "yaw_deg": 20, "pitch_deg": -5},
                ],
                "light_cues": [
                    {
                        "light": "key",
                        "start_frame": 0,
                        "end_frame": 40,
                        "effect": "flicker",
                        "depth": 0.5,
                        "speed_hz": 6,
                        "seed": 3,
                    },
                    {
                        "light": "fill",
                        "start_frame": 0,
                        "end_frame": 40,
                        "effect": "lightning",
                        "flashes": 2,
                        "peak": 4,
                        "floor": 1,
                        "seed": 1,
                    },
                    {
                        "light": "bulb",
                        "start_frame": 0,
                        "end_frame": 40,
                        "effect": "strobe",
                        "rate_hz": 10,
                        "duty": 0.5,
                        "off": 0.1,
                    },
                    {
                        "light": "moon",
                        "start_frame": 40,
                        "end_frame": 80,
                        "effect": "police",
                        "rate_hz": 2,
                        "duty": 0.8,
                        "colors": ["#ff0000", [0, 0, 1]],
                    },
                    {
                        "light": "sun",
                        "start_frame": 10,
                        "end_frame": 90,
                        "to_intensity_scale": 0.5,
                        "to_kelvin": 3200,
                        "interp": "linear",
                    },
                    {"light": "key", "start_frame": 50, "end_frame": 90, "to_color": "#ffaa88"},
                ],
                "wall_cues": [
                    {"start_frame": 0, "end_frame": 95, "velocity_mps": [-12, 0, 0]},
                    {
                        "start_frame": 0,
                        "end_frame": 95,
                        "to_sun_elevation_deg": 8,
                        "to_sun_azimuth_deg": 210,
                        "to_brightness_nits": 110,
                        "to_turbidity": 3,
                        "interp": "linear",
                    },
                    {
                        "start_frame": 10,
                        "end_frame": 50,
                        "to_translation_m": [1, 0, 0],
                        "to_rotation_deg": [0, 5, 0],
                        "to_cdl": {
                            "slope": [1.1, 1, 0.9],
                            "offset": [0, 0, 0.01],
                            "power": [1, 1, 1],
                            "saturation": 0.9,
                        },
                    },
                    {
                        "start_frame": 50,
                        "end_frame": 90,
                        "to_time_of_day_h": 18.5,
                        "latitude_deg": 34,
                        "day_of_year": 172,
                        "north_azimuth_deg": 0,
                    },
                ],
            },
        ],
    }


def dump(data) -> str:
    """YAML text of ``data``; huge integers are written as digits (PyYAML cannot dump them)."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=False, width=10**9)
    return text.replace(f"'{_HUGE_TOKEN}'", HUGE_INT).replace(_HUGE_TOKEN, HUGE_INT)


# ---------------------------------------------------------------- field mutations
@dataclass(frozen=True)
class Case:
    name: str  # what was done, for the test id
    category: str  # the classes: tracebacks, hangs, memory, silent, after-loading, messages
    path: PathT  # the field mutated (() for whole-file cases)
    local: bool  # the error, if any, must name this field (or an ancestor or descendant)
    text: str | None = None  # the file's YAML text
    make: Callable[[Path], Path] | None = None  # or: make the file under a folder, return it
    mutate: Callable[[], dict] | None = None  # or: the mutated data, dumped when needed

    def yaml(self) -> str:
        return self.text if self.text is not None else dump(self.mutate())


def _leaves(node, path: PathT = ()) -> Iterator[tuple[PathT, object]]:
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, path + (i,))


def _set(data, path: PathT, value) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _delete(data, path: PathT) -> None:
    for part in path[:-1]:
        data = data[part]
    del data[path[-1]]


_NUMBER_MUTATIONS = [  # (name, value, local, category)
    ("nan", math.nan, True, "silent"),
    ("inf", math.inf, True, "tracebacks"),
    ("-inf", -math.inf, True, "tracebacks"),
    ("1e308", 1e308, True, "tracebacks"),
    ("-1e308", -1e308, True, "tracebacks"),
    ("zero", 0, False, "after-loading"),
    ("negative", -1, False, "after-loading"),
    ("huge-int", _HUGE_TOKEN, True, "tracebacks"),
    ("big-int", 10**15, False, "memory"),
]
_TYPE_MUTATIONS = [
    ("text", "ten", False, "tracebacks"),
    ("list", [1, 2], False, "tracebacks"),
    ("mapping", {"a": 1}, False, "tracebacks"),
    ("bool", True, False, "silent"),
    ("null", None, False, "tracebacks"),
]
_TEXT_MUTATIONS = [
    ("escape-seq", "\x1b[31mred\x1b]0;title\x07", True, "messages"),
    ("c1-csi", "a\x9b2Jb", True, "messages"),
    ("bidi", "abc\u202eevil", True, "messages"),
    ("newline", "two\nlines", False, "messages"),
    ("overlong", "x" * 20_000, True, "memory"),
    ("empty", "", False, "messages"),
]


def _mutations(value) -> list[tuple[str, object, bool, str]]:
    if isinstance(value, bool):
        return _TYPE_MUTATIONS[:3] + [("null", None, False, "tracebacks")]
    if isinstance(value, int | float):
        return _NUMBER_MUTATIONS + _TYPE_MUTATIONS
    if isinstance(value, str):
        return _TEXT_MUTATIONS + [("number", 7, False, "silent")] + _TYPE_MUTATIONS[1:3]
    if isinstance(value, list):
        out = [
            ("empty-list", [], False, "silent"),
            ("scalar", 3, False, "tracebacks"),
            ("mapping", {"a": 1}, False, "tracebacks"),
        ]
        if value:  # overlong: the first item repeated (bounded so the corpus stays fast)
            out.append(("long-list", [value[0]] * (lim.MAX_PATH_POINTS + 1), False, "hangs"))
            out.append(("nested-list", [value], False, "tracebacks"))
        return out
    if isinstance(value, dict):
        return [
            ("list", [1], False, "tracebacks"),
            ("scalar", "x", False, "tracebacks"),
            ("unknown-key", {**value, "\x1b[2Jbogus": 1}, False, "messages"),
        ]
    return []


def _setting(base: dict, path: PathT, new) -> Callable[[], dict]:
    def mutate() -> dict:
        data = copy.deepcopy(base)
        _set(data, path, new)
        return data

    return mutate


def _deleting(base: dict, path: PathT) -> Callable[[], dict]:
    def mutate() -> dict:
        data = copy.deepcopy(base)
        _delete(data, path)
        return data

    return mutate


def field_cases(base: dict | None = None) -> list[Case]:
    """Every value of the base scene mutated every way that fits its kind, and every key
    removed (the YAML is written when a case runs: :meth:`Case.yaml`)."""
    base = rich_scene() if base is None else base
    out: list[Case] = []
    for path, value in _leaves(base):
        if not path:
            continue
        for name, new, local, category in _mutations(value):
            if name == "inf" and str(path[-1]).endswith("focus_m"):
                local = False  # a focus at infinity is allowed; what it breaks may be elsewhere
            out.append(
                Case(
                    f"{_fmt(path)}={name}", category, path, local, mutate=_setting(base, path, new)
                )
            )
        if isinstance(path[-1], str):
            out.append(
                Case(f"{_fmt(path)}=missing", "messages", path, False, mutate=_deleting(base, path))
            )
    return out


def sample(cases: list[Case], n: int, seed: int = 14) -> list[Case]:
    """A deterministic sample that keeps every local (NaN, infinity, huge) mutation first."""
    local = [c for c in cases if c.local]
    rest = [c for c in cases if not c.local]
    rng = random.Random(seed)
    rng.shuffle(rest)
    return local + rest[: max(0, n - len(local))]


def _fmt(path: PathT) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + str(p)
    return out


# ---------------------------------------------------------------- whole files
def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        p = folder / name
        p.write_bytes(data)
        return p

    return make


def _fifo(folder: Path) -> Path:
    p = folder / "pipe.yaml"
    os.mkfifo(p)
    return p


def _link(target: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        p = folder / "link.yaml"
        p.symlink_to(target)
        return p

    return make


def _folder(folder: Path) -> Path:
    p = folder / "dir.yaml"
    p.mkdir()
    return p


def _alias_bomb(levels: int = 12, width: int = 10) -> str:
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def file_cases() -> list[Case]:
    """Files that are not scene files at all, and YAML that attacks the parser."""
    rng = random.Random(14)
    good = dump(rich_scene())
    texts = {
        "empty": "",
        "blank": "   \n\n  \n",
        "comment-only": "# nothing here\n",
        "top-level-list": "- 1\n- 2\n",
        "top-level-scalar": "hello\n",
        "not-a-scene": "foo: 1\nbar: 2\n",
        "deep-nesting": "a: " + "[" * 5000 + "]" * 5000 + "\n",
        "nesting-100": "a: " + "[" * 100 + "]" * 100 + "\n",
        "alias-bomb": _alias_bomb(),
        "recursive-alias": "a: &a [*a]\n",
        "many-values": "a: [" + "1," * 600_000 + "1]\n",
        "tag-float-on-text": good.replace("name: Hostile base", "name: !!float abc"),
        "tag-float-on-key": "format_version: !!float abc\n",
        "tag-int-on-text": "format_version: !!int ten\n",
        "tag-python": "format_version: !!python/object/apply:os.system [echo hi]\n",
        "tag-python-name": "name: !!python/name:os.system\n",
        "tag-binary": good.replace("name: Hostile base", "name: !!binary aGVsbG8="),
        "tag-timestamp": good.replace("name: Hostile base", "name: !!timestamp 2001-12-14"),
        "tag-set": "format_version: 1\nname: !!set {a, b}\n",
        "tag-omap": "format_version: 1\nname: !!omap [a: 1]\n",
        "tag-local": "format_version: 1\nname: !local x\n",
        "huge-int": f"format_version: {HUGE_INT}\n",
        "huge-hex": "format_version: 0x" + "f" * 5000 + "\n",
        "huge-float-text": "format_version: 1" + "0" * 400 + ".5\n",
        "huge-rate": good.replace("frame_rate: 24", f"frame_rate: '{HUGE_INT}/1'"),
        "duplicate-keys": "format_version: 1\nformat_version: 1\n",
        "tab-indent": "format_version: 1\nstage:\n\tpanel: 1\n",
        "bad-escape": 'name: "\\q"\n',
        "escape-in-key": '"\\e[2J": 1\nformat_version: 1\n',
        "nul-escape": good.replace("name: Hostile base", 'name: "a\\0b"'),
        "two-documents": good + "---\n" + good,
        "unclosed-flow": "a: [1, 2\n",
        "merge-of-scalar": "a: &a 1\nb:\n  <<: *a\n",
        "nan-everywhere": good.replace(": 0\n", ": .nan\n").replace(": 1.0\n", ": .nan\n"),
    }
    out = [
        Case(name, "tracebacks" if "tag" in name or "huge" in name else "memory", (), False, text)
        for name, text in texts.items()
    ]
    blobs = {
        "binary-garbage": bytes(rng.randrange(256) for _ in range(4096)),
        "not-utf8": b"format_version: 1\nname: caf\xe9\n",
        "utf16": "format_version: 1\n".encode("utf-16"),
        "nul-bytes": b"format_version: 1\x00\nname: x\n",
        "control-bytes": b"format_version: 1\nname: a\x1b[2Jb\n",
        "too-big": b"#" + b" " * (16 * 2**20) + b"\n",
        "bom": "\ufeff".encode() + good.encode(),
    }
    out += [
        Case(name, "memory", (), False, make=_write(f"{name}.yaml", data))
        for name, data in blobs.items()
    ]
    out += [
        Case("dev-zero", "memory", (), False, make=lambda folder: Path("/dev/zero")),
        Case("dev-urandom", "memory", (), False, make=lambda folder: Path("/dev/urandom")),
        Case("fifo", "hangs", (), False, make=_fifo),
        Case("link-to-dev-zero", "memory", (), False, make=_link("/dev/zero")),
        Case("dangling-link", "messages", (), False, make=_link("/nonexistent/scene.yaml")),
        Case("directory", "messages", (), False, make=_folder),
        Case("missing", "messages", (), False, make=lambda folder: folder / "nope.yaml"),
        Case(
            "long-name", "tracebacks", (), False, make=lambda folder: folder / ("n" * 300 + ".yaml")
        ),
    ]
    return out
