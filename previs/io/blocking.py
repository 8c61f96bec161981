"""The blocking part of loading a scene: walks from named marks, the seats under sitters' hips,
and how fast people walk (file, line and field in every message).

Kept apart from :mod:`previs.io.scene_file` so that file stays about the format; both run in
one load.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from previs.core import figure
from previs.core import scene as sc
from previs.core import transforms as tf
from previs.errors import PrevisError
from previs.io import schema

SEAT_SEARCH_M = 0.09  # half the width under a sitter's hips that may find the seat (slats, gaps)


def walk_points(w: schema.Walk, s: schema.Shot, i: int, j: int, m: schema.SceneFile, ctx) -> tuple:
    """The floor points of a walk: as written (``points_m``), or its marks' positions."""
    if w.points_m is not None:
        return tuple(tuple(p) for p in w.points_m)
    marks = s.marks.get(w.who, {})
    c = next(c for c in m.characters if c.name == w.who)
    y = (c.position_m or c.translation_m or (0.0, 0.0, 0.0))[1]
    out = []
    for k, name in enumerate(w.marks or ()):  # the schema gives a walk points_m or marks
        if name not in marks:
            known = list(marks) or ["(none: give the shot marks: {" + w.who + ": {1: [x, z]}})"]
            raise ctx.error(
                f"no mark {name!r} for {w.who} in this shot{schema.suggest(name, known)}",
                ("shots", i, "walks", j, "marks", k),
            )
        x, z = marks[name]
        out.append((float(x), float(y), float(z)))
    return tuple(out)


def _piece_triangles(piece: sc.SetPiece) -> np.ndarray:
    """(N, 3, 3) world triangles of a set piece (its mesh file or primitive)."""
    from previs.io.meshes import load_asset, primitive_asset

    if piece.kind == "mesh":
        if piece.mesh_path is None:  # the loader gives every mesh piece its file
            raise PrevisError(f"set piece {piece.name!r} is a mesh without a file")
        asset = load_asset(piece.mesh_path, variants=dict(piece.mesh_variants) or None)
    else:
        asset = primitive_asset(
            piece.kind, size_m=piece.size_m, radius_m=piece.radius_m, height_m=piece.height_m
        )
    tris = [
        np.asarray(p.positions, np.float64)[np.asarray(p.indices, np.int64)] for p in asset.parts
    ]
    if not tris:
        return np.zeros((0, 3, 3))
    t = np.concatenate(tris)
    m = piece.world_from_local
    return t @ m[:3, :3].T + m[:3, 3]


def surface_below(
    tris: np.ndarray, xz, below_y: float, radius_m: float = SEAT_SEARCH_M
) -> float | None:
    """The highest upward-facing surface of ``tris`` under a disc of ``radius_m`` round ``xz``
    that is lower than ``below_y``; None where there is none."""
    if not len(tris):
        return None
    n = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    norm = np.linalg.norm(n, axis=1)
    up = n[:, 1] > 0.5 * np.maximum(norm, 1e-12)
    t = tris[up]
    if not len(t):
        return None
    a, b, c = t[:, 0][:, [0, 2]], t[:, 1][:, [0, 2]], t[:, 2][:, [0, 2]]
    best = None
    ang = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    probes = [np.asarray(xz, float)] + [
        np.asarray(xz, float) + r * np.array([np.cos(g), np.sin(g)])
        for r in (radius_m / 2, radius_m)
        for g in ang
    ]
    v0, v1 = b - a, c - a
    d00, d01, d11 = (v0 * v0).sum(1), (v0 * v1).sum(1), (v1 * v1).sum(1)
    den = d00 * d11 - d01 * d01
    ok = np.abs(den) > 1e-18
    for p in probes:
        v2 = p - a
        d20, d21 = (v2 * v0).sum(1), (v2 * v1).sum(1)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = (d11 * d20 - d01 * d21) / den
            w = (d00 * d21 - d01 * d20) / den
        inside = ok & (v >= -1e-9) & (w >= -1e-9) & (v + w <= 1 + 1e-9)
        if not inside.any():
            continue
        y = (
            t[inside, 0, 1]
            + v[inside] * (t[inside, 1, 1] - t[inside, 0, 1])
            + w[inside] * (t[inside, 2, 1] - t[inside, 0, 1])
        )
        y = y[y < below_y]
        if len(y) and (best is None or y.max() > best):
            best = float(y.max())
    return best


