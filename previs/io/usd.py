"""USD sets (``.usd``, ``.usda``, ``.usdc``, ``.usdz``) through usd-core, as the same plain
:class:`~previs.core.mesh.Asset` that glTF gives: metres, +Y up, triangles, previs materials.

What is read, and how:

- The stage is opened with every payload loaded; variant selections from the scene file are
  authored on the session layer before anything is traversed (the file itself is never touched).
- Every layer the root layer reaches (sublayers, references, payloads, also inside variants) is
  checked before usd-core opens it: a regular file within :data:`MAX_MESH_FILE_BYTES`. A FIFO or a
  device is refused (it would block or never end); a layer that is missing is a warning naming it
  and the rest loads.
- Meshes of any face size are triangulated: convex faces as fans, concave faces (a reflex corner
  about the face's Newell normal) by ear clipping in the face's plane. ``leftHanded`` flips the
  winding, as does a mirroring transform. Normals (``primvars:normals`` or ``normals``; vertex,
  faceVarying, uniform or constant) and UVs (the primvar a material's ``UsdPrimvarReader_float2``
  names, else ``st``) are kept; missing normals are computed (smooth for subdivision surfaces,
  faceted for ``subdivisionScheme = "none"``, as Hydra draws them).
- Subdivision surfaces are not subdivided: their control cage is drawn, smooth-shaded, with one
  warning saying so.
- Cube, Sphere, Cylinder, Cone and Capsule gprims are tessellated at their size, radius, height
  and axis. Instances (native instancing through instance proxies) and PointInstancers are baked:
  every copy becomes triangles (counted against :data:`MAX_TRIANGLES`). Parts that share a
  material are merged so a layout of 500 teapots is a few draw calls, not 2,000.
- Invisible prims and the ``proxy`` and ``guide`` purposes are skipped.
- ``metersPerUnit`` scales to metres; ``upAxis`` Z turns -90 degrees about X (Z up becomes Y up),
  X turns +90 degrees about Z. The file's own values are in :attr:`UsdAsset.source_meta`.
- UsdPreviewSurface materials (also through NodeGraphs and GeomSubsets) become previs materials:
  diffuseColor, opacity (and opacityThreshold as a cutoff), metallic, roughness, emissiveColor,
  occlusion and normal, each a value or a UsdUVTexture (files beside the layer or inside a .usdz).
- :func:`usd_lights_and_cameras` gives UsdLux lights and UsdGeom cameras as plain data.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from previs.core.mesh import Asset, Material, MeshPart, TextureImage
from previs.core.transforms import vec3
from previs.io.meshes import MAX_MESH_FILE_BYTES, MAX_TRIANGLES, MAX_VERTICES
from previs.io.safe_files import UnsafeFile, printable, read_regular, stat_regular

USD_SUFFIXES = (".usd", ".usda", ".usdc", ".usdz")

MAX_LAYERS = 10_000
"""Layers one stage may reach: far more than a real set (the 494-teapot layout uses 12), few
enough that a file referencing itself in a thousand ways stops quickly."""

_MAX_INSTANCER_DEPTH = 8  # PointInstancers nested inside prototypes
_GPRIM_SEGMENTS = 48  # around a sphere, cylinder, cone or capsule
_DEFAULT_GREY = (0.5, 0.5, 0.5)  # what USD viewers draw without a material or displayColor
_DISPLAY_COLOR = object()  # a material input read from the displayColor primvar


class UsdRefusal(Exception):
    """Why a USD file is refused, in our words (previs.io.meshes adds the file's name)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, eq=False)
class UsdAsset(Asset):
    """An :class:`Asset` read from USD, plus what the file said about itself.

    ``source_meta``: ``up_axis`` and ``meters_per_unit`` as written in the file (the geometry is
    already converted), ``default_prim``, ``layers`` (how many the stage composed),
    ``variants`` (selections applied from the scene file), ``subdivision_meshes``.
    ``warnings``: one line each, naming what was skipped or approximated."""

    source_meta: Mapping = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


# ---------------------------------------------------------------- opening safely
def _sniff(path: Path) -> None:
    """The file's first bytes match its suffix, before usd-core sees it: a clear line for a file
    that is not USD instead of a parser's diagnostics."""
    try:
        with open(path, "rb", buffering=0) as f:  # stat_regular checked it is a regular file
            head = f.read(16)
    except OSError:
        raise UsdRefusal("cannot be read") from None
    suffix = path.suffix.lower()
    if not head:
        raise UsdRefusal("the file is empty")
    is_text, is_crate, is_zip = (
        head.startswith(b"#usda"),
        head.startswith(b"PXR-USDC"),
        head.startswith(b"PK\x03\x04"),
    )
    if suffix == ".usda" and not is_text:
        raise UsdRefusal("not a USD file: a .usda file starts with '#usda'")
    if suffix == ".usdc" and not is_crate:
        raise UsdRefusal("not a USD file: a .usdc file starts with 'PXR-USDC'")
    if suffix == ".usdz" and not is_zip:
        raise UsdRefusal("not a USD file: a .usdz file is a zip archive, and this is not one")
    if suffix == ".usd" and not (is_text or is_crate):
        raise UsdRefusal("not a USD file: a .usd file starts with '#usda' or 'PXR-USDC'")
    if suffix not in USD_SUFFIXES and not (is_text or is_crate or is_zip):  # a link's target
        raise UsdRefusal("not a USD file (no '#usda', 'PXR-USDC' or zip header)")
    if is_zip:
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
                if not names or not names[0].lower().endswith((".usd", ".usda", ".usdc")):
                    raise UsdRefusal("not a valid .usdz: its first file is not a USD layer")
                total = sum(i.file_size for i in z.infolist())
        except (zipfile.BadZipFile, OSError, ValueError):
            raise UsdRefusal("not a valid .usdz: the zip archive is damaged or truncated") from None
        if total > MAX_MESH_FILE_BYTES * 4:
            raise UsdRefusal("the .usdz unpacks to more than previs reads")


def _first_line(exc: BaseException) -> str:
    for line in str(exc).splitlines():
        line = line.strip()
        if "'" in line:  # usd-core: Error in '...' at line N in file ... : 'why'
            why = line.rsplit(" : ", 1)[-1].strip("' ")
            if why:
                return printable(why, 160)
    return "usd-core cannot read it"


def _walk_layers(root, warnings: list[str]) -> list:
    """Open every layer the root reaches, checking each file first; return them (held open so
    the stage reuses them instead of opening the paths again)."""
    from pxr import Sdf, Tf

    held, seen, todo = [root], {root.identifier}, [root]
    missing: dict[str, str] = {}
    while todo:
        layer = todo.pop()
        for dep in layer.GetCompositionAssetDependencies():
            if not dep or "[" in dep or dep.startswith("anon:"):
                continue  # inside a package: the package is the checked file
            full = layer.ComputeAbsolutePath(dep)
            if full in seen:
                continue
            seen.add(full)
            if len(seen) > MAX_LAYERS:
                raise UsdRefusal(f"it reaches more than {MAX_LAYERS:,} layers")
            try:
                stat_regular(full, MAX_MESH_FILE_BYTES)
            except UnsafeFile as exc:
                if exc.reason == "not found":
                    missing.setdefault(full, layer.identifier)
                    continue
                raise UsdRefusal(
                    f"the layer '{printable(dep)}' it refers to is {exc.reason}"
                ) from None
            try:
                _sniff(Path(full))
            except UsdRefusal as exc:
                raise UsdRefusal(
                    f"the layer '{printable(dep)}' it refers to: {exc.reason}"
                ) from None
            with Tf.DiagnosticTrap() as trap:
                try:
                    sub = Sdf.Layer.FindOrOpen(full)
                except Tf.ErrorException as exc:
                    raise UsdRefusal(
                        f"the layer '{printable(dep)}' it refers to cannot be read "
                        f"({_first_line(exc)})"
                    ) from None
                trap.Clear()
            if sub is not None:
                held.append(sub)
                todo.append(sub)
    for full, by in missing.items():
        warnings.append(
            f"missing layer '{printable(full)}' (referred to by "
            f"'{printable(Path(by).name)}'): what it holds is not drawn"
        )
    return held


def open_stage(path: Path, variants: Mapping[str, str] | None = None):
    """(stage, held layers, warnings): the stage of ``path`` with every payload loaded and the
    ``variants`` selections applied on its session layer. :class:`UsdRefusal` if it cannot be."""
    from pxr import Sdf, Tf, Usd

    _sniff(path)
    warnings: list[str] = []
    with Tf.DiagnosticTrap() as trap:
        try:
            root = Sdf.Layer.FindOrOpen(str(path))
        except Tf.ErrorException as exc:
            raise UsdRefusal(f"not a valid USD file ({_first_line(exc)})") from None
        if root is None:
            raise UsdRefusal("not a valid USD file (usd-core cannot open it)")
        held = _walk_layers(root, warnings)
        try:
            stage = Usd.Stage.Open(root, Sdf.Layer.CreateAnonymous(".usda"), Usd.Stage.LoadAll)
        except Tf.ErrorException as exc:
            raise UsdRefusal(f"not a valid USD file ({_first_line(exc)})") from None
        if variants:
            _apply_variants(stage, variants)
        trap.Clear()  # composition errors are read below, once per missing asset
    _composition_warnings(stage, warnings)
    return stage, held, warnings


def _apply_variants(stage, variants: Mapping[str, str]) -> None:
    """Select ``{set name: variant}`` on every prim that has that set and offers that variant,
    authored on the session layer. A selection can bring in prims with sets of their own, so
    this repeats until nothing changes."""
    from pxr import Usd

    offered: dict[str, set[str]] = {}
    used: set[str] = set()
    with Usd.EditContext(stage, stage.GetSessionLayer()):
        for _ in range(16):
            changed = False
            for prim in stage.Traverse():
                vsets = prim.GetVariantSets()
                for name in vsets.GetNames():
                    if name not in variants:
                        continue
                    vset = vsets.GetVariantSet(name)
                    names = vset.GetVariantNames()
                    offered.setdefault(name, set()).update(names)
                    want = str(variants[name])
                    if want in names and vset.GetVariantSelection() != want:
                        vset.SetVariantSelection(want)
                        changed = True
                    if want in names:
                        used.add(name)
            if not changed:
                break
    for name, want in variants.items():
        if name not in offered:
            raise UsdRefusal(
                f"variant set '{printable(name)}' is not in this file"
                + (
                    f" (it has: {', '.join(sorted(_all_sets(stage)))})"
                    if _all_sets(stage)
                    else " (it has no variant sets)"
                )
            )
        if name not in used:
            raise UsdRefusal(
                f"variant set '{printable(name)}' has no variant "
                f"'{printable(want)}' (choose from: "
                f"{', '.join(sorted(offered[name]))})"
            )


def _all_sets(stage) -> set[str]:
    return {n for p in stage.Traverse() for n in p.GetVariantSets().GetNames()}


def _composition_warnings(stage, warnings: list[str]) -> None:
    get = getattr(stage, "GetCompositionErrors", None)
    if get is None:  # older usd-core: missing layers were found by _walk_layers already
        return
    known = {w for w in warnings}
    counts: dict[str, int] = {}
    for err in get():
        text = str(err)
        if "Could not open asset @" in text:
            asset = text.split("@", 2)[1]
            counts[asset] = counts.get(asset, 0) + 1
    for asset, n in counts.items():
        if any(f"'{printable(asset)}'" in w for w in known):
            continue
        warnings.append(
            f"missing layer '{printable(asset)}' ({n:,} "
            f"{'prim refers' if n == 1 else 'prims refer'} to it): not drawn"
        )


# ---------------------------------------------------------------- axes and units
def stage_conversion(stage) -> tuple[np.ndarray, str, float, list[str]]:
    """(4x4 from stage space to previs metres +Y up, authored upAxis, metersPerUnit, warnings)."""
    from pxr import UsdGeom

    warnings = []
    up = str(UsdGeom.GetStageUpAxis(stage))
    mpu = float(UsdGeom.GetStageMetersPerUnit(stage))
    if not (math.isfinite(mpu) and mpu > 0):
        warnings.append(
            f"metersPerUnit {mpu!r} is not a positive number; read as 0.01 (the "
            "USD fallback, centimetres)"
        )
        mpu = 0.01
    rot = np.eye(4)
    if up == "Z":  # -90 degrees about X: (x, y, z) -> (x, z, -y)
        rot[:3, :3] = [[1, 0, 0], [0, 0, 1], [0, -1, 0]]
    elif up == "X":  # +90 degrees about Z: +X becomes +Y
        rot[:3, :3] = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]
    elif up != "Y":
        warnings.append(f"upAxis '{printable(up)}' is not X, Y or Z; read as Y")
    return rot @ np.diag([mpu, mpu, mpu, 1.0]), up, mpu, warnings


