"""Meshes from files (trimesh) and primitives, as plain GPU-ready arrays.

An :class:`Asset` is a list of :class:`MeshPart` in the asset's own space: float32 interleavable
arrays plus a :class:`Material` whose textures are RGBA uint8 arrays, rows bottom-up (GL order).
No GL here: the renderer uploads and caches.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
import json
import logging
import math
import os
import re
import struct
import warnings
from pathlib import Path
from urllib.parse import unquote

import numpy as np

from previs.core.mesh import Asset, Material, MeshPart, TextureImage  # noqa: F401 (re-exported)
from previs.errors import AssetError
from previs.io.safe_files import (
    UnsafeFile,
    describe_os_error,
    inside,
    printable,
    read_regular,
    stat_regular,
)

SUPPORTED_SUFFIXES = (".glb", ".gltf", ".obj", ".stl", ".ply", ".usd", ".usda", ".usdc", ".usdz")
_USD_SUFFIXES = (".usd", ".usda", ".usdc", ".usdz")  # read by previs.io.usd (usd-core)


def _srgb_to_linear(c):
    c = np.asarray(c, dtype=np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


# ---------------------------------------------------------------- limits
# Every limit is checked before the allocation it protects where the file says its size up front
# (the file's size on disk, a PLY header, a GLB accessor, a binary STL's triangle count).
MAX_MESH_FILE_BYTES = 1 << 30
"""1 GiB per mesh file and per file it refers to (glTF buffer, texture, material library). A
binary file holding :data:`MAX_TRIANGLES` is about 0.5 GiB (binary STL: 50 bytes a triangle), so
no drawable mesh is refused for its size; the file is read once into memory, and trimesh's
parse needs a few times that again."""

MAX_TRIANGLES = 10_000_000
"""Triangles drawn per asset, instances included. At 48 bytes a vertex (position, normal, uv,
colour) and 12 an index, 10 M triangles are about 0.5 GiB of GPU buffers: what a workstation
GPU holds beside the wall's render targets, and about what Mesa's llvmpipe draws in a second or
two, the slowest a blocking session can bear. A denser scan is decimated first."""

MAX_VERTICES = 10_000_000
"""Vertices per asset, for the same reason as :data:`MAX_TRIANGLES`."""

MAX_TEXTURE_SIDE = 16384
"""Texture width or height: GL_MAX_TEXTURE_SIZE on llvmpipe and on most GPUs."""

MAX_TEXTURE_PIXELS = 8192 * 8192
"""64 Mpx per texture: 256 MiB as RGBA8 (341 MiB with mipmaps). Also what keeps a
decompression bomb (a small file claiming a huge image) from being decoded."""

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tga", ".gif", ".tif", ".tiff", ".webp")
_FORMAT_NAMES = {"glb": "GLB", "gltf": "glTF", "obj": "OBJ", "stl": "STL", "ply": "PLY"}

# trimesh logs through the "trimesh" logger and installs no handler, so its warnings would reach
# stderr through logging's last resort and break the CLI's one-line errors. A NullHandler keeps
# them quiet unless the application configures logging.
logging.getLogger("trimesh").addHandler(logging.NullHandler())


class _Refusal(Exception):
    """Why a mesh file is refused, in our words; :func:`load_asset` adds the file's name."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _asset_error(path: str | Path, reason: str) -> AssetError:
    """One line: the file's name (escaped), then why. ``.path`` and ``.reason`` keep the parts
    for a caller (the scene loader) that names the file its own way."""
    err = AssetError(f"{printable(path)}: {reason}")
    err.path = str(path)
    err.reason = reason
    return err


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


# ---------------------------------------------------------------- textures
def _check_image_size(w: int, h: int, label: str) -> None:
    if max(w, h) > MAX_TEXTURE_SIDE or w * h > MAX_TEXTURE_PIXELS:
        raise _Refusal(
            f"{label} is {w:,} x {h:,} pixels; previs draws textures up to "
            f"{MAX_TEXTURE_SIDE:,} pixels a side and {MAX_TEXTURE_PIXELS >> 20} Mpx"
        )


