"""Meshes from files (trimesh) and primitives, as plain GPU-ready arrays.

An :class:`Asset` is a list of :class:`MeshPart` in the asset's own space: float32 interleavable
arrays plus a :class:`Material` whose textures are RGBA uint8 arrays, rows bottom-up (GL order).
No GL here: the renderer uploads and caches.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from previs.errors import AssetError

SUPPORTED_SUFFIXES = (".glb", ".gltf", ".obj", ".stl", ".ply")


@dataclass(frozen=True, eq=False)
class TextureImage:
    """An RGBA8 image, rows bottom-up. ``key`` identifies it for the GPU cache."""

    key: str
    rgba: np.ndarray


@dataclass(frozen=True, eq=False)
class Material:
    """glTF metallic-roughness material. Factors are linear; colour textures are sRGB-encoded."""

    key: str
    base_color: tuple[float, float, float, float] = (0.8, 0.8, 0.8, 1.0)
    metallic: float = 0.0
    roughness: float = 0.6
    emissive: tuple[float, float, float] = (0.0, 0.0, 0.0)
    base_color_texture: TextureImage | None = None
    metallic_roughness_texture: TextureImage | None = None  # G = roughness, B = metallic
    normal_texture: TextureImage | None = None
    emissive_texture: TextureImage | None = None
    occlusion_texture: TextureImage | None = None  # R = occlusion
    double_sided: bool = False
    alpha_cutoff: float | None = None  # MASK mode; None = opaque
    led_wall: bool = False  # an LED surface: emits the wall content (see Renderer.set_wall_content)


@dataclass(frozen=True, eq=False)
class MeshPart:
    positions: np.ndarray  # (N, 3) float32, asset space
    normals: np.ndarray  # (N, 3) float32
    uvs: np.ndarray  # (N, 2) float32, GL convention (v up)
    colors: np.ndarray  # (N, 4) float32 linear vertex colour (white when none)
    indices: np.ndarray  # (M, 3) uint32
    material: Material


@dataclass(frozen=True, eq=False)
class Asset:
    source: str
    parts: tuple[MeshPart, ...]
    bounds_min: np.ndarray = field(default_factory=lambda: np.zeros(3))
    bounds_max: np.ndarray = field(default_factory=lambda: np.zeros(3))

    @property
    def triangle_count(self) -> int:
        return int(sum(len(p.indices) for p in self.parts))


def _srgb_to_linear(c):
    c = np.asarray(c, dtype=np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _image_to_rgba(img, key: str) -> TextureImage | None:
    if img is None:
        return None
    from PIL import Image

    if not isinstance(img, Image.Image):
        return None
    rgba = np.asarray(img.convert("RGBA"), dtype=np.uint8)[::-1].copy()  # GL: first row = bottom
    return TextureImage(key=key, rgba=rgba)


def _factor4(value, default) -> tuple[float, float, float, float]:
    if value is None:
        return default
    v = np.asarray(value, dtype=np.float64).ravel()
    if v.dtype.kind in "iu" or v.max(initial=0.0) > 1.0:
        v = v / 255.0
    if v.size == 3:
        v = np.r_[v, 1.0]
    return tuple(float(x) for x in v[:4])


def _material_from_trimesh(visual, key: str) -> Material:
    from trimesh.visual.material import PBRMaterial, SimpleMaterial

    mat = getattr(visual, "material", None)
    if isinstance(mat, SimpleMaterial):
        mat = mat.to_pbr()
    if isinstance(mat, PBRMaterial):
        base = _factor4(mat.baseColorFactor, (1.0, 1.0, 1.0, 1.0))
        emissive = mat.emissiveFactor
        emissive = (0.0, 0.0, 0.0) if emissive is None else tuple(float(x) for x in np.ravel(emissive)[:3])
        tex = mat.baseColorTexture
        return Material(
            key=key,
            base_color=base,
            metallic=1.0 if mat.metallicFactor is None else float(mat.metallicFactor),
            roughness=1.0 if mat.roughnessFactor is None else float(mat.roughnessFactor),
            emissive=emissive,
            base_color_texture=_image_to_rgba(tex, f"{key}/base"),
            metallic_roughness_texture=_image_to_rgba(mat.metallicRoughnessTexture, f"{key}/mr"),
            normal_texture=_image_to_rgba(mat.normalTexture, f"{key}/normal"),
            emissive_texture=_image_to_rgba(mat.emissiveTexture, f"{key}/emissive"),
            occlusion_texture=_image_to_rgba(mat.occlusionTexture, f"{key}/occlusion"),
            double_sided=bool(getattr(mat, "doubleSided", False)),
            alpha_cutoff=(float(mat.alphaCutoff or 0.5) if mat.alphaMode == "MASK" else None),
        )
    return Material(key=key)


def _part_from_trimesh(mesh, transform: np.ndarray, key: str) -> MeshPart | None:
    if len(mesh.faces) == 0:
        return None
    positions = np.asarray(mesh.vertices, dtype=np.float64)
    normals = np.asarray(mesh.vertex_normals, dtype=np.float64)
    positions = positions @ transform[:3, :3].T + transform[:3, 3]
    normal_m = np.linalg.inv(transform[:3, :3]).T
    normals = normals @ normal_m.T
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    faces = np.asarray(mesh.faces, dtype=np.uint32)
    if np.linalg.det(transform[:3, :3]) < 0:  # a mirroring node flips the winding
        faces = faces[:, ::-1].copy()
    n = len(positions)
    visual = mesh.visual
    uv = getattr(visual, "uv", None)
    uvs = np.zeros((n, 2), np.float32) if uv is None or len(uv) != n else np.asarray(uv, np.float32)
    colors = np.ones((n, 4), np.float32)
    if getattr(visual, "kind", None) == "vertex":
        vc = np.asarray(visual.vertex_colors, dtype=np.float64) / 255.0
        colors = np.c_[_srgb_to_linear(vc[:, :3]), vc[:, 3]].astype(np.float32)
        material = Material(key=key + "/vc")
    elif getattr(visual, "kind", None) == "face":
        # Split vertices per face so face colours stay flat.
        fc = np.asarray(visual.face_colors, dtype=np.float64) / 255.0
        positions = positions[faces.reshape(-1)]
        normals = normals[faces.reshape(-1)]
        uvs = uvs[faces.reshape(-1)]
        colors = np.repeat(np.c_[_srgb_to_linear(fc[:, :3]), fc[:, 3]], 3, axis=0).astype(np.float32)
        faces = np.arange(len(positions), dtype=np.uint32).reshape(-1, 3)
        material = Material(key=key + "/fc")
    else:
        material = _material_from_trimesh(visual, key)
    return MeshPart(
        positions=positions.astype(np.float32),
        normals=normals.astype(np.float32),
        uvs=uvs.astype(np.float32),
        colors=colors,
        indices=faces,
        material=material,
    )


def _asset_from_parts(source: str, parts: list[MeshPart]) -> Asset:
    if not parts:
        raise AssetError(f"{source}: no triangles to draw")
    lo = np.min([p.positions.min(axis=0) for p in parts], axis=0).astype(np.float64)
    hi = np.max([p.positions.max(axis=0) for p in parts], axis=0).astype(np.float64)
    return Asset(source=source, parts=tuple(parts), bounds_min=lo, bounds_max=hi)


def load_asset(path: str | Path) -> Asset:
    """Load a mesh file (glTF/GLB, OBJ, STL, PLY) into an :class:`Asset`; cached per file version."""
    path = Path(path).resolve()
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise AssetError(f"{path}: unsupported mesh format '{path.suffix}' (use {', '.join(SUPPORTED_SUFFIXES)})")
    if not path.exists():
        raise AssetError(f"{path}: file not found")
    if not path.is_file():
        raise AssetError(f"{path}: not a file")
    st = path.stat()
    return _load_asset_cached(str(path), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=64)
def _load_asset_cached(path: str, _mtime_ns: int, _size: int) -> Asset:
    import trimesh

    try:
        scene = trimesh.load(path, force="scene")
    except Exception as exc:  # trimesh raises many kinds; all mean "unreadable"
        raise AssetError(f"{path}: cannot read mesh ({type(exc).__name__}: {exc})") from None
    parts: list[MeshPart] = []
    for node in scene.graph.nodes_geometry:
        transform, geom_name = scene.graph[node]
        geom = scene.geometry.get(geom_name)
        if not isinstance(geom, trimesh.Trimesh):
            continue
        part = _part_from_trimesh(geom, np.asarray(transform, dtype=np.float64), f"{path}#{geom_name}")
        if part is not None:
            parts.append(part)
    return _asset_from_parts(path, parts)


# ---------------------------------------------------------------- primitives
def _part_from_arrays(mesh, key: str, color_linear, roughness: float, metallic: float) -> MeshPart:
    mat = Material(key=key, base_color=(*color_linear, 1.0), roughness=roughness, metallic=metallic)
    n = len(mesh.vertices)
    return MeshPart(
        positions=np.asarray(mesh.vertices, np.float32),
        normals=np.asarray(mesh.vertex_normals, np.float32),
        uvs=np.zeros((n, 2), np.float32),
        colors=np.ones((n, 4), np.float32),
        indices=np.asarray(mesh.faces, np.uint32),
        material=mat,
    )


def _flat(mesh):
    """Unshare vertices so boxes and cylinders shade with hard edges."""
    import trimesh

    m = trimesh.Trimesh(mesh.vertices[mesh.faces.reshape(-1)], np.arange(len(mesh.faces) * 3).reshape(-1, 3), process=False)
    return m


def standin_meshes(height_m: float):
    """A neutral human stand-in of ``height_m``, feet at y = 0, facing +Z.

    Proportions follow the stature fractions of Drillis & Contini (shoulder 0.818, hip 0.53,
    knee 0.285) so shot-size framing on it reads like framing a person.
    """
    import trimesh

    h = float(height_m)
    parts = []

    def capsule(r, p0, p1):
        p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
        length = float(np.linalg.norm(p1 - p0))
        c = trimesh.creation.capsule(height=max(length, 1e-3), radius=r, count=[12, 12])
        # trimesh's capsule runs along Z centred at the origin.
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
        parts.append(c)

    head_r = 0.065 * h
    sh_y, hip_y, knee_y = 0.818 * h, 0.53 * h, 0.285 * h
    sh_w, hip_w = 0.13 * h, 0.055 * h
    head = trimesh.creation.icosphere(subdivisions=2, radius=head_r)
    head.apply_scale([0.85, 1.0, 0.95])
    head.apply_translation([0, h - head_r, 0])
    parts.append(head)
    nose = trimesh.creation.icosphere(subdivisions=1, radius=0.012 * h)
    nose.apply_translation([0, h - head_r, 0.8 * head_r])
    parts.append(nose)  # a nose shows which way the stand-in faces
    capsule(0.045 * h, [0, sh_y - 0.03 * h, 0], [0, sh_y + 0.04 * h, 0])  # neck
    capsule(0.085 * h, [0, hip_y + 0.08 * h, 0], [0, sh_y - 0.05 * h, 0])  # torso
    capsule(0.03 * h, [-sh_w, sh_y - 0.02 * h, 0], [sh_w, sh_y - 0.02 * h, 0])  # shoulders
    for sx in (-1, 1):
        capsule(0.028 * h, [sx * sh_w, sh_y - 0.03 * h, 0], [sx * (sh_w + 0.02 * h), 0.63 * h, 0.01 * h])
        capsule(0.024 * h, [sx * (sh_w + 0.02 * h), 0.63 * h, 0.01 * h], [sx * (sh_w + 0.025 * h), 0.47 * h, 0.04 * h])
        capsule(0.042 * h, [sx * hip_w, hip_y, 0], [sx * hip_w, knee_y, 0.01 * h])
        capsule(0.034 * h, [sx * hip_w, knee_y, 0.01 * h], [sx * hip_w, 0.04 * h, 0])
        foot = trimesh.creation.box([0.055 * h, 0.04 * h, 0.15 * h])
        foot.apply_translation([sx * hip_w, 0.02 * h, 0.04 * h])
        parts.append(foot)
    body = trimesh.util.concatenate(parts)
    return body


def primitive_asset(kind: str, *, size_m=(), radius_m: float = 0.0, height_m: float = 0.0,
                    color_linear=(0.5, 0.5, 0.5), roughness: float = 0.7, metallic: float = 0.0,
                    key: str = "") -> Asset:
    """A box, cylinder, plane or stand-in as an Asset in its local space (base at y = 0)."""
    import trimesh

    if kind == "box":
        sx, sy, sz = size_m
        m = _flat(trimesh.creation.box([sx, sy, sz]))
        m.apply_translation([0, sy / 2, 0])
    elif kind == "cylinder":
        sections = max(24, int(math.ceil(radius_m * 2 * math.pi / 0.05)))
        m = trimesh.creation.cylinder(radius=radius_m, height=height_m, sections=min(sections, 128))
        m.apply_transform(np.array([[1, 0, 0, 0], [0, 0, 1, height_m / 2], [0, -1, 0, 0], [0, 0, 0, 1.0]]))
    elif kind == "plane":
        sx, sz = size_m
        v = np.array([[-sx / 2, 0, -sz / 2], [sx / 2, 0, -sz / 2], [sx / 2, 0, sz / 2], [-sx / 2, 0, sz / 2]])
        m = trimesh.Trimesh(v, [[0, 2, 1], [0, 3, 2]], process=False)
    elif kind == "standin":
        m = standin_meshes(height_m)
    else:
        raise AssetError(f"unknown primitive kind '{kind}'")
    part = _part_from_arrays(m, key or f"prim:{kind}:{color_linear}:{roughness}:{metallic}", color_linear, roughness, metallic)
    return _asset_from_parts(f"<{kind}>", [part])