def _matrix(gf) -> np.ndarray:
    """A Gf matrix (row vectors, translation in the last row) as previs's column-vector 4x4."""
    return np.array(gf, dtype=np.float64).reshape(4, 4).T


# ---------------------------------------------------------------- triangulation
def triangulate(
    counts: np.ndarray, indices: np.ndarray, points: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Triangles of polygons given as USD ``faceVertexCounts``/``faceVertexIndices``.

    Returns (corner index triples into ``indices`` (M, 3), the face of each triangle (M,)).
    Convex faces become fans from their first corner; faces with a reflex corner (about their
    Newell normal) are ear-clipped in their plane. Faces of fewer than 3 corners are skipped."""
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(counts) else counts
    tris, faces = [], []
    for k in np.unique(counts):
        if k < 3:
            continue
        sel = np.nonzero(counts == k)[0]
        corner = starts[sel, None] + np.arange(k)[None, :]  # (F, k) corner numbers
        if k == 3:
            tris.append(corner)
            faces.append(sel)
            continue
        p = points[indices[corner]]  # (F, k, 3)
        nxt = np.roll(p, -1, axis=1)
        newell = np.cross(p, nxt).sum(axis=1)  # twice the area vector
        e0 = nxt - p
        turn = np.einsum("fkc,fc->fk", np.cross(np.roll(e0, 1, axis=1), e0), newell)
        concave = (turn < -1e-12 * np.maximum(np.abs(turn).max(axis=1, keepdims=True), 1e-300)).any(
            axis=1
        )
        convex = ~concave
        if convex.any():
            c = corner[convex]
            fan = np.stack([np.repeat(c[:, :1], k - 2, axis=1), c[:, 1:-1], c[:, 2:]], axis=2)
            tris.append(fan.reshape(-1, 3))
            faces.append(np.repeat(sel[convex], k - 2))
        for f in np.nonzero(concave)[0]:
            local = _ear_clip(p[f], newell[f])
            tris.append(corner[f][local])
            faces.append(np.full(len(local), sel[f]))
    if not tris:
        return np.zeros((0, 3), np.int64), np.zeros(0, np.int64)
    return np.concatenate(tris).astype(np.int64), np.concatenate(faces).astype(np.int64)


def _ear_clip(poly: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Ear clipping of one simple polygon (k, 3) in the plane of ``normal``: (k - 2, 3) local
    corner indices, wound as the polygon is."""
    n = normal / max(np.linalg.norm(normal), 1e-300)
    u = np.cross(n, [1.0, 0, 0] if abs(n[0]) < 0.9 else [0, 1.0, 0])
    u /= np.linalg.norm(u)
    v = np.cross(n, u)
    q = np.c_[poly @ u, poly @ v]  # counter-clockwise about n
    idx = list(range(len(q)))
    out = []

    def cross2(a, b, c):
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    guard = 0
    while len(idx) > 3 and guard < 10 * len(q):
        guard += 1
        for j in range(len(idx)):
            a, b, c = idx[j - 1], idx[j], idx[(j + 1) % len(idx)]
            if cross2(q[a], q[b], q[c]) <= 0:
                continue  # reflex (or degenerate): not an ear
            inside = False
            for m in idx:
                if m in (a, b, c):
                    continue
                if (
                    cross2(q[a], q[b], q[m]) >= 0
                    and cross2(q[b], q[c], q[m]) >= 0
                    and cross2(q[c], q[a], q[m]) >= 0
                ):
                    inside = True
                    break
            if not inside:
                out.append((a, b, c))
                idx.pop(j)
                break
        else:  # no ear (self-intersecting or degenerate): fan the rest
            break
    out.extend((idx[0], idx[j], idx[j + 1]) for j in range(1, len(idx) - 1))
    return np.asarray(out, dtype=np.int64)


# ---------------------------------------------------------------- geometry of one prim
@dataclass
class _Geom:
    """A prim's triangles in its own space, grouped by material."""

    positions: np.ndarray  # (N, 3) float64
    normals: np.ndarray  # (N, 3) float64
    uvs: np.ndarray  # (N, 2) float32
    colors: np.ndarray  # (N, 4) float32
    groups: list  # [(Material, vertices used (K,), (M, 3) indices into those)]
    flat_normals: bool = False


def _array(value, width: int | None = None) -> np.ndarray | None:
    if value is None:
        return None
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if width is not None:
        if a.ndim == 1 and a.size == width:
            a = a.reshape(1, width)
        if a.ndim != 2 or a.shape[1] != width:
            return None
    return a


def _per_corner(
    values: np.ndarray, interp: str, point_idx: np.ndarray, counts: np.ndarray, n_points: int
) -> np.ndarray | None:
    """A primvar's values, one per face corner, or None where its count does not fit."""
    n_corners = len(point_idx)
    if interp == "constant" or len(values) == 1:
        return np.broadcast_to(values[:1], (n_corners, values.shape[1]))
    if interp in ("vertex", "varying") and len(values) == n_points:
        return values[point_idx]
    if interp == "faceVarying" and len(values) == n_corners:
        return values
    if interp == "uniform" and len(values) == len(counts):
        return np.repeat(values, counts, axis=0)
    return None


def _primvar(prim, names: tuple[str, ...], width: int):
    """(flattened values, interpolation) of the first of ``names`` that reads as ``width``-wide
    numbers; None if none does (normalsTypes.usda writes normals as ints and doubles)."""
    from pxr import UsdGeom

    api = UsdGeom.PrimvarsAPI(prim)
    for name in names:
        pv = api.GetPrimvar(name)
        if pv and pv.HasValue():
            vals = _array(pv.ComputeFlattened(), width)
            if vals is not None:
                return vals, str(pv.GetInterpolation())
    return None


def _finite(a: np.ndarray | None) -> bool:
    return a is not None and bool(np.isfinite(a).all())


class _Reader:
    """Reads one composed stage into merged, converted MeshParts."""

    def __init__(self, stage, source: str, key_prefix: str):
        from pxr import Usd, UsdGeom

        self.stage = stage
        self.source = source
        self.prefix = key_prefix
        # the default value, or the first time sample where a value is only animated
        self.time = Usd.TimeCode.EarliestTime()
        self.xf = UsdGeom.XformCache(self.time)
        self.materials: dict[str, Material] = {}
        self.vertex_colour_keys: set[str] = set()  # materials multiplied by displayColor
        self.by_look: dict[tuple, Material] = {}
        self.images: dict[str, np.ndarray | None] = {}  # decoded files by path (None: refused)
        self.textures: dict[tuple, TextureImage] = {}
        self.geoms: dict[str, _Geom | None] = {}
        self.warnings: list[str] = []
        self.subdiv: set[str] = set()
        self.skipped: dict[str, int] = {}
        # material key -> [positions, normals, uvs, colors, indices] chunks (world, metres)
        self.out: dict[str, tuple[Material, list]] = {}
        self.vertices = self.triangles = 0

    # ---- traversal
    def run(self, world_from_stage: np.ndarray) -> list[MeshPart]:
        from pxr import Usd, UsdGeom

        rng = Usd.PrimRange.Stage(self.stage, Usd.TraverseInstanceProxies(Usd.PrimDefaultPredicate))
        it = iter(rng)
        for prim in it:
            if not self._drawn(prim):
                it.PruneChildren()
                continue
            if prim.IsA(UsdGeom.PointInstancer):
                it.PruneChildren()  # prototypes are drawn only where instanced
                self._instancer(
                    prim, world_from_stage @ _matrix(self.xf.GetLocalToWorldTransform(prim)), 0
                )
            elif prim.IsA(UsdGeom.Gprim):
                geom = self._geom(prim)
                if geom is not None:
                    self._emit(
                        geom, world_from_stage @ _matrix(self.xf.GetLocalToWorldTransform(prim))
                    )
        return self._parts()

    def _drawn(self, prim) -> bool:
        from pxr import UsdGeom

        img = UsdGeom.Imageable(prim)
        if not img:
            return True
        vis = img.GetVisibilityAttr().Get(self.time)
        if vis == UsdGeom.Tokens.invisible:
            return False
        purpose = img.GetPurposeAttr().Get(self.time)
        return purpose not in (UsdGeom.Tokens.proxy, UsdGeom.Tokens.guide)

    def _instancer(self, prim, world_from_instancer: np.ndarray, depth: int) -> None:
        from pxr import Usd, UsdGeom

        if depth > _MAX_INSTANCER_DEPTH:
            self._skip("PointInstancers nested deeper than 8")
            return
        inst = UsdGeom.PointInstancer(prim)
        xforms = inst.ComputeInstanceTransformsAtTime(self.time, self.time)
        proto_idx = inst.GetProtoIndicesAttr().Get(self.time)
        targets = inst.GetPrototypesRel().GetTargets()
        if xforms is None or proto_idx is None or not targets:
            self._skip("PointInstancers without prototypes, indices or positions")
            return
        proto_idx = np.asarray(proto_idx, dtype=np.int64)
        mats = np.array(xforms, dtype=np.float64).reshape(-1, 4, 4).transpose(0, 2, 1)
        for p, target in enumerate(targets):
            proto = self.stage.GetPrimAtPath(target)
            if not proto:
                self._skip("PointInstancer prototypes that are missing")
                continue
            chosen = world_from_instancer @ mats[proto_idx == p]  # (K, 4, 4)
            if not len(chosen):
                continue
            parent = proto.GetParent()
            it = iter(Usd.PrimRange(proto, Usd.TraverseInstanceProxies(Usd.PrimDefaultPredicate)))
            for sub in it:
                if not self._drawn(sub):
                    it.PruneChildren()
                    continue
                # the prototype root's own transform counts; the path above it does not
                rel, _ = self.xf.ComputeRelativeTransform(sub, parent)
                local = _matrix(rel)
                if sub.IsA(UsdGeom.PointInstancer):
                    it.PruneChildren()
                    for m in chosen:
                        self._instancer(sub, m @ local, depth + 1)
                elif sub.IsA(UsdGeom.Gprim):
                    geom = self._geom(sub)
                    if geom is None:
                        continue
                    self._reserve(geom, len(chosen))
                    for m in chosen:
                        self._emit(geom, m @ local, counted=True)

    def _skip(self, what: str) -> None:
        self.skipped[what] = self.skipped.get(what, 0) + 1

    # ---- output
    def _reserve(self, geom: _Geom, copies: int) -> None:
        tris = sum(len(ix) for _, _, ix in geom.groups) * copies
        verts = len(geom.positions) * copies
        if self.triangles + tris > MAX_TRIANGLES or self.vertices + verts > MAX_VERTICES:
            raise UsdRefusal(
                f"it holds more than {MAX_TRIANGLES:,} triangles or "
                f"{MAX_VERTICES:,} vertices (instances counted), the most previs "
                "draws per asset"
            )
        self.triangles += tris
        self.vertices += verts

    def _emit(self, geom: _Geom, world: np.ndarray, counted: bool = False) -> None:
        if not counted:
            self._reserve(geom, 1)
        m3 = world[:3, :3]
        if not np.isfinite(world).all():
            self._skip("prims with a NaN or infinite transform")
            return
        s = np.linalg.svd(m3, compute_uv=False)
        if not s[0] > 0 or s[-1] <= 1e-9 * s[0]:
            self._skip("prims with a singular transform (a zero scale flattens them)")
            return
        pos = geom.positions @ m3.T + world[:3, 3]
        nrm = geom.normals @ np.linalg.inv(m3)  # inverse-transpose, applied to row vectors
        nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12)
        flip = np.linalg.det(m3) < 0
        for mat, used, tri in geom.groups:
            if flip:
                tri = tri[:, ::-1]
            slot = self.out.setdefault(mat.key, (mat, []))
            colors = (
                geom.colors[used]
                if mat.key in self.vertex_colour_keys
                else np.ones((len(used), 4), np.float32)
            )
            slot[1].append((pos[used], nrm[used], geom.uvs[used], colors, tri))

    def _parts(self) -> list[MeshPart]:
        parts = []
        for mat, chunks in self.out.values():
            offset, idx = 0, []
            for c in chunks:
                idx.append(c[4] + offset)
                offset += len(c[0])
            positions = np.concatenate([c[0] for c in chunks]).astype(np.float32)
            if not np.isfinite(positions).all():
                raise UsdRefusal("vertices lie beyond float32's range once placed")
            parts.append(
                MeshPart(
                    positions=positions,
                    normals=np.concatenate([c[1] for c in chunks]).astype(np.float32),
                    uvs=np.concatenate([c[2] for c in chunks]).astype(np.float32),
                    colors=np.concatenate([c[3] for c in chunks]).astype(np.float32),
                    indices=np.concatenate(idx).astype(np.uint32),
                    material=mat,
                )
            )
        return parts

    # ---- one prim's geometry (cached per prototype prim)
    def _geom(self, prim) -> _Geom | None:
        src = prim.GetPrimInPrototype() if prim.IsInstanceProxy() else prim
        key = str(src.GetPath())
        if key not in self.geoms:
            self.geoms[key] = self._read_geom(prim, key)
        return self.geoms[key]

    def _read_geom(self, prim, key: str) -> _Geom | None:
        from pxr import UsdGeom

        gprim = UsdGeom.Gprim(prim)
        if prim.IsA(UsdGeom.Mesh):
            mesh = self._mesh_arrays(prim, key)
        else:
            mesh = _gprim_arrays(prim, self.time)
            if mesh is None:
                self._skip(f"{prim.GetTypeName() or 'untyped'} prims (not drawn)")
                return None
        if mesh is None:
            return None
        points, counts, fvi, normals_c, uv_c, color_c, flat, left = mesh
        corner_tris, tri_face = triangulate(counts, fvi, points)
        if not len(corner_tris):
            return None
        if left:  # leftHanded: clockwise faces face the viewer
            corner_tris = corner_tris[:, ::-1]
        double = bool(gprim.GetDoubleSidedAttr().Get(self.time))
        # one vertex per face corner: normals, UVs and colours may differ per corner
        positions = points[fvi]
        if normals_c is None:
            normals_c = _computed_normals(points, fvi, corner_tris, flat)
        groups = []
        for mat, faces in self._face_materials(
            prim, len(counts), double, uv_c is not None, color_c
        ):
            if faces is None:
                tri = corner_tris
            else:
                mask = np.zeros(len(counts), bool)
                mask[faces] = True
                tri = corner_tris[mask[tri_face]]
            if len(tri):  # each group keeps only the vertices its triangles use
                used = np.unique(tri)
                remap = np.full(len(positions), -1, np.int64)
                remap[used] = np.arange(len(used))
                groups.append((mat, used, remap[tri]))
        n = len(positions)
        uvs = np.zeros((n, 2), np.float32) if uv_c is None else uv_c.astype(np.float32)
        colors = np.ones((n, 4), np.float32)
        if color_c is not None:
            colors[:, : color_c.shape[1]] = color_c
        return _Geom(positions, normals_c, uvs, colors, groups, flat)

    def _mesh_arrays(self, prim, key: str):
        from pxr import UsdGeom

        mesh = UsdGeom.Mesh(prim)
        points = _array(mesh.GetPointsAttr().Get(self.time), 3)
        counts = mesh.GetFaceVertexCountsAttr().Get(self.time)
        fvi = mesh.GetFaceVertexIndicesAttr().Get(self.time)
        where = f"mesh '{printable(key)}'"
        if points is None or counts is None or fvi is None or not len(points) or not len(counts):
            self._skip("empty meshes")
            return None
        counts = np.asarray(counts, dtype=np.int64)
        fvi = np.asarray(fvi, dtype=np.int64)
        if len(points) > MAX_VERTICES or len(fvi) > 3 * MAX_TRIANGLES:
            raise UsdRefusal(
                f"{where} has {len(points):,} points and {len(fvi):,} face corners;"
                f" previs draws at most {MAX_VERTICES:,} vertices and "
                f"{MAX_TRIANGLES:,} triangles per asset"
            )
        if not np.isfinite(points).all():
            raise UsdRefusal(f"{where} has NaN or infinite points")
        if (counts < 0).any() or int(counts.sum()) != len(fvi):
            self.warnings.append(
                f"{where}: its faceVertexCounts add up to {int(counts.sum()):,}"
                f" but it has {len(fvi):,} faceVertexIndices; not drawn"
            )
            return None
        if len(fvi) and (fvi.min() < 0 or fvi.max() >= len(points)):
            self.warnings.append(
                f"{where}: a face refers to a point that does not exist; not drawn"
            )
            return None
        scheme = str(mesh.GetSubdivisionSchemeAttr().Get(self.time))
        flat = scheme == "none"
        if not flat:
            self.subdiv.add(scheme)
        normals = None
        found = _primvar(prim, ("normals",), 3)  # primvars:normals wins over normals
        if found is None:
            raw = _array(mesh.GetNormalsAttr().Get(self.time), 3)
            if raw is not None:
                found = (raw, str(mesh.GetNormalsInterpolation()))
        if found is not None:
            normals = _per_corner(found[0], found[1], fvi, counts, len(points))
            if normals is not None and not _finite(normals):
                normals = None
            if normals is not None:
                length = np.linalg.norm(normals, axis=1, keepdims=True)
                normals = None if (length < 1e-12).any() else normals / length
        uv_names = tuple(dict.fromkeys((*self._uv_names(prim), "st", "st0", "UVMap", "uv")))
        uv = _primvar(prim, uv_names, 2)
        uv_c = None
        if uv is not None:
            uv_c = _per_corner(uv[0], uv[1], fvi, counts, len(points))
            if uv_c is not None and not _finite(uv_c):
                uv_c = None
        color = _primvar(prim, ("displayColor",), 3)
        color_c = None
        if color is not None:
            color_c = _per_corner(color[0], color[1], fvi, counts, len(points))
            if color_c is not None and not _finite(color_c):
                color_c = None
            opacity = _primvar(prim, ("displayOpacity",), 1)
            if color_c is not None and opacity is not None:
                a = _per_corner(opacity[0], opacity[1], fvi, counts, len(points))
                if a is not None and _finite(a):
                    color_c = np.c_[color_c, a]
        left = str(mesh.GetOrientationAttr().Get(self.time)) == "leftHanded"
        return points, counts, fvi, normals, uv_c, color_c, flat, left

    def _uv_names(self, prim) -> list[str]:
        """The primvar names the bound material's UsdPrimvarReader_float2 nodes read."""
        from pxr import UsdShade

        mat, _ = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial(UsdShade.Tokens.preview)
        if not mat:
            return []
        names = []
        for p in (
            mat.GetPrim().GetDescendants()
            if hasattr(mat.GetPrim(), "GetDescendants")
            else _descendants(mat.GetPrim())
        ):
            sh = UsdShade.Shader(p)
            if sh and str(sh.GetIdAttr().Get() or "").startswith("UsdPrimvarReader_float2"):
                inp = sh.GetInput("varname")
                value = inp.Get() if inp else None
                if value:
                    names.append(str(value))
        return names

    # ---- materials
    def _face_materials(self, prim, n_faces: int, double: bool, has_uv: bool, color_c):
        """[(Material, face indices or None for all remaining faces)] for a gprim."""
        from pxr import UsdShade

        api = UsdShade.MaterialBindingAPI(prim)
        out: list[tuple[Material, np.ndarray | None]] = []
        taken = np.zeros(n_faces, bool)
        for subset in api.GetMaterialBindSubsets():
            idx = subset.GetIndicesAttr().Get(self.time)
            if idx is None:
                continue
            idx = np.asarray(idx, dtype=np.int64)
            idx = idx[(idx >= 0) & (idx < n_faces)]
            mat, _ = UsdShade.MaterialBindingAPI(subset.GetPrim()).ComputeBoundMaterial(
                UsdShade.Tokens.preview
            )
            if not mat:
                continue
            taken[idx] = True
            out.append((self._material(mat, double, color_c is not None), idx))
        mat, _ = api.ComputeBoundMaterial(UsdShade.Tokens.preview)
        rest = None if not taken.any() else np.nonzero(~taken)[0]
        if rest is None or len(rest):
            material = (
                self._material(mat, double, color_c is not None)
                if mat
                else self._plain(double, color_c is not None)
            )
            out.append((material, rest))
        return out

    def _plain(self, double: bool, has_color: bool) -> Material:
        """No bound material: displayColor (carried per vertex) or USD's grey."""
        key = f"{self.prefix}#plain{'/ds' if double else ''}{'/vc' if has_color else ''}"
        if key not in self.materials:
            base = (1.0, 1.0, 1.0, 1.0) if has_color else (*_DEFAULT_GREY, 1.0)
            self.vertex_colour_keys.add(key)
            self.materials[key] = Material(
                key=key, base_color=base, roughness=0.6, double_sided=double
            )
        return self.materials[key]

    def _material(self, mat, double: bool, has_color: bool) -> Material:
        mprim = mat.GetPrim()
        src = mprim.GetPrimInPrototype() if mprim.IsInstanceProxy() else mprim
        key = f"{self.prefix}#{src.GetPath()}{'/ds' if double else ''}"
        if key not in self.materials:
            m = self._read_material(mat, key, double, has_color)
            # the same look referenced many times (four wheels, each its own copy of the
            # material) is one material, so the parts using it merge into one draw
            tex = (
                m.base_color_texture,
                m.metallic_roughness_texture,
                m.normal_texture,
                m.emissive_texture,
                m.occlusion_texture,
            )
            sig = (
                m.base_color,
                m.metallic,
                m.roughness,
                m.emissive,
                m.double_sided,
                m.alpha_cutoff,
                m.key in self.vertex_colour_keys,
                tuple(t.key if t is not None else None for t in tex),
            )
            self.materials[key] = self.by_look.setdefault(sig, m)
        return self.materials[key]

    def _read_material(self, mat, key: str, double: bool, has_color: bool) -> Material:
        from pxr import UsdShade

        shader, _, _ = mat.ComputeSurfaceSource()  # through NodeGraphs
        if shader and str(shader.GetIdAttr().Get() or "") != "UsdPreviewSurface":
            shader = None
        if shader is None:
            # MaterialX or a renderer's own shader: a plain material, its displayColor if any
            self._skip("materials without a UsdPreviewSurface (drawn plain)")
            return self._plain(double, has_color)
        name = printable(str(mat.GetPath()))

        def value(input_name, default):
            inp = shader.GetInput(input_name)
            if not inp:
                return default, None
            for attr in inp.GetValueProducingAttributes():
                prim = attr.GetPrim()
                sh = UsdShade.Shader(prim)
                if UsdShade.Output.IsOutput(attr) or (
                    sh and str(attr.GetName()).startswith("outputs:")
                ):
                    shader_id = str(sh.GetIdAttr().Get() or "") if sh else ""
                    if shader_id == "UsdUVTexture":
                        return default, (sh, str(attr.GetBaseName()))
                    if (
                        shader_id.startswith("UsdPrimvarReader")
                        and str(sh.GetInput("varname").Get() or "") == "displayColor"
                    ):
                        return _DISPLAY_COLOR, None  # the mesh's displayColor, per vertex
                    return default, None
                v = attr.Get(self.time)
                return (default if v is None else v), None
            v = inp.Get(self.time)
            return (default if v is None else v), None

        def floats(v, n, default):
            a = _array(v)
            if a is None or a.size < n or not np.isfinite(a.ravel()[:n]).all():
                return default
            return tuple(float(x) for x in a.ravel()[:n])

        diffuse, diffuse_tex = value("diffuseColor", (0.18, 0.18, 0.18))
        opacity, opacity_tex = value("opacity", 1.0)
        metallic, metallic_tex = value("metallic", 0.0)
        roughness, roughness_tex = value("roughness", 0.5)
        emissive, emissive_tex = value("emissiveColor", (0.0, 0.0, 0.0))
        _, normal_tex = value("normal", None)
        _, occlusion_tex = value("occlusion", None)
        threshold, _ = value("opacityThreshold", 0.0)
        label = f"a texture of material '{name}'"

        uses_vc = diffuse is _DISPLAY_COLOR
        if uses_vc:
            diffuse = (1.0, 1.0, 1.0)
            self.vertex_colour_keys.add(key)
        base = floats(diffuse, 3, (0.18, 0.18, 0.18))
        base_tex = None
        if diffuse_tex is not None:
            base_tex = self._texture(diffuse_tex, "rgb", label, alpha_from=opacity_tex)
            base = floats(self._tex_scale(diffuse_tex[0]), 3, (1.0, 1.0, 1.0))
        alpha = floats(opacity, 1, (1.0,))[0]
        mr_tex = None
        m_f = floats(metallic, 1, (0.0,))[0]
        r_f = floats(roughness, 1, (0.5,))[0]
        if metallic_tex is not None or roughness_tex is not None:
            mr_tex = self._mr_texture(roughness_tex, metallic_tex, label)
            if mr_tex is not None:  # a texture's channel: factors become its scale
                if metallic_tex is not None:
                    m_f = 1.0
                if roughness_tex is not None:
                    r_f = 1.0
        em = floats(emissive, 3, (0.0, 0.0, 0.0))
        em_tex = None
        if emissive_tex is not None:
            em_tex = self._texture(emissive_tex, "rgb", label)
            em = (1.0, 1.0, 1.0) if em_tex is not None else em
        cutoff = floats(threshold, 1, (0.0,))[0]
        return Material(
            key=key,
            base_color=(*base, alpha),
            metallic=min(max(m_f, 0.0), 1.0),
            roughness=min(max(r_f, 0.0), 1.0),
            emissive=em,
            base_color_texture=base_tex,
            metallic_roughness_texture=mr_tex,
            normal_texture=None if normal_tex is None else self._texture(normal_tex, "rgb", label),
            emissive_texture=em_tex,
            occlusion_texture=None
            if occlusion_tex is None
            else self._texture(occlusion_tex, "r", label),
            double_sided=double,
            alpha_cutoff=cutoff if cutoff > 0 else None,
        )

    def _tex_scale(self, sh):
        inp = sh.GetInput("scale")
        return inp.Get(self.time) if inp and inp.Get(self.time) is not None else (1, 1, 1, 1)

    def _image(self, sh, label: str):
        """The RGBA uint8 array (rows bottom-up) of a UsdUVTexture's file, cached per file."""
        inp = sh.GetInput("file")
        asset = inp.Get(self.time) if inp else None
        resolved = getattr(asset, "resolvedPath", "") or ""
        authored = getattr(asset, "path", "") or ""
        if not resolved:
            if authored:
                self.warnings.append(
                    f"missing texture '{printable(authored)}' ({label}): drawn without it"
                )
            return None, ""
        if resolved in self.images:
            return self.images[resolved], resolved
        try:
            blob = _read_asset_bytes(resolved)
            rgba = _decode(blob, f"{label} ('{printable(authored)}')")
        except UsdRefusal as exc:
            self.warnings.append(f"texture '{printable(authored)}': {exc.reason}; drawn without it")
            rgba = None
        except UnsafeFile as exc:
            self.warnings.append(
                f"texture '{printable(authored)}' is {exc.reason}; drawn without it"
            )
            rgba = None
        self.images[resolved] = rgba
        return rgba, resolved

    def _texture(self, tex, want: str, label: str, alpha_from=None) -> TextureImage | None:
        """A TextureImage from a UsdUVTexture output: ``rgb`` as is (``a`` from the opacity
        texture's channel when it is the same file), or one channel ``want`` moved to R."""
        sh, channel = tex
        rgba, resolved = self._image(sh, label)
        if rgba is None:
            return None
        key = (resolved, want, channel, alpha_from[1] if alpha_from else None)
        if key in self.textures:
            return self.textures[key]
        out = rgba
        if want == "r" and channel in "rgba" and len(channel) == 1:
            out = rgba.copy()
            out[..., 0] = rgba[..., "rgba".index(channel)]
        elif want == "rgb" and alpha_from is None:
            out = rgba.copy()
            out[..., 3] = 255 if channel != "rgba" else rgba[..., 3]
        tex_img = TextureImage(key=f"{self.prefix}#tex:{resolved}:{want}:{channel}", rgba=out)
        self.textures[key] = tex_img
        return tex_img

    def _mr_texture(self, rough, metal, label: str) -> TextureImage | None:
        """glTF's metallic-roughness texture (G = roughness, B = metallic) from the channels
        UsdPreviewSurface takes them from (an 'arm' texture already has them there)."""
        imgs = {}
        for what, tex in (("rough", rough), ("metal", metal)):
            if tex is not None:
                rgba, resolved = self._image(tex[0], label)
                if rgba is None or tex[1] not in ("r", "g", "b", "a"):
                    return None
                imgs[what] = (rgba, resolved, "rgba".index(tex[1]))
        shape = next(iter(imgs.values()))[0].shape
        if any(v[0].shape != shape for v in imgs.values()):
            self.warnings.append(
                f"{label}: roughness and metallic textures differ in size; drawn with their factors"
            )
            return None
        key = ("mr", *((k, v[1], v[2]) for k, v in sorted(imgs.items())))
        if key not in self.textures:
            out = np.full(shape, 255, np.uint8)
            if "rough" in imgs:
                out[..., 1] = imgs["rough"][0][..., imgs["rough"][2]]
            if "metal" in imgs:
                out[..., 2] = imgs["metal"][0][..., imgs["metal"][2]]
            self.textures[key] = TextureImage(key=f"{self.prefix}#tex:{key}", rgba=out)
        return self.textures[key]