def _seat(
    scene: sc.Scene, who: sc.SetPiece, seat: str | None, root: np.ndarray, ctx, where, cache: dict
) -> float:
    """World height of what ``who`` sits on with its root at ``root`` (4x4): the named seat's
    top under its hips, else the highest set piece there, else the floor it stands on."""
    h = who.height_m * float(np.linalg.norm(who.world_from_local[:3, 1]))
    hips = root @ np.r_[figure.named_pose("sit", h).pelvis_m, 1.0]
    floor_y = float(root[1, 3])
    top = floor_y + figure.HIP_FRACTION * h  # a seat is lower than a standing hip
    pieces = [
        p for p in scene.set_pieces if p.kind != "standin" and (seat is None or p.name == seat)
    ]
    best = None
    for p in pieces:
        if p.name not in cache:
            cache[p.name] = _piece_triangles(p)
        y = surface_below(cache[p.name], hips[[0, 2]], top)
        if y is not None and (best is None or y > best):
            best = y
    if best is None and seat is not None:
        p = pieces[0]
        c = p.world_from_local[[0, 2], 3]
        raise ctx.error(
            f"{who.name}'s hips at ({hips[0]:.2f}, {hips[2]:.2f}) are not over {seat!r} "
            f"(its origin is {np.linalg.norm(c - hips[[0, 2]]):.2f} m away, or its top is "
            f"above a standing hip): place {who.name} on it, facing away from its back",
            where + ("seat",),
        )
    return floor_y if best is None else max(best, floor_y)


def seat_heights(scene: sc.Scene, m: schema.SceneFile, ctx) -> sc.Scene:
    """Find the seat under every sitter (its default pose and each keyed ``sit``), and warn of
    walks at speeds no person walks or runs at."""
    from previs.core.frame import character_root
    from previs.core.plausibility import check_walk

    cache: dict = {}
    people = {p.name: p for p in scene.characters}
    index = {c.name: k for k, c in enumerate(m.characters)}
    pieces = list(scene.set_pieces)
    for k, p in enumerate(pieces):
        if p.kind == "standin" and p.pose == "sit":
            where = ("characters", index[p.name])
            root = tf.translation(p.world_from_local[:3, 3]) @ _rigid(p.world_from_local)
            pieces[k] = dataclasses.replace(
                p, seat_height_m=_seat(scene, p, p.seat, root, ctx, where, cache)
            )
    scene = dataclasses.replace(scene, set_pieces=tuple(pieces))
    people = {p.name: p for p in scene.characters}
    shots = []
    warnings = list(scene.warnings)
    for i, shot in enumerate(scene.shots):
        keys = []
        for j, key in enumerate(shot.poses):
            if key.pose == "sit":
                who = people[key.character]
                root = character_root(scene, shot, who, key.frame)
                seat_height = _seat(
                    scene, who, key.seat, root, ctx, ("shots", i, "poses", j), cache
                )
                key = dataclasses.replace(key, seat_height_m=seat_height)
            keys.append(key)
        shots.append(dataclasses.replace(shot, poses=tuple(keys)))
        for j, w in enumerate(shot.walks):
            try:
                found = check_walk(w, scene.frame_rate)
            except PrevisError:
                continue
            warnings += [
                str(ctx.error(f"{x.message} (a plausibility warning)", ("shots", i, "walks", j)))
                for x in found
            ]
    return dataclasses.replace(scene, shots=tuple(shots), warnings=tuple(warnings))


def _rigid(m: np.ndarray) -> np.ndarray:
    out = np.eye(4)
    out[:3, :3] = m[:3, :3] / np.linalg.norm(m[:3, :3], axis=0)
    return out