def _check_image_bytes(blob: bytes, label: str) -> None:
    """Read an image's header only (never its pixels) and refuse broken or oversized ones."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(io.BytesIO(blob)) as im:
                w, h = im.size
        except Image.DecompressionBombError:
            raise _Refusal(
                f"{label} claims more than {MAX_TEXTURE_PIXELS >> 20} Mpx (a decompression bomb?)"
            ) from None
        except Exception:
            raise _Refusal(f"{label} is not an image previs can read") from None
    _check_image_size(w, h, label)


def _image_to_rgba(img, key: str, label: str = "a texture") -> TextureImage | None:
    if img is None:
        return None
    from PIL import Image

    if not isinstance(img, Image.Image):
        return None
    _check_image_size(*img.size, label)  # the header's size: nothing decoded yet
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            rgba = np.asarray(img.convert("RGBA"), dtype=np.uint8)[
                ::-1
            ].copy()  # GL: row 0 = bottom
        except Image.DecompressionBombError:
            raise _Refusal(f"{label} claims more than {MAX_TEXTURE_PIXELS >> 20} Mpx") from None
        except Exception:
            raise _Refusal(f"{label} is damaged (its pixels cannot be decoded)") from None
    return TextureImage(key=key, rgba=rgba)


def _factor4(value, default) -> tuple[float, float, float, float]:
    if value is None:
        return default
    v = np.asarray(value, dtype=np.float64).ravel()
    if v.dtype.kind in "iu" or v.max(initial=0.0) > 1.0:
        v = v / 255.0
    if v.size == 3:
        v = np.r_[v, 1.0]
    out = tuple(float(x) for x in v[:4])
    if len(out) != 4 or not all(math.isfinite(x) for x in out):
        raise _Refusal("a material colour is NaN, infinite or not four numbers")
    return out


def _finite_factor(value, default: float, what: str) -> float:
    if value is None:
        return default
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise _Refusal(f"a material's {what} is not a number") from None
    if not math.isfinite(v):
        raise _Refusal(f"a material's {what} is NaN or infinite")
    return v


def _material_from_trimesh(visual, key: str, where: str) -> Material:
    from trimesh.visual.material import PBRMaterial, SimpleMaterial

    mat = getattr(visual, "material", None)
    if isinstance(mat, SimpleMaterial):
        mat = mat.to_pbr()
    if isinstance(mat, PBRMaterial):
        base = _factor4(mat.baseColorFactor, (1.0, 1.0, 1.0, 1.0))
        emissive = mat.emissiveFactor
        emissive = (
            (0.0, 0.0, 0.0)
            if emissive is None
            else tuple(_finite_factor(x, 0.0, "emissive factor") for x in np.ravel(emissive)[:3])
        )
        name = getattr(mat, "name", None)
        label = f"{where}a texture of material '{printable(name)}'" if name else f"{where}a texture"

        def tex(img, suffix):
            return _image_to_rgba(img, f"{key}/{suffix}", label)

        return Material(
            key=key,
            base_color=base,
            metallic=_finite_factor(mat.metallicFactor, 1.0, "metallic factor"),
            roughness=_finite_factor(mat.roughnessFactor, 1.0, "roughness factor"),
            emissive=emissive,
            base_color_texture=tex(mat.baseColorTexture, "base"),
            metallic_roughness_texture=tex(mat.metallicRoughnessTexture, "mr"),
            normal_texture=tex(mat.normalTexture, "normal"),
            emissive_texture=tex(mat.emissiveTexture, "emissive"),
            occlusion_texture=tex(mat.occlusionTexture, "occlusion"),
            double_sided=bool(getattr(mat, "doubleSided", False)),
            alpha_cutoff=(
                _finite_factor(mat.alphaCutoff or 0.5, 0.5, "alpha cutoff")
                if mat.alphaMode == "MASK"
                else None
            ),
        )
    return Material(key=key)


def _part_from_trimesh(mesh, transform: np.ndarray, key: str, where: str = "") -> MeshPart | None:
    if len(mesh.faces) == 0:
        return None
    positions = np.asarray(mesh.vertices, dtype=np.float64)
    normals = np.asarray(mesh.vertex_normals, dtype=np.float64)
    bad = int((~np.isfinite(normals).all(axis=1)).sum())
    if bad:
        raise _Refusal(
            f"{where}{_plural(bad, 'vertex normal is', 'vertex normals are')} NaN or infinite"
        )
    positions = positions @ transform[:3, :3].T + transform[:3, 3]
    normal_m = np.linalg.inv(transform[:3, :3]).T  # invertible: checked by _check_transform
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
        colors = np.repeat(np.c_[_srgb_to_linear(fc[:, :3]), fc[:, 3]], 3, axis=0).astype(
            np.float32
        )
        faces = np.arange(len(positions), dtype=np.uint32).reshape(-1, 3)
        material = Material(key=key + "/fc")
    else:
        material = _material_from_trimesh(visual, key, where)
    positions32 = positions.astype(np.float32)
    if not np.isfinite(positions32).all():
        raise _Refusal(
            f"{where}vertices lie beyond float32's range (about 3.4e38) once placed "
            "by their node's transform"
        )
    return MeshPart(
        positions=positions32,
        normals=normals.astype(np.float32),
        uvs=uvs.astype(np.float32),
        colors=colors,
        indices=faces,
        material=material,
    )


def _asset_from_parts(source: str, parts: list[MeshPart]) -> Asset:
    if not parts:
        raise AssetError(f"{printable(source)}: no triangles to draw")
    lo = np.min([p.positions.min(axis=0) for p in parts], axis=0).astype(np.float64)
    hi = np.max([p.positions.max(axis=0) for p in parts], axis=0).astype(np.float64)
    return Asset(source=source, parts=tuple(parts), bounds_min=lo, bounds_max=hi)


# ---------------------------------------------------------------- loading
def load_asset(path: str | Path, *, variants: dict[str, str] | None = None) -> Asset:
    """Load a mesh file (glTF/GLB, OBJ, STL, PLY, USD) into an :class:`Asset`; cached per file
    version (and, for USD, per ``variants`` selection: ``{variant set: variant}``).

    Anything wrong with the file, however hostile, is one :class:`AssetError` line naming it
    (``err.path``, ``err.reason`` hold the parts): only regular files are read, within the
    ``MAX_*`` limits above, and NaN or infinite numbers and indices past the vertices are refused.
    """
    try:
        written = Path(os.path.abspath(path))  # named as written: a link is not its target
    except ValueError:  # a NUL character
        raise _asset_error(repr(str(path)), "the path contains a NUL character") from None
    if written.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise _asset_error(
            written,
            f"unsupported mesh format '{printable(written.suffix, 20)}' "
            f"(use {', '.join(SUPPORTED_SUFFIXES)})",
        )
    try:
        st = stat_regular(written, MAX_MESH_FILE_BYTES)
    except UnsafeFile as exc:
        reason = "file not found" if exc.reason == "not found" else exc.reason
        raise _asset_error(written, reason) from None
    resolved = str(written.resolve())
    chosen = tuple(sorted((str(k), str(v)) for k, v in (variants or {}).items()))
    try:
        if written.suffix.lower() in _USD_SUFFIXES:
            return _load_usd_cached(resolved, st.st_mtime_ns, st.st_size, st.st_ino, chosen)
        return _load_asset_cached(resolved, st.st_mtime_ns, st.st_size, st.st_ino)
    except AssetError as exc:
        if resolved == str(written):
            raise
        raise _asset_error(written, exc.reason or str(exc)) from None


@functools.lru_cache(maxsize=64)
def _load_asset_cached(path: str, _mtime_ns: int, _size: int, _ino: int) -> Asset:
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            parts = _load_parts(Path(path))
            if not parts:
                raise _Refusal("no triangles to draw")
    except (_Refusal, UnsafeFile) as exc:
        raise _asset_error(path, exc.reason) from None
    return _asset_from_parts(path, parts)


@functools.lru_cache(maxsize=64)
def _load_usd_cached(
    path: str, _mtime_ns: int, _size: int, _ino: int, variants: tuple[tuple[str, str], ...]
) -> Asset:
    from previs.io.usd import UsdRefusal, load_usd

    try:
        return load_usd(path, dict(variants) or None)
    except (UsdRefusal, UnsafeFile) as exc:
        raise _asset_error(path, exc.reason) from None


class _SideFiles:
    """Reads the files a mesh refers to (glTF buffers and images, OBJ material libraries,
    textures): relative names inside the mesh's folder, regular files, size-capped, each read
    once. Refusals are kept, because trimesh swallows some reader errors and carries on."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.cache: dict[str, bytes] = {}
        self.refusals: list[_Refusal] = []

    def read(self, name: str, label: str) -> bytes:
        if not isinstance(name, str):
            raise _Refusal(f"{label}'s name is not text")
        if name in self.cache:
            return self.cache[name]
        shown = f"{label} '{printable(name)}'"
        try:
            full = inside(self.folder, name)
            if not full.exists() and unquote(name) != name:  # glTF URIs may be %-encoded
                full = inside(self.folder, unquote(name))
            data = read_regular(full, MAX_MESH_FILE_BYTES)
        except UnsafeFile as exc:
            refusal = _Refusal(f"{shown}: {exc.reason}")
            self.refusals.append(refusal)
            raise refusal from None
        except OSError as exc:  # exists() on a path too long
            refusal = _Refusal(f"{shown}: {describe_os_error(exc)}")
            self.refusals.append(refusal)
            raise refusal from None
        if full.suffix.lower() == ".mtl":  # text trimesh would decode with charset_normalizer
            data = _as_utf8(data)
        if full.suffix.lower() in _IMAGE_SUFFIXES:
            try:
                _check_image_bytes(data, shown)
            except _Refusal as refusal:
                self.refusals.append(refusal)
                raise
        self.cache[name] = data
        return data

    def resolver(self):
        import trimesh.resolvers

        side = self

        class _Resolver(trimesh.resolvers.Resolver):
            def __init__(self):
                self.file_name = None

            def get(self, key):
                return side.read(key, "the file it refers to")

            def write(self, name, data):
                raise _Refusal("previs never writes beside a mesh it reads")

            def namespaced(self, namespace):
                raise _Refusal("nested archives are not read")

            def keys(self):
                return iter(())

        return _Resolver()