def _descendants(prim):
    out = []
    todo = list(prim.GetChildren())
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(p.GetChildren())
    return out


def _read_asset_bytes(resolved: str) -> bytes:
    """A texture's bytes: a regular file, or a member of a .usdz (``pkg.usdz[inner.png]``)."""
    if resolved.endswith("]") and "[" in resolved:
        package, inner = resolved[:-1].split("[", 1)
        blob = (
            read_regular(package, MAX_MESH_FILE_BYTES * 4)
            if not package.endswith("]")
            else _read_asset_bytes(package)
        )
        try:
            with zipfile.ZipFile(io.BytesIO(blob)) as z:
                info = z.getinfo(inner.split("[", 1)[0] if "[" in inner else inner)
                if info.file_size > MAX_MESH_FILE_BYTES:
                    raise UsdRefusal("larger than previs reads")
                data = z.read(info)
        except (KeyError, zipfile.BadZipFile, OSError, ValueError):
            raise UsdRefusal("not found inside its .usdz") from None
        if "[" in inner:  # a package inside a package
            return _read_asset_bytes(f"{package}[{inner}]")
        return data
    return read_regular(resolved, MAX_MESH_FILE_BYTES)


def _decode(blob: bytes, label: str) -> np.ndarray:
    """RGBA uint8, rows bottom-up, within the texture limits (checked on the header first)."""
    from PIL import Image

    from previs.io import meshes

    try:
        meshes._check_image_bytes(blob, label)
        with Image.open(io.BytesIO(blob)) as im:
            tex = meshes._image_to_rgba(im, "", label)
    except meshes._Refusal as exc:
        raise UsdRefusal(exc.reason) from None
    if tex is None:  # only for no image at all; Image.open gave one or raised
        raise UsdRefusal("not an image")
    return tex.rgba


