"""Builders for small valid mesh files in every format previs reads, and ways to break them.

Used by ``tests/test_hostile_meshes.py``. Everything is generated from code (no binary fixtures)
and deterministic: the same call gives the same bytes.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib

import numpy as np

MARKER = "SECRETMARKER"  # planted in files; must never appear in an error message

# A unit quad (two triangles) facing +Z, with normals and texture coordinates.
QUAD_POS = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float32)
QUAD_NRM = np.array([[0, 0, 1]] * 4, np.float32)
QUAD_UV = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)
QUAD_IDX = np.array([[0, 1, 2], [0, 2, 3]], np.uint32)


# ---------------------------------------------------------------- images
def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bytes(width: int = 2, height: int = 2, *, body: bool = True) -> bytes:
    """An RGBA PNG. With ``body=False`` the pixel data is a tiny stub: the header may claim any
    size (a decompression bomb as far as a reader that trusts the header is concerned)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    if body:
        raw = b"".join(b"\x00" + bytes([200, 100, 50, 255]) * width for _ in range(height))
    else:
        raw = b"\x00" * 16
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(raw))
        + _png_chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------- glTF / GLB
def gltf_doc(
    pos=QUAD_POS,
    idx=QUAD_IDX,
    *,
    image: bytes | None = None,
    matrix=None,
    node_name: str = "quad",
    index_count: int | None = None,
    position_count: int | None = None,
) -> tuple[dict, bytes]:
    """A glTF document with one mesh (positions, normals, uvs, uint32 indices) and its BIN."""
    pos = np.ascontiguousarray(pos, np.float32)
    n = len(pos)
    nrm = np.tile(np.array([[0, 0, 1]], np.float32), (n, 1))
    uv = np.zeros((n, 2), np.float32)
    idx = np.ascontiguousarray(idx, np.uint32).reshape(-1)
    chunks = [pos.tobytes(), nrm.tobytes(), uv.tobytes(), idx.tobytes()]
    if image is not None:
        chunks.append(image)
    views, blob = [], b""
    for c in chunks:
        views.append({"buffer": 0, "byteOffset": len(blob), "byteLength": len(c)})
        blob += c + b"\x00" * (-len(c) % 4)
    fin = pos if n else np.zeros((1, 3), np.float32)
    accessors = [
        {
            "bufferView": 0,
            "componentType": 5126,
            "count": position_count or n,
            "type": "VEC3",
            "min": [float(x) for x in np.nanmin(fin, axis=0)]
            if np.isfinite(fin).all()
            else [0, 0, 0],
            "max": [float(x) for x in np.nanmax(fin, axis=0)]
            if np.isfinite(fin).all()
            else [1, 1, 1],
        },
        {"bufferView": 1, "componentType": 5126, "count": n, "type": "VEC3"},
        {"bufferView": 2, "componentType": 5126, "count": n, "type": "VEC2"},
        {
            "bufferView": 3,
            "componentType": 5125,
            "count": index_count or len(idx),
            "type": "SCALAR",
        },
    ]
    prim = {"attributes": {"POSITION": 0, "NORMAL": 1, "TEXCOORD_0": 2}, "indices": 3}
    doc = {
        "asset": {"version": "2.0", "generator": MARKER},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "name": node_name}],
        "meshes": [{"primitives": [prim], "name": "quadmesh"}],
        "buffers": [{"byteLength": len(blob)}],
        "bufferViews": views,
        "accessors": accessors,
    }
    if matrix is not None:
        doc["nodes"][0]["matrix"] = [float(x) for x in np.asarray(matrix, float).T.ravel()]
    if image is not None:
        doc["images"] = [{"bufferView": 4, "mimeType": "image/png"}]
        doc["textures"] = [{"source": 0}]
        doc["materials"] = [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}]
        prim["material"] = 0
    return doc, blob


def glb_bytes(doc: dict, blob: bytes) -> bytes:
    js = json.dumps(doc).encode()
    js += b" " * (-len(js) % 4)
    blob = blob + b"\x00" * (-len(blob) % 4)
    total = 12 + 8 + len(js) + 8 + len(blob)
    return (
        struct.pack("<4sII", b"glTF", 2, total)
        + struct.pack("<I4s", len(js), b"JSON")
        + js
        + struct.pack("<I4s", len(blob), b"BIN\x00")
        + blob
    )