def _load_parts(path: Path) -> list[MeshPart]:
    import trimesh

    data = read_regular(path, MAX_MESH_FILE_BYTES)
    if not data:
        raise _Refusal("the file is empty")
    side = _SideFiles(path.parent)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:  # a link named .glb to a file named otherwise
        suffix = ".glb" if data[:4] == b"glTF" else suffix
    if data[:4] == b"glTF":
        fmt, data = "glb", _check_glb(data, side)
    elif suffix == ".glb":
        raise _Refusal("not a valid GLB file (it does not start with 'glTF')")
    elif suffix == ".gltf":
        fmt = "gltf"
        _check_gltf(_json(data), None, side)
    elif suffix == ".obj":
        fmt, data = "obj", _check_obj(data)
    elif suffix == ".stl":
        fmt, data = "stl", _check_stl(data)
    else:
        fmt = "ply"
        _check_ply(data)
    name = _FORMAT_NAMES[fmt]
    try:
        scene = trimesh.load(
            io.BytesIO(data), file_type=fmt, resolver=side.resolver(), force="scene", process=False
        )
    except _Refusal:
        raise
    except ImportError as exc:
        missing = f"the Python package '{printable(exc.name, 40)}'" if exc.name else "a package"
        raise _Refusal(
            f"reading this {name} file needs {missing}, which is not installed"
        ) from None
    except IndexError:
        raise _Refusal(
            f"not a valid {name} file: a face refers to a vertex that does not exist"
        ) from None
    except MemoryError:
        raise _Refusal(f"not a valid {name} file: it asks for more memory than there is") from None
    except RecursionError:
        raise _Refusal(f"not a valid {name} file: it is nested too deeply to read") from None
    except Exception:  # trimesh raises many kinds, with texts that may quote the file
        raise _Refusal(f"not a valid {name} file (trimesh cannot parse it)") from None
    if side.refusals:  # a side file trimesh gave up on quietly
        raise side.refusals[0]
    return _scene_parts(scene, str(path), multi=fmt in ("glb", "gltf"))