def _computed_normals(
    points: np.ndarray, fvi: np.ndarray, corner_tris: np.ndarray, flat: bool
) -> np.ndarray:
    """Per-corner normals from the triangles: faceted (each triangle's own) or smooth
    (area-weighted over each shared point), for meshes that author none."""
    p = points[fvi]
    a, b, c = p[corner_tris[:, 0]], p[corner_tris[:, 1]], p[corner_tris[:, 2]]
    face_n = np.cross(b - a, c - a)  # length = twice the area: the weight
    out = np.zeros_like(p)
    if flat:
        for k in range(3):
            np.add.at(out, corner_tris[:, k], face_n)
    else:
        acc = np.zeros_like(points)
        for k in range(3):
            np.add.at(acc, fvi[corner_tris[:, k]], face_n)
        out = acc[fvi]
    length = np.linalg.norm(out, axis=1, keepdims=True)
    out = np.where(length > 1e-300, out / np.maximum(length, 1e-300), [0.0, 1.0, 0.0])
    return out


# ---------------------------------------------------------------- gprims
def _gprim_arrays(prim, time):
    """A Cube, Sphere, Cylinder, Cone or Capsule as mesh arrays (points, counts, indices,
    per-corner normals, uvs, colours, flat, leftHanded), at its size/radius/height/axis."""
    from pxr import UsdGeom

    t = prim.GetTypeName()

    def num(attr, default):
        v = attr.Get(time) if attr else None
        try:
            v = float(default if v is None else v)
        except (TypeError, ValueError):
            return default
        return v if math.isfinite(v) and v >= 0 else default

    seg = _GPRIM_SEGMENTS
    if t == "Cube":
        s = num(UsdGeom.Cube(prim).GetSizeAttr(), 2.0) / 2
        pts, tris, nrm = _box(s)
    elif t == "Sphere":
        r = num(UsdGeom.Sphere(prim).GetRadiusAttr(), 1.0)
        pts, tris, nrm = _lathe(
            [
                (0, -r),
                *[
                    (r * math.sin(a), -r * math.cos(a))
                    for a in np.linspace(0, math.pi, seg // 2 + 1)[1:-1]
                ],
                (0, r),
            ],
            seg,
            smooth=True,
        )
    elif t in ("Cylinder", "Cone", "Capsule"):
        g = getattr(UsdGeom, t)(prim)
        r = num(g.GetRadiusAttr(), 1.0)
        h = num(g.GetHeightAttr(), 2.0) / 2
        if t == "Cylinder":
            pts, tris, nrm = _lathe(
                [(0, -h), (r, -h), (r, -h), (r, h), (r, h), (0, h)], seg, smooth=False
            )
        elif t == "Cone":
            pts, tris, nrm = _lathe([(0, -h), (r, -h), (r, -h), (0, h)], seg, smooth=False)
        else:
            arc = np.linspace(0, math.pi / 2, seg // 4 + 1)
            prof = [
                (0, -h - r),
                *[(r * math.sin(a), -h - r * math.cos(a)) for a in arc[1:]],
                *[(r * math.cos(a), h + r * math.sin(a)) for a in arc[:-1]],
                (0, h + r),
            ]
            pts, tris, nrm = _lathe(prof, seg, smooth=True)
        axis = str(g.GetAxisAttr().Get(time) or "Z")
        rot = {
            "X": np.array([[0, 1, 0], [-1, 0, 0], [0, 0, 1.0]]).T,  # +Y -> +X
            "Z": np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0.0]]).T,  # +Y -> +Z
        }.get(axis, np.eye(3))
        pts, nrm = pts @ rot.T, nrm @ rot.T
    else:
        return None
    n = len(pts)
    color = _primvar(prim, ("displayColor",), 3)
    color_c = None
    if color is not None and len(color[0]) and _finite(color[0]):
        color_c = np.broadcast_to(color[0][:1], (n, 3))  # constant on a gprim
    left = str(UsdGeom.Gprim(prim).GetOrientationAttr().Get(time)) == "leftHanded"
    counts = np.full(len(tris), 3)
    fvi = tris.reshape(-1)
    # per-corner arrays (the mesh path expects them); positions come from points[fvi]
    return (
        pts,
        counts,
        fvi,
        nrm[fvi],
        None,
        None if color_c is None else color_c[fvi],
        False,
        left,
    )


