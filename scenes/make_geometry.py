"""Make the example scenes' geometry: small procedural meshes, written into ``scenes/geometry/``.

    python scenes/make_geometry.py

Everything is built from trimesh primitives and hand-made vertex arrays (no booleans, no
randomness beyond a fixed seed), so the files are small and the same on every run. Each file is
written in the units a real vendor might have used, to exercise the scene file's ``units:``:

* ``desert.glb``   the virtual environment for the wall: terrain, a road, mesas, a mountain ring;
                   authored in decametres (1 unit = 10 m), placed with ``scale: 10``
* ``diner.glb``    a roadside diner front (walls, windows, door, awning, roof sign), metres
* ``car.obj``      a 1970s-ish sedan, centimetres (``units: cm``), facing +X
* ``fuel_pump.ply``a fuel pump with vertex colours, metres
* ``bench.stl``    a slatted bench, inches (``units: in``)

Conventions: +Y up, bases at y = 0, metres unless the list above says otherwise.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import trimesh
from trimesh.visual.material import PBRMaterial

OUT = Path(__file__).resolve().parent / "geometry"


def _rgba(hex_colour: str) -> list[int]:
    h = hex_colour.lstrip("#")
    return [int(h[i : i + 2], 16) for i in (0, 2, 4)] + [255]


def box(size, at, colour=None) -> trimesh.Trimesh:
    """An axis-aligned box of ``size`` whose base centre sits at ``at``."""
    m = trimesh.creation.box(extents=size)
    m.apply_translation([at[0], at[1] + size[1] / 2.0, at[2]])
    if colour:
        m.visual.vertex_colors = _rgba(colour)
    return m


def cylinder(radius, height, at, axis="y", sections=16, colour=None) -> trimesh.Trimesh:
    """A cylinder centred at ``at`` along ``axis``."""
    m = trimesh.creation.cylinder(radius=radius, height=height, sections=sections)  # along Z
    if axis == "y":
        m.apply_transform(trimesh.transformations.rotation_matrix(-math.pi / 2, [1, 0, 0]))
    elif axis == "x":
        m.apply_transform(trimesh.transformations.rotation_matrix(math.pi / 2, [0, 1, 0]))
    m.apply_translation(at)
    if colour:
        m.visual.vertex_colors = _rgba(colour)
    return m


def frustum(r_bottom, r_top, height, at, sides=9, jitter=0.0, seed=0) -> trimesh.Trimesh:
    """A closed, slightly irregular tapered prism (a mesa or a mountain when r_top is small)."""
    rng = np.random.default_rng(seed)
    a = np.linspace(0, 2 * math.pi, sides, endpoint=False)
    wobble = 1.0 + jitter * (rng.random(sides) - 0.5)
    ring = np.c_[np.cos(a) * wobble, np.sin(a) * wobble]
    bottom = np.c_[ring[:, 0] * r_bottom, np.zeros(sides), ring[:, 1] * r_bottom]
    top = np.c_[ring[:, 0] * r_top, np.full(sides, height), ring[:, 1] * r_top]
    v = np.vstack([bottom, top, [[0, 0, 0], [0, height, 0]]]) + np.asarray(at, float)
    f = []
    cb, ct = 2 * sides, 2 * sides + 1
    for i in range(sides):
        j = (i + 1) % sides
        f += [[i, sides + i, j], [j, sides + i, sides + j]]  # walls, outward
        f += [[cb, i, j], [ct, sides + j, sides + i]]  # bottom cap down, top cap up
    m = trimesh.Trimesh(v, f, process=False)
    m.fix_normals()
    return m


def _pbr(mesh: trimesh.Trimesh, colour: str, roughness=0.8, metallic=0.0) -> trimesh.Trimesh:
    r, g, b, _ = _rgba(colour)
    mesh.visual = trimesh.visual.TextureVisuals(
        material=PBRMaterial(
            baseColorFactor=[r, g, b, 255], roughnessFactor=roughness, metallicFactor=metallic
        )
    )
    return mesh


# ---------------------------------------------------------------- the environment
def desert() -> trimesh.Scene:
    """6 km of desert in decametres: rolling sand, a road to the horizon, mesas, mountains."""
    n, half = 41, 300.0  # 41 x 41 vertices over 600 x 600 units (6 x 6 km)
    xs = np.linspace(-half, half, n)
    gx, gz = np.meshgrid(xs, xs)
    r = np.hypot(gx, gz)
    dunes = 0.6 * np.sin(gx / 23.0) * np.cos(gz / 31.0) + 0.3 * np.sin((gx + gz) / 11.0)
    flat_near = np.clip((r - 6.0) / 30.0, 0.0, 1.0)  # flat where the stage stands
    flat_road = np.clip((np.abs(gx) - 1.5) / 6.0, 0.0, 1.0)
    y = dunes * flat_near * flat_road - 0.05
    verts = np.c_[gx.ravel(), y.ravel(), gz.ravel()]
    faces = []
    for i in range(n - 1):
        for j in range(n - 1):
            a = i * n + j
            faces += [
                [a, a + n, a + 1],
                [a + 1, a + n, a + n + 1],
            ]  # counter-clockwise seen from +Y
    ground = trimesh.Trimesh(verts, faces, process=False)
    light, dark = np.array(_rgba("#d9b384")), np.array(_rgba("#b98b5a"))
    t = ((y.ravel() - y.min()) / max(np.ptp(y), 1e-9))[:, None]
    ground.visual.vertex_colors = (dark * (1 - t) + light * t).astype(np.uint8)

    road = trimesh.Trimesh(
        [[-0.45, 0.0, -2.0], [0.45, 0.0, -2.0], [0.45, 0.0, -half], [-0.45, 0.0, -half]],
        [[0, 1, 2], [0, 2, 3]],
        process=False,
    )
    _pbr(road, "#3b3836", roughness=0.9)

    mesas = []
    for k, (x, z, rb, h) in enumerate(
        [
            (-60, -110, 22, 14),
            (45, -160, 30, 19),
            (120, -90, 16, 11),
            (-150, -210, 35, 24),
            (10, -260, 26, 17),
        ]
    ):
        mesas.append(frustum(rb, rb * 0.8, h, (x, -0.5, z), sides=11, jitter=0.35, seed=k))
    mesa = _pbr(trimesh.util.concatenate(mesas), "#a65d3a", roughness=0.95)

    peaks = []
    for k, a in enumerate(np.linspace(-150, -30, 9)):  # a ring behind, left to right
        rad = math.radians(a)
        d = 270 + 20 * math.sin(3 * k)
        peaks.append(
            frustum(
                60 + 9 * (k % 3),
                4,
                32 + 10 * ((k * 7) % 3),
                (d * math.cos(rad), -1, d * math.sin(rad)),
                sides=8,
                jitter=0.5,
                seed=10 + k,
            )
        )
    mountains = _pbr(trimesh.util.concatenate(peaks), "#7d6a80", roughness=1.0)

    scene = trimesh.Scene()
    scene.add_geometry(ground, geom_name="ground")
    scene.add_geometry(road, geom_name="road")
    scene.add_geometry(mesa, geom_name="mesas")
    scene.add_geometry(mountains, geom_name="mountains")
    return scene


# ---------------------------------------------------------------- set pieces
def diner() -> trimesh.Scene:
    """The front of a roadside diner, built 4 m deep to fit the volume; door and windows face +Z.
    8 x 4 m, base centre at the origin, sign top at 5.2 m."""
    parts = {
        "walls": _pbr(box([8.0, 3.4, 4.0], [0, 0, 0]), "#e8dcc4", 0.85),
        "roof": _pbr(box([8.5, 0.3, 4.5], [0, 3.4, 0]), "#6e3b2e", 0.8),
        "trim": _pbr(box([8.1, 0.25, 4.1], [0, 0.0, 0]), "#3f7f86", 0.6),
        "door": _pbr(box([1.0, 2.2, 0.06], [0.4, 0.0, 2.0]), "#2a3d45", 0.4),
        "windows": _pbr(
            trimesh.util.concatenate(
                [box([1.5, 1.3, 0.05], [x, 1.0, 2.0]) for x in (-3.0, -1.2, 2.0)]
            ),
            "#202a30",
            0.08,
        ),
        "awning": _pbr(box([7.2, 0.12, 1.3], [0, 2.6, 2.65]), "#b8342c", 0.7),
        "sign_posts": _pbr(
            trimesh.util.concatenate([cylinder(0.06, 1.4, [x, 4.4, 0.3]) for x in (-1.8, 1.8)]),
            "#555555",
            0.5,
            1.0,
        ),
        "sign": _pbr(box([4.6, 1.0, 0.15], [0, 4.2, 0.3]), "#f1e6a8", 0.5),
    }
    scene = trimesh.Scene()
    for name, mesh in parts.items():
        scene.add_geometry(mesh, geom_name=name)
    return scene


def car() -> trimesh.Trimesh:
    """A sedan in centimetres, 470 cm long (along +X, the front), wheels on y = 0."""
    body = box([470, 62, 182], [0, 30, 0])
    hood = box([120, 8, 176], [165, 92, 0])
    cabin = box([240, 52, 160], [-25, 92, 0])
    roof = box([200, 6, 150], [-30, 144, 0])
    bumpers = [box([12, 18, 186], [x, 28, 0]) for x in (-236, 236)]
    wheels = [
        cylinder(33, 24, [x, 33, z], axis="z", sections=20) for x in (-150, 145) for z in (-80, 80)
    ]
    lamps = [cylinder(9, 4, [238, 66, z], axis="x", sections=12) for z in (-62, 62)]
    return trimesh.util.concatenate([body, hood, cabin, roof, *bumpers, *wheels, *lamps])


def fuel_pump() -> trimesh.Trimesh:
    """A 1.9 m fuel pump with vertex colours (red body, white head, black hose), front +Z."""
    base = box([0.7, 0.12, 0.5], [0, 0, 0], "#3a3a3a")
    body = box([0.56, 1.45, 0.4], [0, 0.12, 0], "#c62d25")
    head = box([0.6, 0.36, 0.44], [0, 1.57, 0], "#f2efe6")
    dial = box([0.36, 0.2, 0.02], [0, 1.0, 0.2], "#1e1e1e")
    globe = cylinder(0.16, 0.08, [0, 2.05, 0], axis="z", sections=20, colour="#f7f3d0")
    hose = cylinder(0.025, 0.9, [0.31, 0.85, 0.1], axis="y", sections=8, colour="#111111")
    nozzle = box([0.08, 0.22, 0.08], [0.31, 1.15, 0.12], "#9a9a9a")
    return trimesh.util.concatenate([base, body, head, dial, globe, hose, nozzle])


def bench() -> trimesh.Trimesh:
    """A slatted bench in inches: 60 in long (X), seat at 18 in, back facing -Z."""
    parts = [box([60, 1.2, 3.2], [0, 16.8, z]) for z in (-6.5, -2.5, 1.5, 5.5)]  # seat slats
    parts += [box([60, 3.2, 1.2], [0, y, -8.5]) for y in (21.0, 25.5, 30.0)]  # back slats
    for x in (-27, 27):
        parts += [
            box([2, 16.8, 2], [x, 0, 5.5]),
            box([2, 33.2, 2], [x, 0, -8.5]),
            box([2, 2, 16], [x, 15, -1.5]),
        ]
    return trimesh.util.concatenate(parts)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    desert().export(OUT / "desert.glb")
    diner().export(OUT / "diner.glb")
    car().export(OUT / "car.obj", include_normals=False, include_texture=False)
    fuel_pump().export(OUT / "fuel_pump.ply", encoding="binary")
    bench().export(OUT / "bench.stl")
    total = 0
    for f in sorted(OUT.iterdir()):
        total += f.stat().st_size
        print(f"{f.name:16s} {f.stat().st_size / 1024:7.1f} KiB")
    print(f"{'total':16s} {total / 1024:7.1f} KiB")


if __name__ == "__main__":
    main()