def _scene_parts(scene, path: str, *, multi: bool) -> list[MeshPart]:
    import trimesh

    checked: set[str] = set()
    parts: list[MeshPart] = []
    vertices = triangles = 0
    for node in scene.graph.nodes_geometry:
        transform, geom_name = scene.graph[node]
        geom = scene.geometry.get(geom_name)
        if not isinstance(geom, trimesh.Trimesh):
            continue
        where = f"mesh '{printable(geom_name)}': " if multi else ""
        if geom_name not in checked:
            _check_geometry(geom, where)
            if not multi:  # merge vertices as trimesh.load would have (smooth STL normals);
                geom.process()  # its glTF loader keeps a glTF's vertices as they are
            checked.add(geom_name)
        transform = _check_transform(transform, node if multi else None)
        triangles += len(geom.faces)
        vertices += (
            len(geom.faces) * 3
            if getattr(geom.visual, "kind", None) == "face"
            else len(geom.vertices)
        )
        if triangles > MAX_TRIANGLES or vertices > MAX_VERTICES:
            raise _Refusal(
                f"it holds more than {MAX_TRIANGLES:,} triangles or {MAX_VERTICES:,} "
                "vertices (instances counted), the most previs draws per asset"
            )
        part = _part_from_trimesh(geom, transform, f"{path}#{geom_name}", where)
        if part is not None:
            parts.append(part)
    return parts


def _check_geometry(geom, where: str) -> None:
    """NaN and infinity, indices past the vertices and counts over the limits, on the arrays
    exactly as the file gave them (trimesh has not merged or dropped anything yet)."""
    v = np.asarray(geom.vertices)
    f = np.asarray(geom.faces)
    if len(v) > MAX_VERTICES or len(f) > MAX_TRIANGLES:
        raise _Refusal(
            f"{where}{len(v):,} vertices and {len(f):,} triangles; previs draws at "
            f"most {MAX_VERTICES:,} and {MAX_TRIANGLES:,} per asset"
        )
    bad = int((~np.isfinite(v).all(axis=1)).sum()) if len(v) else 0
    if bad:
        raise _Refusal(f"{where}{_plural(bad, 'vertex is', 'vertices are')} NaN or infinite")
    if len(f):
        wrong = (f < 0) | (f >= len(v))
        if wrong.any():
            token = int(f[wrong].flat[0])
            nbad = int(wrong.any(axis=1).sum())
            raise _Refusal(
                f"{where}{_plural(nbad, 'face refers', 'faces refer')} to vertices "
                f"that do not exist (index {token}; there are {len(v):,} vertices)"
            )
    uv = getattr(geom.visual, "uv", None)
    if uv is not None and len(uv):
        bad = int((~np.isfinite(np.asarray(uv, np.float64)).all(axis=1)).sum())
        if bad:
            raise _Refusal(
                f"{where}{_plural(bad, 'texture coordinate is', 'texture coordinates are')}"
                " NaN or infinite"
            )


def _check_transform(transform, node) -> np.ndarray:
    m = np.asarray(transform, dtype=np.float64)
    what = f"node '{printable(node)}'" if node is not None else "the file's transform"
    if m.shape != (4, 4) or not np.isfinite(m).all():
        raise _Refusal(f"{what} has a NaN or infinite transform")
    s = np.linalg.svd(m[:3, :3], compute_uv=False)
    if not s[0] > 0 or s[-1] <= 1e-12 * s[0]:
        raise _Refusal(f"{what} has a singular transform (a zero scale flattens its mesh)")
    return m