def _box(s: float):
    pts: list[np.ndarray] = []
    nrm: list[np.ndarray] = []
    tris: list[tuple[int, int, int]] = []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            n = np.zeros(3)
            n[axis] = sign
            u = np.zeros(3)
            u[(axis + 1) % 3] = 1
            v = np.cross(n, u)
            base = len(pts)
            for du, dv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                pts.append((n + du * u + dv * v) * s)
                nrm.append(n)
            tris += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
    return np.array(pts), np.array(tris, np.int64), np.array(nrm)


def _lathe(profile, seg: int, smooth: bool):
    """A surface of revolution about +Y from (radius, y) points, counter-clockwise seen from
    outside. Repeated profile points make hard edges (caps)."""
    prof = np.asarray(profile, dtype=np.float64)
    ang = np.linspace(0, 2 * math.pi, seg + 1)[:-1]
    ca, sa = np.cos(ang), np.sin(ang)
    # profile normals: perpendicular to the profile segment(s), pointing away from the axis
    seg_d = np.diff(prof, axis=0)
    seg_n = np.c_[seg_d[:, 1], -seg_d[:, 0]]  # (dr, dy) -> (dy, -dr): outward for rising y
    seg_n /= np.maximum(np.linalg.norm(seg_n, axis=1, keepdims=True), 1e-300)
    pts: list[tuple[float, float, float]] = []
    nrm: list[tuple[float, float, float]] = []
    tris: list[tuple[int, int, int]] = []
    rows = []
    for i in range(len(prof) - 1):
        ends = []
        for j, (r, y) in ((i, prof[i]), (i + 1, prof[i + 1])):
            if smooth:
                ns = [seg_n[k] for k in (j - 1, j) if 0 <= k < len(seg_n)]
                n2 = np.mean(ns, axis=0)
                n2 /= max(np.linalg.norm(n2), 1e-300)
            else:
                n2 = seg_n[i]
            ring = len(pts)
            for c, s in zip(ca, sa, strict=True):
                pts.append((r * c, y, -r * s))
                nrm.append((n2[0] * c, n2[1], -n2[0] * s))
            ends.append(ring)
        rows.append(ends)
    for a0, b0 in rows:
        for k in range(seg):
            k1 = (k + 1) % seg
            a, b, c, d = a0 + k, a0 + k1, b0 + k1, b0 + k
            tris += [(a, b, c), (a, c, d)]
    points, faces = np.array(pts), np.array(tris, np.int64)
    # drop triangles collapsed onto the axis
    p = points[faces]
    area = np.linalg.norm(np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]), axis=1)
    return (
        points,
        faces[area > 1e-12 * max(float(np.abs(points).max()), 1e-300) ** 2],
        np.array(nrm),
    )


