"""The mannequin's mesh: one rigid piece per body segment, built in the rest pose from the
joint positions of :mod:`previs.core.figure` (capsules along the bones, spheres at the joints,
an egg of a head with a nose to show where it faces, flat feet), each an
:class:`~previs.core.mesh.Asset`. A posed figure is those pieces placed by
:func:`previs.core.figure.segment_matrices`, so a pose costs a matrix per piece, never new
vertices; the pieces are cached by (height, colour).
"""

from __future__ import annotations

import functools

import numpy as np

from previs.core import figure as fig
from previs.core.mesh import Asset, Material, MeshPart

_SEG = {name: (a, b, r) for name, a, b, r in fig.SEGMENTS}
# what each rigid piece is made of: capsules (segment names) and joint spheres (joint, radius in H)
PIECES: dict[str, tuple[tuple[str, ...], tuple[tuple[str, float], ...]]] = {
    "pelvis": (("pelvis", "abdomen"), ()),
    "torso": (("torso",), ()),
    "chest": (("chest",), ()),
    "shoulders": ((), ()),  # the shoulder bar, built below
    "neck": (("neck",), ()),
    "head": ((), ()),
    "upper_arm_l": (("upper_arm_l",), (("shoulder_l", 0.034),)),
    "upper_arm_r": (("upper_arm_r",), (("shoulder_r", 0.034),)),
    "forearm_l": (("forearm_l",), (("elbow_l", 0.028),)),
    "forearm_r": (("forearm_r",), (("elbow_r", 0.028),)),
    "hand_l": (("hand_l",), (("wrist_l", 0.024),)),
    "hand_r": (("hand_r",), (("wrist_r", 0.024),)),
    "thigh_l": (("thigh_l",), (("hip_l", 0.05),)),
    "thigh_r": (("thigh_r",), (("hip_r", 0.05),)),
    "shin_l": (("shin_l",), (("knee_l", 0.038),)),
    "shin_r": (("shin_r",), (("knee_r", 0.038),)),
    "foot_l": ((), (("ankle_l", 0.03),)),
    "foot_r": ((), (("ankle_r", 0.03),)),
}


def capsule_mesh(p0, p1, r, count: int = 10):
    """A trimesh capsule of radius ``r`` from ``p0`` to ``p1`` (trimesh's runs along Z)."""
    import trimesh

    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    length = float(np.linalg.norm(p1 - p0))
    c = trimesh.creation.capsule(height=max(length, 1e-3), radius=r, count=[count, count])
    d = (p1 - p0) / max(length, 1e-9)
    z = np.array([0.0, 0.0, 1.0])
    v = np.cross(z, d)
    s, cth = np.linalg.norm(v), float(np.dot(z, d))
    if s < 1e-9:
        rot = np.eye(3) if cth > 0 else np.diag([1.0, -1.0, -1.0])
    else:
        vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
        rot = np.eye(3) + vx + vx @ vx * ((1 - cth) / s**2)
    m = np.eye(4)
    m[:3, :3] = rot
    m[:3, 3] = (p0 + p1) / 2
    c.apply_transform(m)
    return c


def _sphere(at, r, sub=1):
    import trimesh

    s = trimesh.creation.icosphere(subdivisions=sub, radius=r)
    s.apply_translation(np.asarray(at, float))
    return s


def _where(rest: fig.Posed, name: str) -> np.ndarray:
    return rest.joint(name) if name in fig.JOINT_INDEX else rest.point(name)


def piece_meshes(height_m: float) -> dict:
    """Each rigid piece as a trimesh, in the rest pose (standing at the origin, facing +Z)."""
    import trimesh

    h = float(height_m)
    rest = fig.rest_posed(h)
    out = {}
    for piece, (caps, balls) in PIECES.items():
        parts = [
            capsule_mesh(_where(rest, _SEG[c][0]), _where(rest, _SEG[c][1]), _SEG[c][2] * h)
            for c in caps
        ]
        parts += [_sphere(rest.joint(j), r * h) for j, r in balls]
        if piece == "shoulders":
            parts.append(
                capsule_mesh(rest.joint("shoulder_l"), rest.joint("shoulder_r"), 0.036 * h)
            )
        elif piece == "head":
            r = 0.062 * h
            centre = rest.joint("head") + np.array([0.0, (1.0 - fig.CHIN_FRACTION) * h - r, 0.0])
            head = trimesh.creation.icosphere(subdivisions=2, radius=r)
            head.apply_scale([0.84, 1.0, 0.95])
            head.apply_translation(centre)
            nose = _sphere(centre + [0.0, -0.012 * h, 0.95 * r], 0.014 * h)
            parts += [head, nose]  # the nose shows which way the head faces
        elif piece.startswith("foot"):
            side = piece[-1]
            heel, toe = rest.point(f"heel_{side}"), rest.point(f"toe_{side}")
            foot = trimesh.creation.box([0.055 * h, 0.035 * h, float(toe[2] - heel[2])])
            foot.apply_translation([heel[0], 0.0175 * h, (heel[2] + toe[2]) / 2])
            parts.append(foot)
        out[piece] = trimesh.util.concatenate(parts)
    return out


@functools.lru_cache(maxsize=32)
def _cached_meshes(height_mm: int) -> dict:
    return piece_meshes(height_mm / 1000.0)


def figure_assets(
    height_m: float,
    color_linear,
    roughness: float = 0.7,
    metallic: float = 0.0,
    key: str = "figure",
) -> dict[str, Asset]:
    """The mannequin's pieces as Assets (by piece name, :data:`PIECES`), cached by height (to the
    millimetre); one material for the whole figure, its colour."""
    meshes = _cached_meshes(int(round(float(height_m) * 1000)))
    mat = Material(
        key=f"{key}:{tuple(round(c, 5) for c in color_linear)}:{roughness}:{metallic}",
        base_color=(*color_linear, 1.0),
        roughness=roughness,
        metallic=metallic,
    )
    out = {}
    for name, m in meshes.items():
        n = len(m.vertices)
        part = MeshPart(
            positions=np.asarray(m.vertices, np.float32),
            normals=np.asarray(m.vertex_normals, np.float32),
            uvs=np.zeros((n, 2), np.float32),
            colors=np.ones((n, 4), np.float32),
            indices=np.asarray(m.faces, np.uint32),
            material=mat,
        )
        v = part.positions
        out[name] = Asset(
            f"<figure {name}>",
            (part,),
            v.min(axis=0).astype(np.float64),
            v.max(axis=0).astype(np.float64),
        )
    return out


def figure_mesh(posed: fig.Posed):
    """The posed figure as one trimesh (for exports and tests)."""
    import trimesh

    mats = fig.segment_matrices(posed)
    parts = []
    for name, m in piece_meshes(posed.height_m).items():
        m = m.copy()
        m.apply_transform(mats[name])
        parts.append(m)
    return trimesh.util.concatenate(parts)