def gltf_embedded(doc: dict, blob: bytes) -> bytes:
    """A .gltf whose buffer is a base64 data: URI."""
    doc = json.loads(json.dumps(doc))
    doc["buffers"][0]["uri"] = (
        "data:application/octet-stream;base64," + base64.b64encode(blob).decode()
    )
    return json.dumps(doc).encode()


def gltf_external(doc: dict, uri: str) -> bytes:
    doc = json.loads(json.dumps(doc))
    doc["buffers"][0]["uri"] = uri
    return json.dumps(doc).encode()


# ---------------------------------------------------------------- OBJ / PLY / STL
def obj_text(pos=QUAD_POS, faces: list[list[int]] | None = None, *, comment: str = MARKER) -> bytes:
    """OBJ text, 1-based faces (as written: ``faces`` are the numbers in the file)."""
    lines = [f"# {comment}"]
    lines += [f"v {x!r} {y!r} {z!r}" for x, y, z in np.asarray(pos, float).tolist()]
    if faces is None:
        faces = (QUAD_IDX + 1).tolist()
    lines += ["f " + " ".join(str(i) for i in f) for f in faces]
    return ("\n".join(lines) + "\n").encode()


def ply_ascii(pos=QUAD_POS, faces=QUAD_IDX, *, vertex_count=None, face_count=None) -> bytes:
    pos = np.asarray(pos, float)
    faces = np.asarray(faces)
    head = [
        "ply",
        "format ascii 1.0",
        f"comment {MARKER}",
        f"element vertex {len(pos) if vertex_count is None else vertex_count}",
        "property float x",
        "property float y",
        "property float z",
        f"element face {len(faces) if face_count is None else face_count}",
        "property list uchar int vertex_indices",
        "end_header",
    ]
    body = [" ".join(repr(float(c)) for c in p) for p in pos]
    body += [f"{len(f)} " + " ".join(str(int(i)) for i in f) for f in faces]
    return ("\n".join(head + body) + "\n").encode()


def ply_binary(pos=QUAD_POS, faces=QUAD_IDX, *, vertex_count=None, face_count=None) -> bytes:
    pos = np.asarray(pos, np.float32)
    faces = np.asarray(faces, np.int32)
    head = [
        "ply",
        "format binary_little_endian 1.0",
        f"comment {MARKER}",
        f"element vertex {len(pos) if vertex_count is None else vertex_count}",
        "property float x",
        "property float y",
        "property float z",
        f"element face {len(faces) if face_count is None else face_count}",
        "property list uchar int vertex_indices",
        "end_header",
    ]
    body = pos.astype("<f4").tobytes()
    for f in faces:
        body += struct.pack("<B", len(f)) + np.asarray(f, "<i4").tobytes()
    return ("\n".join(head) + "\n").encode() + body


def stl_ascii(pos=QUAD_POS, faces=QUAD_IDX) -> bytes:
    pos = np.asarray(pos, float).tolist()
    out = [f"solid {MARKER}"]
    for f in np.asarray(faces):
        out += ["facet normal 0 0 1", "outer loop"]
        out += [f"vertex {pos[i][0]!r} {pos[i][1]!r} {pos[i][2]!r}" for i in f]
        out += ["endloop", "endfacet"]
    out.append(f"endsolid {MARKER}")
    return ("\n".join(out) + "\n").encode()


def stl_binary(
    pos=QUAD_POS, faces=QUAD_IDX, *, count: int | None = None, header: bytes | None = None
) -> bytes:
    pos = np.asarray(pos, np.float32)
    faces = np.asarray(faces)
    head = (header if header is not None else MARKER.encode()).ljust(80, b" ")[:80]
    body = b""
    for f in faces:
        body += struct.pack("<3f", 0, 0, 1) + pos[f].astype("<f4").tobytes() + b"\x00\x00"
    return head + struct.pack("<I", len(faces) if count is None else count) + body


VALID = {
    "quad.glb": lambda: glb_bytes(*gltf_doc()),
    "quad.gltf": lambda: gltf_embedded(*gltf_doc()),
    "quad.obj": lambda: obj_text(),
    "quad_ascii.ply": lambda: ply_ascii(),
    "quad_binary.ply": lambda: ply_binary(),
    "quad_ascii.stl": lambda: stl_ascii(),
    "quad_binary.stl": lambda: stl_binary(),
    "quad_textured.glb": lambda: glb_bytes(*gltf_doc(image=png_bytes(4, 4))),
}