# ---------------------------------------------------------------- entry points
def load_usd(path: str | Path, variants: Mapping[str, str] | None = None) -> UsdAsset:
    """A USD file as a :class:`UsdAsset` in metres, +Y up. :class:`UsdRefusal` (one line, the
    caller adds the file's name) for anything that cannot be drawn."""
    from pxr import Tf

    path = Path(path)
    stage, held, warnings = open_stage(path, variants)
    try:
        world, up, mpu, w = stage_conversion(stage)
        warnings += w
        prefix = f"usd:{path}" + (
            f"{{{','.join(f'{k}={v}' for k, v in sorted(variants.items()))}}}" if variants else ""
        )
        reader = _Reader(stage, str(path), prefix)
        with Tf.DiagnosticTrap() as trap, np.errstate(all="ignore"):
            parts = reader.run(world)
            trap.Clear()
        warnings += reader.warnings
        if reader.subdiv:
            warnings.append(
                f"subdivision surfaces ({', '.join(sorted(reader.subdiv))}) are "
                "drawn as their control cage, smooth-shaded, not subdivided"
            )
        for what, n in sorted(reader.skipped.items()):
            warnings.append(f"skipped: {what} ({n:,})")
        if not parts:
            raise UsdRefusal("no triangles to draw" + (f" ({warnings[0]})" if warnings else ""))
        lo = np.min([p.positions.min(axis=0) for p in parts], axis=0).astype(np.float64)
        hi = np.max([p.positions.max(axis=0) for p in parts], axis=0).astype(np.float64)
        meta = {
            "format": "USD",
            "up_axis": up,
            "meters_per_unit": mpu,
            "default_prim": str(stage.GetDefaultPrim().GetName())
            if stage.GetDefaultPrim()
            else None,
            "layers": len(stage.GetUsedLayers()),
            "variants": dict(variants or {}),
            "subdivision_meshes": sorted(reader.subdiv),
        }
        return UsdAsset(
            source=str(path),
            parts=tuple(parts),
            bounds_min=lo,
            bounds_max=hi,
            source_meta=meta,
            warnings=tuple(dict.fromkeys(warnings)),
        )
    finally:
        del stage, held