# ---------------------------------------------------------------- checks before trimesh
def _json(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Refusal(
            f"not a valid glTF file: its JSON is not UTF-8 text (byte {exc.start})"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Refusal(
            f"not a valid glTF file: its JSON is broken at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise _Refusal("not a valid glTF file: its JSON is nested too deeply") from None
    except ValueError:  # e.g. an integer of more digits than Python converts
        raise _Refusal(
            "not a valid glTF file: its JSON holds a number previs cannot read"
        ) from None


def _check_glb(data: bytes, side: _SideFiles) -> bytes:
    """The GLB container: header, JSON chunk, optional BIN chunk. Returns the GLB's bytes."""
    if len(data) < 20:
        raise _Refusal("not a valid GLB file: it ends inside its header (truncated?)")
    _magic, version, length = struct.unpack_from("<4sII", data)
    if version != 2:
        raise _Refusal(f"a GLB of version {version}; previs reads glTF 2.0")
    if length > len(data):
        raise _Refusal(
            f"not a valid GLB file: its header says {length:,} bytes but the file has "
            f"{len(data):,} (truncated?)"
        )
    data = data[:length]
    json_len, json_type = struct.unpack_from("<I4s", data, 12)
    if json_type != b"JSON" or 20 + json_len > len(data):
        raise _Refusal("not a valid GLB file: its first chunk is not a whole JSON chunk")
    doc = _json(data[20 : 20 + json_len])
    at = 20 + json_len + (-json_len % 4)
    bin_chunk = None
    if at + 8 <= len(data):
        bin_len, bin_type = struct.unpack_from("<I4s", data, at)
        if bin_type == b"BIN\x00":
            if at + 8 + bin_len > len(data):
                raise _Refusal("not a valid GLB file: its BIN chunk runs past the end (truncated?)")
            bin_chunk = data[at + 8 : at + 8 + bin_len]
    _check_gltf(doc, bin_chunk, side)
    return data


_COMPONENT_BYTES = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
_TYPE_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}


def _int(value, what: str, lo: int = 0, hi: int | None = None) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < lo
        or (hi is not None and value > hi)
    ):
        shown = printable(json.dumps(value), 24)
        wanted = f"from {lo:,} to {hi:,}" if hi is not None else f"of at least {lo:,}"
        raise _Refusal(f"not a valid glTF file: {what} is {shown}, not a whole number {wanted}")
    return value


def _check_gltf(doc, bin_chunk: bytes | None, side: _SideFiles) -> None:
    """glTF's own structure, before trimesh trusts it: every buffer there and long enough, every
    view and accessor inside its buffer, counts within the limits, images readable and of a
    size we draw, node transforms finite and invertible, no node its own ancestor."""
    if not isinstance(doc, dict):
        raise _Refusal("not a valid glTF file: its JSON is not an object")

    def objects(key: str) -> list[dict]:
        v = doc.get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
            raise _Refusal(f"not a valid glTF file: '{key}' is not a list of objects")
        return v

    version = doc.get("asset", {}).get("version") if isinstance(doc.get("asset"), dict) else None
    if not isinstance(version, str) or not version.startswith("2"):
        raise _Refusal(
            f"a glTF of version {printable(json.dumps(version), 16)}; previs reads glTF 2.0"
        )
    buffers: list[bytes] = []
    for i, b in enumerate(objects("buffers")):
        declared = _int(b.get("byteLength"), f"buffer {i}'s byteLength", 0, MAX_MESH_FILE_BYTES)
        uri = b.get("uri")
        if uri is None:
            if i != 0 or bin_chunk is None:
                raise _Refusal(
                    f"not a valid glTF file: buffer {i} has no uri (and no GLB BIN chunk)"
                )
            blob = bin_chunk
        elif not isinstance(uri, str):
            raise _Refusal(f"not a valid glTF file: buffer {i}'s uri is not text")
        elif uri.startswith("data:"):
            blob = _data_uri(uri, f"buffer {i}")
        else:
            blob = side.read(uri, f"buffer {i}")
        if len(blob) < declared:
            raise _Refusal(
                f"buffer {i} holds {len(blob):,} bytes where the file says "
                f"{declared:,} (truncated?)"
            )
        buffers.append(blob)
    views = objects("bufferViews")
    for i, v in enumerate(views):
        buf = _int(v.get("buffer"), f"bufferView {i}'s buffer", 0, max(len(buffers) - 1, 0))
        if not buffers:
            raise _Refusal(f"not a valid glTF file: bufferView {i} has no buffer to view")
        off = _int(v.get("byteOffset", 0), f"bufferView {i}'s byteOffset")
        length = _int(v.get("byteLength"), f"bufferView {i}'s byteLength")
        if off + length > len(buffers[buf]):
            raise _Refusal(
                f"not a valid glTF file: bufferView {i} runs past the end of buffer {buf}"
            )
        if "byteStride" in v:
            _int(v["byteStride"], f"bufferView {i}'s byteStride", 4, 252)
    for i, a in enumerate(objects("accessors")):
        count = _int(a.get("count"), f"accessor {i}'s count")
        if count > 3 * MAX_TRIANGLES or (count > MAX_VERTICES and a.get("type") != "SCALAR"):
            raise _Refusal(
                f"accessor {i} holds {count:,} items; previs draws at most "
                f"{MAX_VERTICES:,} vertices and {MAX_TRIANGLES:,} triangles per asset"
            )
        comp = a.get("componentType")
        kind = a.get("type")
        if comp not in _COMPONENT_BYTES or kind not in _TYPE_COMPONENTS:
            raise _Refusal(
                f"not a valid glTF file: accessor {i} has an unknown componentType or type"
            )
        if "sparse" in a:
            raise _Refusal(f"accessor {i} is sparse, which previs does not read")
        if "bufferView" not in a:
            continue
        vi = _int(a["bufferView"], f"accessor {i}'s bufferView", 0, max(len(views) - 1, 0))
        if not views:
            raise _Refusal(f"not a valid glTF file: accessor {i} has no bufferView to read")
        elem = _COMPONENT_BYTES[comp] * _TYPE_COMPONENTS[kind]
        stride = views[vi].get("byteStride") or elem
        off = _int(a.get("byteOffset", 0), f"accessor {i}'s byteOffset")
        if count and off + stride * (count - 1) + elem > views[vi]["byteLength"]:
            raise _Refusal(
                f"not a valid glTF file: accessor {i} reads {count:,} items past the "
                f"end of bufferView {vi}"
            )
    for i, im in enumerate(objects("images")):
        label = f"image {i}"
        if "bufferView" in im:
            vi = _int(im["bufferView"], f"image {i}'s bufferView", 0, max(len(views) - 1, 0))
            if not views:
                raise _Refusal(f"not a valid glTF file: image {i} has no bufferView to read")
            v = views[vi]
            off = v.get("byteOffset", 0)
            blob = buffers[v["buffer"]][off : off + v["byteLength"]]
        elif isinstance(im.get("uri"), str):
            uri = im["uri"]
            label = f"image {i} '{printable(uri[:40] if uri.startswith('data:') else uri)}'"
            blob = _data_uri(uri, label) if uri.startswith("data:") else side.read(uri, label)
        else:
            raise _Refusal(f"not a valid glTF file: image {i} has neither a uri nor a bufferView")
        if im.get("mimeType") == "image/ktx2":
            continue  # trimesh skips KTX2 images; the material draws untextured
        _check_image_bytes(blob, label)
    accessors = len(doc.get("accessors", []))
    for i, mesh in enumerate(objects("meshes")):
        prims = mesh.get("primitives")
        if not isinstance(prims, list) or not all(isinstance(p, dict) for p in prims):
            raise _Refusal(f"not a valid glTF file: mesh {i}'s primitives are not a list")
        for p in prims:
            attrs = p.get("attributes", {})
            if not isinstance(attrs, dict):
                raise _Refusal(
                    f"not a valid glTF file: mesh {i} has attributes that are not a mapping"
                )
            for key, a in [
                *attrs.items(),
                *([("indices", p["indices"])] if "indices" in p else []),
            ]:
                _int(a, f"mesh {i}'s {printable(key, 24)} accessor", 0, max(accessors - 1, 0))
                if not accessors:
                    raise _Refusal(
                        f"not a valid glTF file: mesh {i} refers to accessors there are none of"
                    )
    nodes = objects("nodes")
    for i, n in enumerate(nodes):
        _check_node(n, i)
        if "mesh" in n:
            _int(n["mesh"], f"node {i}'s mesh", 0, max(len(doc.get("meshes", [])) - 1, 0))
    for i, n in enumerate(nodes):
        children = n.get("children", [])
        if not isinstance(children, list):
            raise _Refusal(f"not a valid glTF file: node {i}'s children are not a list")
        for c in children:
            _int(c, f"a child of node {i}", 0, max(len(nodes) - 1, 0))
    _check_node_cycles(nodes)


def _node_label(n: dict, i: int) -> str:
    name = n.get("name")
    return f"node '{printable(name)}'" if isinstance(name, str) and name else f"node {i}"


def _numbers(value, size: int, what: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        arr = None
    if arr is None or arr.shape != (size,):
        raise _Refusal(f"not a valid glTF file: {what} is not {size} numbers")
    if not np.isfinite(arr).all():
        raise _Refusal(f"{what} holds NaN or infinite numbers")
    return arr


def _check_node(n: dict, i: int) -> None:
    label = _node_label(n, i)
    if "matrix" in n:
        m = _numbers(n["matrix"], 16, f"the matrix of {label}").reshape(4, 4).T
        _check_transform(m, n.get("name") or i)
    if "scale" in n:
        s = _numbers(n["scale"], 3, f"the scale of {label}")
        if not (np.abs(s) > 0).all():
            raise _Refusal(f"{label} has a zero scale (a singular transform flattens its mesh)")
    if "rotation" in n:
        q = _numbers(n["rotation"], 4, f"the rotation of {label}")
        if not np.linalg.norm(q) > 1e-6:
            raise _Refusal(f"the rotation of {label} is a zero quaternion")
    if "translation" in n:
        _numbers(n["translation"], 3, f"the translation of {label}")


def _check_node_cycles(nodes: list[dict]) -> None:
    state = [0] * len(nodes)  # 0 new, 1 on the current path, 2 done
    for root in range(len(nodes)):
        if state[root]:
            continue
        stack = [(root, iter(nodes[root].get("children", [])))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            child = next(it, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state[child] == 1:
                raise _Refusal(
                    f"not a valid glTF file: {_node_label(nodes[child], child)} is its "
                    "own ancestor (a cycle in the node tree)"
                )
            elif state[child] == 0:
                state[child] = 1
                stack.append((child, iter(nodes[child].get("children", []))))


def _data_uri(uri: str, label: str) -> bytes:
    head, comma, payload = uri.partition(",")
    if not comma or not head.endswith(";base64"):
        raise _Refusal(f"{label}'s data: URI is not base64 (previs reads 'data:...;base64,...')")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise _Refusal(f"{label}'s data: URI is not valid base64") from None


# A face (or texture/normal) index written as 0: OBJ counts from 1, so 0 names no vertex; trimesh
# would quietly read it as the last vertex. Negative indices are legal (relative) in OBJ.
_OBJ_ZERO_INDEX = re.compile(rb"(?m)^[ \t]*f[ \t]+(?:[^\n]*?[ \t/])?-?0+(?=[ \t/\r]|$)")


def _as_utf8(data: bytes) -> bytes:
    """Text in any 8-bit encoding, as UTF-8. trimesh decodes non-UTF-8 text with
    charset_normalizer, which previs does not need: names and comments are all a mesh's text
    that is not ASCII, so Latin-1 (which decodes any byte) keeps the numbers exactly."""
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        return data.decode("latin-1").encode("utf-8")


def _count_lines(data: bytes, start: bytes) -> int:
    return data.count(b"\n" + start) + data.startswith(start)


def _check_obj(data: bytes) -> bytes:
    data = _as_utf8(data)
    m = _OBJ_ZERO_INDEX.search(data)
    if m:
        line = data.count(b"\n", 0, m.start()) + 1
        raise _Refusal(
            f"not a valid OBJ file: line {line:,} has a face index 0 (OBJ counts vertices from 1)"
        )
    vertices = _count_lines(data, b"v ") + _count_lines(data, b"v\t")
    faces = _count_lines(data, b"f ") + _count_lines(data, b"f\t")
    if vertices > MAX_VERTICES or faces > MAX_TRIANGLES:
        raise _Refusal(
            f"{vertices:,} vertices and {faces:,} faces; previs draws at most "
            f"{MAX_VERTICES:,} vertices and {MAX_TRIANGLES:,} triangles per asset"
        )
    return data


def _check_stl(data: bytes) -> bytes:
    if len(data) >= 84:
        count = struct.unpack_from("<I", data, 80)[0]
        if 84 + 50 * count == len(data):  # binary (even when its header starts with "solid")
            if count > MAX_TRIANGLES:
                raise _Refusal(
                    f"{count:,} triangles; previs draws at most {MAX_TRIANGLES:,} per asset"
                )
            try:
                data[:80].decode("utf-8")
            except UnicodeDecodeError:  # a CAD tool's binary header: keep trimesh off it
                data = b" " * 80 + data[80:]
            return data
    if data.lstrip()[:5].lower() == b"solid":
        data = _as_utf8(data)
        triangles = data.count(b"endfacet")
        if triangles > MAX_TRIANGLES:
            raise _Refusal(
                f"{triangles:,} triangles; previs draws at most {MAX_TRIANGLES:,} per asset"
            )
        return data
    if len(data) < 84:
        raise _Refusal(
            "not a valid STL file: too short for a binary STL's 84-byte header, and "
            "not ASCII STL ('solid ...')"
        )
    raise _Refusal(
        f"not a valid STL file: its header says {count:,} triangles "
        f"({84 + 50 * count:,} bytes) but the file has {len(data):,} bytes"
    )


_PLY_TYPES = {
    "char": 1,
    "uchar": 1,
    "int8": 1,
    "uint8": 1,
    "short": 2,
    "ushort": 2,
    "int16": 2,
    "uint16": 2,
    "int": 4,
    "uint": 4,
    "int32": 4,
    "uint32": 4,
    "float": 4,
    "float32": 4,
    "double": 8,
    "float64": 8,
}


def _check_ply(data: bytes) -> None:
    """The header: a known format, element counts within the limits, and (binary) a body at
    least as long as those counts need, all before trimesh allocates for them."""
    end = data.find(b"end_header", 0, 1 << 16)
    if not data.startswith(b"ply") or end < 0:
        raise _Refusal("not a valid PLY file: no 'ply ... end_header' header in its first 64 KiB")
    try:
        header = data[:end].decode("ascii")
    except UnicodeDecodeError:
        raise _Refusal("not a valid PLY file: its header is not ASCII text") from None
    nl = data.find(b"\n", end)
    body = len(data) - (nl + 1) if nl >= 0 else 0
    fmt = None
    elements: list[list] = []  # [name, count, fixed bytes per item, list count bytes or 0]
    for raw in header.splitlines()[1:]:
        words = raw.split()
        if not words or words[0] in ("comment", "obj_info"):
            continue
        if words[0] == "format" and len(words) >= 2:
            fmt = words[1]
        elif words[0] == "element" and len(words) == 3:
            if not words[2].isdigit() or len(words[2]) > 18:
                raise _Refusal(
                    f"not a valid PLY file: element '{printable(words[1], 24)}' has "
                    f"count '{printable(words[2], 24)}'"
                )
            count = int(words[2])
            if count > max(MAX_VERTICES, MAX_TRIANGLES):
                raise _Refusal(
                    f"its header declares {count:,} {printable(words[1], 24)} "
                    f"elements; previs draws at most {MAX_VERTICES:,} vertices and "
                    f"{MAX_TRIANGLES:,} triangles per asset"
                )
            elements.append([words[1], count, 0, 0])
        elif words[0] == "property" and elements:
            if len(words) >= 5 and words[1] == "list":
                elements[-1][3] = _PLY_TYPES.get(words[2], 1)
            elif len(words) >= 3:
                elements[-1][2] += _PLY_TYPES.get(words[1], 1)
    if fmt is None:
        raise _Refusal("not a valid PLY file: its header has no 'format' line")
    if fmt not in ("ascii", "binary_little_endian", "binary_big_endian"):
        raise _Refusal(f"not a valid PLY file: unknown format '{printable(fmt, 24)}'")
    if fmt == "ascii":
        need = sum(e[1] for e in elements)  # one element a line
        have = data.count(b"\n", nl + 1) + (not data.endswith(b"\n"))
        what = "lines"
    else:
        need = sum(e[1] * (e[2] + e[3]) for e in elements)  # a list holds at least its count
        have = body
        what = "bytes"
    if have < need:
        raise _Refusal(
            f"not a valid PLY file: its header declares more data than the file holds "
            f"(at least {need:,} {what}, found {have:,}; truncated?)"
        )


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

    m = trimesh.Trimesh(
        mesh.vertices[mesh.faces.reshape(-1)],
        np.arange(len(mesh.faces) * 3).reshape(-1, 3),
        process=False,
    )
    return m


def standin_meshes(height_m: float):
    """A neutral human stand-in of ``height_m``, feet at y = 0, facing +Z.

    Proportions follow the stature fractions of Drillis & Contini (shoulder 0.818, hip 0.53,
    knee 0.285) so shot-size framing on it reads like framing a person.
    """
    import trimesh

    h = float(height_m)
    parts = []

    from previs.io.figure_mesh import capsule_mesh

    def capsule(r, p0, p1):
        parts.append(capsule_mesh(p0, p1, r, count=12))

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
        capsule(
            0.028 * h, [sx * sh_w, sh_y - 0.03 * h, 0], [sx * (sh_w + 0.02 * h), 0.63 * h, 0.01 * h]
        )
        capsule(
            0.024 * h,
            [sx * (sh_w + 0.02 * h), 0.63 * h, 0.01 * h],
            [sx * (sh_w + 0.025 * h), 0.47 * h, 0.04 * h],
        )
        capsule(0.042 * h, [sx * hip_w, hip_y, 0], [sx * hip_w, knee_y, 0.01 * h])
        capsule(0.034 * h, [sx * hip_w, knee_y, 0.01 * h], [sx * hip_w, 0.04 * h, 0])
        foot = trimesh.creation.box([0.055 * h, 0.04 * h, 0.15 * h])
        foot.apply_translation([sx * hip_w, 0.02 * h, 0.04 * h])
        parts.append(foot)
    body = trimesh.util.concatenate(parts)
    return body


def primitive_asset(
    kind: str,
    *,
    size_m=(),
    radius_m: float = 0.0,
    height_m: float = 0.0,
    color_linear=(0.5, 0.5, 0.5),
    roughness: float = 0.7,
    metallic: float = 0.0,
    key: str = "",
) -> Asset:
    """A box, cylinder, plane or stand-in as an Asset in its local space (base at y = 0)."""
    import trimesh

    if kind == "box":
        sx, sy, sz = size_m
        m = _flat(trimesh.creation.box([sx, sy, sz]))
        m.apply_translation([0, sy / 2, 0])
    elif kind == "cylinder":
        sections = max(24, int(math.ceil(radius_m * 2 * math.pi / 0.05)))
        m = trimesh.creation.cylinder(radius=radius_m, height=height_m, sections=min(sections, 128))
        m.apply_transform(
            np.array([[1, 0, 0, 0], [0, 0, 1, height_m / 2], [0, -1, 0, 0], [0, 0, 0, 1.0]])
        )
    elif kind == "plane":
        sx, sz = size_m
        v = np.array(
            [[-sx / 2, 0, -sz / 2], [sx / 2, 0, -sz / 2], [sx / 2, 0, sz / 2], [-sx / 2, 0, sz / 2]]
        )
        m = trimesh.Trimesh(v, [[0, 2, 1], [0, 3, 2]], process=False)
    elif kind == "standin":
        m = standin_meshes(height_m)
    else:
        raise AssetError(f"unknown primitive kind '{kind}'")
    part = _part_from_arrays(
        m,
        key or f"prim:{kind}:{color_linear}:{roughness}:{metallic}",
        color_linear,
        roughness,
        metallic,
    )
    return _asset_from_parts(f"<{kind}>", [part])