# ---------------------------------------------------------------- lights and cameras
@dataclass(frozen=True)
class UsdLight:
    """A UsdLux light in previs's terms (metres, +Y up).

    ``intensity`` is candela (luminous intensity on the light's axis) for ``point``, ``spot``
    and ``area`` lights and lux (illuminance at normal incidence) for ``directional``; ``dome``
    lights keep their luminance in nits. ``color_linear`` has luminance 1 (Rec.709 weights)."""

    name: str
    type: str  # directional | point | spot | area | dome
    usd_type: str
    color_linear: tuple[float, float, float]
    intensity: float
    position_m: tuple[float, float, float]
    direction: tuple[float, float, float]
    kelvin: float | None = None
    beam_angle_deg: float = 0.0  # full angles, spot lights only
    field_angle_deg: float = 0.0
    size_m: float = 0.0


@dataclass(frozen=True)
class UsdCamera:
    """A UsdGeom camera: lens and filmback in millimetres, pose in metres, +Y up, looking -Z."""

    name: str
    world_from_camera: np.ndarray  # 4x4, rotation orthonormal, translation in metres
    focal_length_mm: float
    horizontal_aperture_mm: float
    vertical_aperture_mm: float
    horizontal_offset_mm: float
    vertical_offset_mm: float
    f_stop: float  # 0: no depth of field
    focus_distance_m: float
    near_m: float
    far_m: float
    projection: str
    note: str = ""  # how the units were read, where the file's own did not make sense


def light_intensity(
    usd_type: str,
    luminance_nits: float,
    *,
    normalize: bool,
    radius_m: float = 0.0,
    width_m: float = 0.0,
    height_m: float = 0.0,
    length_m: float = 0.0,
    angle_deg: float = 0.53,
) -> float:
    """previs's candela (lux for a DistantLight) from a UsdLux light's luminance.

    UsdLux ``inputs:intensity * 2**inputs:exposure`` is the luminance L (nits, cd/m^2) of the
    emitting surface. A Lambertian emitter's luminous intensity along a direction is L times its
    area projected on that direction, so on its axis:

    - SphereLight radius r: projected area pi r^2, I = L pi r^2;
    - DiskLight radius r: I = L pi r^2; RectLight w x h: I = L w h;
    - CylinderLight (length l, radius r) seen broadside: I = L 2 r l.

    ``normalize`` divides L by the emitter's surface area (sphere 4 pi r^2, disk pi r^2, rect
    w h, cylinder 2 pi r l), so the sphere gives L/4, the disk and rect L, the cylinder L/pi.

    A DistantLight is a disc of luminance L covering a cone of full angle ``angle``: the
    illuminance at normal incidence is L times the disc's projected solid angle,
    E = L pi sin^2(angle / 2) lux; normalized, the intensity is the illuminance itself (E = L)."""
    L = luminance_nits
    if usd_type == "DistantLight":
        return L if normalize else L * math.pi * math.sin(math.radians(angle_deg) / 2) ** 2
    if usd_type == "SphereLight":
        return L / 4 if normalize else L * math.pi * radius_m**2
    if usd_type == "DiskLight":
        return L if normalize else L * math.pi * radius_m**2
    if usd_type == "RectLight":
        return L if normalize else L * width_m * height_m
    if usd_type == "CylinderLight":
        return L / math.pi if normalize else L * 2 * radius_m * length_m
    return L  # DomeLight and others: luminance, nits


def usd_lights_and_cameras(
    path: str | Path, variants: Mapping[str, str] | None = None
) -> tuple[list[UsdLight], list[UsdCamera]]:
    """The UsdLux lights and UsdGeom cameras of a USD file, converted to metres and +Y up."""
    from pxr import Usd, UsdGeom, UsdLux

    path = Path(path)
    stat_regular(path, MAX_MESH_FILE_BYTES)
    stage, held, _ = open_stage(path, variants)
    world, _, mpu, _ = stage_conversion(stage)
    t = Usd.TimeCode.EarliestTime()  # default, else the first sample of an animated camera
    xf = UsdGeom.XformCache(t)
    lights, cameras = [], []
    for prim in Usd.PrimRange.Stage(stage, Usd.TraverseInstanceProxies(Usd.PrimDefaultPredicate)):
        m = (
            world @ _matrix(xf.GetLocalToWorldTransform(prim))
            if prim.IsA(UsdGeom.Xformable)
            else None
        )
        if m is None:
            continue
        # scene units (with the prim's own scale) to metres, for sizes and distances
        scale = abs(np.linalg.det(m[:3, :3])) ** (1 / 3)
        rot = _orthonormal(m[:3, :3])
        pos = tuple(float(x) for x in m[:3, 3])
        fwd = tuple(float(x) for x in -rot[:, 2])
        if prim.HasAPI(UsdLux.LightAPI) or "Light" in prim.GetTypeName():
            lights.append(_light(prim, t, scale, pos, fwd))
        elif prim.IsA(UsdGeom.Camera):
            cam = UsdGeom.Camera(prim)

            def get(attr, default):
                v = attr.Get(t)
                return float(default if v is None else v)

            tenth_mm = 0.1 * mpu * 1000  # tenths of a scene unit, in millimetres
            note = ""
            aperture = get(cam.GetHorizontalApertureAttr(), 20.955)
            if aperture * tenth_mm > 200 and 1 <= aperture <= 100:
                # No filmback is 20 cm wide: the author wrote millimetres whatever the
                # stage's units (common in DCC exports with metersPerUnit = 1).
                tenth_mm = 1.0
                note = (
                    f"lens and filmback read as millimetres: as tenths of a unit of "
                    f"{mpu:g} m the filmback would be {aperture * 0.1 * mpu * 1000:,.0f} mm"
                    " wide"
                )
            pose = np.eye(4)
            pose[:3, :3] = rot
            pose[:3, 3] = m[:3, 3]
            near, far = cam.GetClippingRangeAttr().Get(t) or (1.0, 1e6)
            cameras.append(
                UsdCamera(
                    name=prim.GetName(),
                    world_from_camera=pose,
                    focal_length_mm=get(cam.GetFocalLengthAttr(), 50) * tenth_mm,
                    horizontal_aperture_mm=get(cam.GetHorizontalApertureAttr(), 20.955) * tenth_mm,
                    vertical_aperture_mm=get(cam.GetVerticalApertureAttr(), 15.2908) * tenth_mm,
                    horizontal_offset_mm=get(cam.GetHorizontalApertureOffsetAttr(), 0) * tenth_mm,
                    vertical_offset_mm=get(cam.GetVerticalApertureOffsetAttr(), 0) * tenth_mm,
                    f_stop=get(cam.GetFStopAttr(), 0),
                    focus_distance_m=get(cam.GetFocusDistanceAttr(), 0) * scale,
                    near_m=float(near) * scale,
                    far_m=float(far) * scale,
                    projection=str(cam.GetProjectionAttr().Get(t)),
                    note=note,
                )
            )
    del stage, held
    return lights, cameras


def _orthonormal(m3: np.ndarray) -> np.ndarray:
    u, _, vt = np.linalg.svd(m3)
    r = u @ vt
    if np.linalg.det(r) < 0:
        u[:, -1] *= -1
        r = u @ vt
    return r


def _light(prim, t, scale: float, pos, fwd) -> UsdLight:
    from pxr import UsdLux

    api = UsdLux.LightAPI(prim)

    def get(attr, default):
        v = attr.Get(t) if attr else None
        try:
            return float(default if v is None else v)
        except (TypeError, ValueError):
            return default

    usd_type = prim.GetTypeName()
    nits = get(api.GetIntensityAttr(), 1.0) * 2 ** get(api.GetExposureAttr(), 0.0)
    col = np.asarray(api.GetColorAttr().Get(t) or (1, 1, 1), dtype=np.float64)
    kelvin = (
        get(api.GetColorTemperatureAttr(), 6500)
        if api.GetEnableColorTemperatureAttr().Get(t)
        else None
    )
    lum = float(col @ [0.2126, 0.7152, 0.0722])
    color = vec3(col / lum if lum > 0 else np.ones(3))
    nits *= max(lum, 0.0)
    normalize = bool(api.GetNormalizeAttr().Get(t))
    shape = getattr(UsdLux, usd_type, None)
    s = shape(prim) if shape is not None else None

    def dim(name, default=0.0):
        attr = getattr(s, f"Get{name}Attr", None) if s is not None else None
        return get(attr() if attr else None, default) * scale

    r, w, h, length = dim("Radius", 0.5), dim("Width", 1.0), dim("Height", 1.0), dim("Length", 1.0)
    angle = get(s.GetAngleAttr(), 0.53) if usd_type == "DistantLight" and s is not None else 0.53
    intensity = light_intensity(
        usd_type,
        nits,
        normalize=normalize,
        radius_m=r,
        width_m=w,
        height_m=h,
        length_m=length,
        angle_deg=angle,
    )
    kind = {
        "DistantLight": "directional",
        "SphereLight": "point",
        "DomeLight": "dome",
        "DomeLight_1": "dome",
    }.get(usd_type, "area")
    beam = field_deg = 0.0
    if prim.HasAPI(UsdLux.ShapingAPI):
        shaping = UsdLux.ShapingAPI(prim)
        cone = get(shaping.GetShapingConeAngleAttr(), 90.0)
        if cone < 90:
            kind = "spot"
            soft = min(max(get(shaping.GetShapingConeSoftnessAttr(), 0.0), 0.0), 1.0)
            field_deg = 2 * cone
            beam = field_deg * (1 - soft)
    size = {
        "SphereLight": 2 * r,
        "DiskLight": 2 * r,
        "RectLight": max(w, h),
        "CylinderLight": length,
    }.get(usd_type, 0.0)
    return UsdLight(
        name=prim.GetName(),
        type=kind,
        usd_type=usd_type,
        color_linear=color,
        intensity=intensity,
        position_m=pos,
        direction=fwd,
        kelvin=kelvin,
        beam_angle_deg=beam,
        field_angle_deg=field_deg,
        size_m=size,
    )
