"""A generated hostile corpus of mesh files (issue 14): every format previs reads, broken every
way we could think of. Each file must end in either a valid asset (finite arrays, indices in
range) or one :class:`AssetError` line that names the file and quotes none of its contents.

The corpus is generated (``tests/hostile_mesh_gen.py``), seeded and clock-free.
"""

from __future__ import annotations

import json
import os
import random
import struct
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hostile_mesh_gen import (
    MARKER,
    QUAD_POS,
    VALID,
    glb_bytes,
    gltf_doc,
    gltf_embedded,
    gltf_external,
    obj_text,
    ply_ascii,
    ply_binary,
    png_bytes,
    stl_ascii,
    stl_binary,
)

from previs.errors import AssetError, PrevisError
from previs.io import meshes
from previs.io.meshes import load_asset

SEED = 14


def verdict(path: Path, *, marker: str = MARKER):
    """('ok', asset) or ('refused', message), asserting what issue 14 asks of each."""
    try:
        asset = load_asset(path)
    except AssetError as exc:
        msg = str(exc)
        assert msg.isprintable(), f"unescaped control characters: {msg!r}"  # one line, no escapes
        assert marker not in msg, f"the message quotes the file: {msg!r}"
        if len(str(path)) < 150:
            assert str(Path(path).name.encode("unicode_escape").decode()) in msg, msg
        assert "Error:" not in msg and "Traceback" not in msg, msg  # no library exception text
        return "refused", msg
    assert asset.parts
    for p in asset.parts:
        n = len(p.positions)
        for arr in (p.positions, p.normals, p.uvs, p.colors):
            assert len(arr) == n and np.isfinite(arr).all()
        assert p.indices.dtype == np.uint32 and (p.indices < n).all()
        assert len(p.indices) > 0
        for tex in (p.material.base_color_texture, p.material.normal_texture):
            if tex is not None:
                h, w = tex.rgba.shape[:2]
                assert w * h <= meshes.MAX_TEXTURE_PIXELS
    assert np.isfinite(asset.bounds_min).all() and np.isfinite(asset.bounds_max).all()
    return "ok", asset


def refused(path: Path, *expect: str, marker: str = MARKER) -> str:
    kind, msg = verdict(path, marker=marker)
    assert kind == "refused", f"{path.name} was accepted"
    for e in expect:
        assert e in msg, msg
    return msg


def write(folder: Path, name: str, data: bytes) -> Path:
    p = folder / name
    p.write_bytes(data)
    return p


# ---------------------------------------------------------------- the valid ones load
@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_files_load(tmp_path, name):
    kind, asset = verdict(write(tmp_path, name, VALID[name]()))
    assert kind == "ok"
    assert asset.triangle_count == 2
    np.testing.assert_allclose(asset.bounds_min, [0, 0, 0])
    np.testing.assert_allclose(asset.bounds_max, [1, 1, 0])
    if "textured" in name:
        tex = asset.parts[0].material.base_color_texture
        assert tex is not None and tex.rgba.shape == (4, 4, 4)
        assert tuple(tex.rgba[0, 0]) == (200, 100, 50, 255)


# ---------------------------------------------------------------- truncations and bit flips
@pytest.mark.parametrize("name", sorted(VALID))
def test_truncated_and_bit_flipped(tmp_path, name):
    """Every format cut at many offsets and with random bytes flipped: never a traceback."""
    rng = random.Random(f"{SEED}:{name}")
    good = VALID[name]()
    cuts = sorted(
        {
            0,
            1,
            4,
            12,
            20,
            84,
            len(good) // 2,
            len(good) - 1,
            *(rng.randrange(len(good)) for _ in range(16)),
        }
    )
    outcomes = {"ok": 0, "refused": 0}
    for i, cut in enumerate(c for c in cuts if c < len(good)):
        outcomes[verdict(write(tmp_path, f"cut{i}_{name}", good[:cut]))[0]] += 1
    for i in range(24):
        bad = bytearray(good)
        start = 0 if i % 2 else min(84, len(bad) // 2)  # half of them past the headers
        for _ in range(rng.randint(1, 8)):
            bad[rng.randrange(start, len(bad))] ^= 1 << rng.randrange(8)
        outcomes[verdict(write(tmp_path, f"flip{i}_{name}", bytes(bad)))[0]] += 1
    assert outcomes["refused"] > 0  # cutting a file to 0 bytes at least is refused


# ---------------------------------------------------------------- numbers
def _nan_files(value: float) -> dict[str, bytes]:
    p = QUAD_POS.copy()
    p[2, 1] = value
    return {
        "bad.glb": glb_bytes(*gltf_doc(pos=p)),
        "bad.gltf": gltf_embedded(*gltf_doc(pos=p)),
        "bad.obj": obj_text(p),
        "bad_ascii.ply": ply_ascii(p),
        "bad_binary.ply": ply_binary(p),
        "bad_ascii.stl": stl_ascii(p),
        "bad_binary.stl": stl_binary(p),
    }


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinite_vertices_are_refused(tmp_path, value):
    for name, data in _nan_files(value).items():
        refused(write(tmp_path, name, data), "NaN or infinite")


def test_huge_but_finite_coordinates_that_overflow_float32(tmp_path):
    p = QUAD_POS.astype(np.float64) * 1e300
    refused(write(tmp_path, "huge.obj", obj_text(p)))


# ---------------------------------------------------------------- indices
def test_obj_index_zero_and_out_of_range(tmp_path):
    refused(write(tmp_path, "zero.obj", obj_text(faces=[[0, 1, 2]])), "index 0", "line")
    refused(write(tmp_path, "zero_uv.obj", obj_text(faces=[["1/0", "2/1", "3/1"]])), "index 0")
    refused(write(tmp_path, "past.obj", obj_text(faces=[[1, 2, 9]])), "does not exist")
    refused(write(tmp_path, "negpast.obj", obj_text(faces=[[-1, -2, -9]])), "does not exist")
    # negative indices are legal OBJ: relative to the end of the vertices so far
    kind, asset = verdict(write(tmp_path, "relative.obj", obj_text(faces=[[-4, -3, -2]])))
    assert kind == "ok" and asset.triangle_count == 1
    # 10, 20, 30 contain a 0 but are not index 0
    pos = np.arange(90, dtype=float).reshape(30, 3)
    kind, _ = verdict(write(tmp_path, "tens.obj", obj_text(pos, faces=[[10, 20, 30]])))
    assert kind == "ok"


@pytest.mark.parametrize("face", [[0, 1, -1], [0, 1, 4], [0, 1, 2**31 - 1], [-(2**31), 1, 2]])
def test_ply_indices_out_of_range(tmp_path, face):
    for name, make in (("a.ply", ply_ascii), ("b.ply", ply_binary)):
        refused(
            write(tmp_path, name, make(faces=[face])), "do not exist", f"index {face[0] or face[2]}"
        )


@pytest.mark.parametrize("idx", [[[0, 1, 9]], [[0, 1, 2**32 - 1]]])
def test_glb_indices_past_the_vertices(tmp_path, idx):
    refused(write(tmp_path, "past.glb", glb_bytes(*gltf_doc(idx=idx))), "do not exist")
    refused(write(tmp_path, "past.gltf", gltf_embedded(*gltf_doc(idx=idx))), "do not exist")


# ---------------------------------------------------------------- sizes claimed by headers
def _small_peak(path: Path) -> tuple[str, int]:
    tracemalloc.start()
    try:
        kind, msg = verdict(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return kind, msg, peak


@pytest.mark.parametrize(
    "name,data,expect",
    [
        ("v40.ply", lambda: ply_binary(vertex_count=2**40), "1,099,511,627,776"),
        ("v40a.ply", lambda: ply_ascii(vertex_count=2**40), "1,099,511,627,776"),
        ("f40.ply", lambda: ply_binary(face_count=2**40), "1,099,511,627,776"),
        ("more.ply", lambda: ply_binary(vertex_count=1000), "truncated"),
        ("morea.ply", lambda: ply_ascii(vertex_count=1000), "truncated"),
        ("neg.ply", lambda: ply_ascii().replace(b"vertex 4", b"vertex -4"), "count"),
        ("count31.glb", lambda: glb_bytes(*gltf_doc(index_count=2**31)), "2,147,483,648 items"),
        ("pos31.glb", lambda: glb_bytes(*gltf_doc(position_count=2**31)), "2,147,483,648 items"),
        ("pos20.glb", lambda: glb_bytes(*gltf_doc(position_count=2**20)), "past the end"),
        ("count32.stl", lambda: stl_binary(count=2**32 - 1), "4,294,967,295"),
    ],
)
def test_huge_header_counts_are_refused_before_allocating(tmp_path, name, data, expect):
    kind, msg, peak = _small_peak(write(tmp_path, name, data()))
    assert kind == "refused" and expect in msg, msg
    size = (tmp_path / name).stat().st_size
    assert peak < 3 * size + (16 << 20), f"{peak / 2**20:.0f} MiB traced for {name}"


@pytest.mark.parametrize("name", sorted(VALID))
def test_triangle_and_vertex_limits(tmp_path, monkeypatch, name):
    monkeypatch.setattr(meshes, "MAX_TRIANGLES", 1)
    refused(write(tmp_path, name, VALID[name]()), "1 ")
    monkeypatch.setattr(meshes, "MAX_TRIANGLES", 10)
    monkeypatch.setattr(meshes, "MAX_VERTICES", 3)
    refused(write(tmp_path, "v" + name, VALID[name]()), "3 ")


def test_limits_are_stated():
    assert meshes.MAX_TRIANGLES == 10_000_000 and meshes.MAX_VERTICES == 10_000_000
    assert meshes.MAX_MESH_FILE_BYTES == 1 << 30
    for name in ("MAX_TRIANGLES", "MAX_MESH_FILE_BYTES", "MAX_TEXTURE_PIXELS"):
        assert f"\n{name} = " in Path(meshes.__file__).read_text()


def test_file_size_limit_is_checked_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(meshes, "MAX_MESH_FILE_BYTES", 100)
    p = write(tmp_path, "big.obj", obj_text() + b"#" * 200)
    refused(p, "previs reads at most 100 bytes")


# ---------------------------------------------------------------- wrong, empty, odd text
@pytest.mark.parametrize("suffix", meshes.SUPPORTED_SUFFIXES)
def test_empty_and_wrong_magic(tmp_path, suffix):
    refused(write(tmp_path, f"empty{suffix}", b""), "empty")
    junk = random.Random(f"{SEED}{suffix}").randbytes(300) + MARKER.encode()
    verdict(write(tmp_path, f"junk{suffix}", junk))
    verdict(write(tmp_path, f"text{suffix}", f"hello {MARKER}\n".encode() * 10))


def test_wrong_magic_per_format(tmp_path):
    glb = bytearray(VALID["quad.glb"]())
    struct.pack_into("<I", glb, 4, 1)
    refused(write(tmp_path, "v1.glb", bytes(glb)), "version 1")
    refused(write(tmp_path, "notglb.glb", b"GLTF" + bytes(glb[4:])), "does not start with 'glTF'")
    refused(write(tmp_path, "plx.ply", b"plx" + ply_ascii()[3:]), "PLY")
    refused(write(tmp_path, "fmt.ply", ply_ascii().replace(b"ascii 1.0", b"ebcdic 1.0")), "ebcdic")
    refused(
        write(tmp_path, "v3.gltf", gltf_embedded(*gltf_doc()).replace(b'"2.0"', b'"3.0"')),
        "version",
    )


def test_zero_triangle_meshes(tmp_path):
    refused(write(tmp_path, "points.obj", obj_text(faces=[])), "no triangles")
    refused(write(tmp_path, "nofaces.ply", ply_ascii(faces=np.zeros((0, 3), int))), "no triangles")
    refused(write(tmp_path, "nofaces.stl", stl_binary(faces=np.zeros((0, 3), int))))
    refused(write(tmp_path, "noidx.glb", glb_bytes(*gltf_doc(idx=np.zeros((0, 3))))))


def test_non_utf8_text(tmp_path):
    # names and comments in Latin-1 are ordinary in old files: they load
    latin = obj_text(comment=f"caf\xe9 {MARKER}").replace("é".encode(), b"\xe9")
    assert verdict(write(tmp_path, "latin.obj", latin))[0] == "ok"
    stl = stl_ascii().replace(f"solid {MARKER}".encode(), b"solid caf\xe9")
    assert verdict(write(tmp_path, "latin.stl", stl))[0] == "ok"
    # a binary STL header from a CAD tool: arbitrary bytes
    cad = stl_binary(header=b"\xff\xfe\x80\x81 SolidWorks " + MARKER.encode())
    assert verdict(write(tmp_path, "cad.stl", cad))[0] == "ok"
    assert verdict(write(tmp_path, "solidbin.stl", stl_binary(header=b"solid x")))[0] == "ok"
    # glTF JSON must be UTF-8; a PLY header ASCII
    gltf = gltf_embedded(*gltf_doc()).replace(b'"quad"', b'"qu\xe9d"')
    refused(write(tmp_path, "latin.gltf", gltf), "UTF-8")
    refused(write(tmp_path, "latin.ply", ply_ascii().replace(b"comment", b"comment \xe9")), "ASCII")


def test_charset_normalizer_is_never_needed(tmp_path, monkeypatch):
    """trimesh imports charset_normalizer for text that is not UTF-8; previs decodes first."""
    monkeypatch.setitem(sys.modules, "charset_normalizer", None)  # as if not installed
    latin = obj_text(comment="caf\xe9").replace("é".encode(), b"\xe9")
    assert verdict(write(tmp_path, "latin.obj", latin))[0] == "ok"
    cad = stl_binary(header=b"\xff\xfe\x80\x81")
    assert verdict(write(tmp_path, "cad.stl", cad))[0] == "ok"
    msg = refused(write(tmp_path, "cut.stl", cad[:-7]))
    assert "needs" not in msg and "not installed" not in msg


def test_giant_lines(tmp_path):
    big = obj_text(comment=MARKER + "x" * 5_000_000)
    assert verdict(write(tmp_path, "longcomment.obj", big))[0] == "ok"
    fan = "f " + " ".join(["1 2 3 4"] * 50_000) + "\n"
    kind, _ = verdict(write(tmp_path, "fan.obj", obj_text() + fan.encode()))
    verdict(write(tmp_path, "oneline.obj", b"v " + b"1 " * 2_000_000))
    verdict(write(tmp_path, "deep.gltf", b"[" * 200_000 + b"]" * 200_000))


# ---------------------------------------------------------------- glTF structure
@pytest.mark.parametrize(
    "matrix",
    [
        np.diag([1.0, 0, 1, 1]),
        np.zeros((4, 4)),
        np.diag([1.0, np.nan, 1, 1]),
        np.diag([1e-300, 1, 1, 1]),
    ],
)
def test_singular_node_matrices(tmp_path, matrix):
    msg = refused(write(tmp_path, "m.glb", glb_bytes(*gltf_doc(matrix=matrix, node_name="lamp"))))
    assert "node 'lamp'" in msg


def test_mirroring_node_loads_with_flipped_winding(tmp_path):
    kind, asset = verdict(
        write(tmp_path, "mirror.glb", glb_bytes(*gltf_doc(matrix=np.diag([-1.0, 1, 1, 1]))))
    )
    assert kind == "ok"
    np.testing.assert_array_equal(asset.parts[0].indices[0], [2, 1, 0])


@pytest.mark.parametrize(
    "key,value,expect",
    [
        ("scale", [1, 0, 1], "zero scale"),
        ("scale", [1, "x", 1], "not 3 numbers"),
        ("rotation", [0, 0, 0, 0], "zero quaternion"),
        ("translation", [0, float("inf"), 0], "NaN or infinite"),
        ("children", [0], "its own ancestor"),
        ("children", [5], "child of node"),
        ("matrix", [1, 0, 0], "not 16 numbers"),
    ],
)
def test_bad_node_fields(tmp_path, key, value, expect):
    doc, blob = gltf_doc(node_name="lamp")
    doc["nodes"][0][key] = value
    refused(write(tmp_path, "n.glb", glb_bytes(doc, blob)), expect)


def test_control_characters_in_names_are_escaped(tmp_path):
    evil = "\x1b[2J\x1b]0;pwned\x07"
    msg = refused(
        write(tmp_path, "esc.glb", glb_bytes(*gltf_doc(matrix=np.zeros((4, 4)), node_name=evil)))
    )
    assert "\\x1b[2J" in msg and "\x1b" not in msg
    p = QUAD_POS.copy()
    p[0, 0] = np.nan
    msg = refused(write(tmp_path, "name\x1b[31m\n.obj", obj_text(p)))
    assert "\\x1b[31m\\n.obj" in msg


@pytest.mark.parametrize(
    "mutate,expect",
    [
        (lambda d: d["accessors"][0].update(componentType=1), "componentType"),
        (lambda d: d["accessors"][0].update(bufferView=99), "bufferView"),
        (lambda d: d["accessors"][0].update(count=-1), "count"),
        (lambda d: d["accessors"][0].update(count=1.5), "count"),
        (lambda d: d["bufferViews"][0].update(byteOffset=10**9), "past the end"),
        (lambda d: d["bufferViews"][0].update(byteLength=10**30), "past the end"),
        (lambda d: d["bufferViews"][0].update(byteLength=None), "byteLength is null"),
        (lambda d: d["buffers"][0].update(byteLength=10**6), "truncated"),
        (lambda d: d.update(accessors="x"), "not a list"),
        (lambda d: d["meshes"][0]["primitives"][0]["attributes"].update(POSITION=42), "glTF"),
        (lambda d: d["meshes"][0]["primitives"][0].update(mode=0), ""),
    ],
)
def test_broken_gltf_structure(tmp_path, mutate, expect):
    doc, blob = gltf_doc()
    mutate(doc)
    for name, data in (("s.glb", glb_bytes(doc, blob)), ("s.gltf", gltf_embedded(doc, blob))):
        kind, msg = verdict(write(tmp_path, name, data))
        if expect:
            assert kind == "refused" and expect in msg, msg


def test_glb_container_damage(tmp_path):
    good = VALID["quad.glb"]()
    longer = bytearray(good)
    struct.pack_into("<I", longer, 8, len(good) + 1000)
    refused(write(tmp_path, "len.glb", bytes(longer)), "truncated")
    chunk = bytearray(good)
    struct.pack_into("<I", chunk, 12, 10**6)
    refused(write(tmp_path, "chunk.glb", bytes(chunk)), "JSON chunk")
    refused(write(tmp_path, "head.glb", good[:16]), "header")


# ---------------------------------------------------------------- files a mesh refers to
def test_external_buffers(tmp_path):
    doc, blob = gltf_doc()
    folder = tmp_path / "asset"
    folder.mkdir()
    (folder / "quad.bin").write_bytes(blob)
    assert verdict(write(folder, "ok.gltf", gltf_external(doc, "quad.bin")))[0] == "ok"
    (folder / "my quad.bin").write_bytes(blob)
    assert verdict(write(folder, "pct.gltf", gltf_external(doc, "my%20quad.bin")))[0] == "ok"
    (tmp_path / "outside.bin").write_bytes(blob)
    os.symlink("/dev/zero", folder / "zero.bin")
    os.mkfifo(folder / "fifo.bin")
    (folder / "dir.bin").mkdir()
    cases = {
        "../outside.bin": "outside the mesh file's folder",
        "sub/../../outside.bin": "outside the mesh file's folder",
        "/dev/zero": "absolute path",
        "file:///dev/zero": "only relative file names",
        "http://example.com/x.bin": "only relative file names",
        "zero.bin": "character device",
        "fifo.bin": "FIFO",
        "dir.bin": "a directory",
        "missing.bin": "not found",
        "x" * 5000 + ".bin": "longer than the file system allows",
        "data:application/octet-stream;base64,@@@@": "not valid base64",
        "data:application/octet-stream,plain": "not base64",
        "data:application/octet-stream;base64,AAAA": "truncated",
    }
    for i, (uri, expect) in enumerate(cases.items()):
        refused(write(folder, f"b{i}.gltf", gltf_external(doc, uri)), "buffer 0", expect)


def test_textures(tmp_path):
    def glb(image):
        return glb_bytes(*gltf_doc(image=image))

    refused(
        write(tmp_path, "bomb.glb", glb(png_bytes(100_000, 100_000, body=False))), "image 0", "Mpx"
    )
    refused(write(tmp_path, "wide.glb", glb(png_bytes(20_000, 2, body=False))), "20,000 x 2")
    refused(write(tmp_path, "big.glb", glb(png_bytes(9000, 9000, body=False))), "64 Mpx")
    refused(write(tmp_path, "stub.glb", glb(png_bytes(64, 64, body=False))), "damaged")
    refused(write(tmp_path, "junk.glb", glb(MARKER.encode() * 4)), "not an image")
    refused(write(tmp_path, "cut.glb", glb(png_bytes(8, 8)[:40])))


def test_obj_material_library_and_textures(tmp_path):
    folder = tmp_path / "obj"
    folder.mkdir()
    uv = b"vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\n"
    body = obj_text().replace(b"f 1 2 3\nf 1 3 4", b"usemtl m\nf 1/1 2/2 3/3\nf 1/1 3/3 4/4")

    def obj(name: str, mtl: str, mtl_text: bytes | None) -> Path:
        if mtl_text is not None:
            (folder / mtl).write_bytes(mtl_text)
        return write(folder, name, f"mtllib {mtl}\n".encode() + uv + body)

    (folder / "tex.png").write_bytes(png_bytes(4, 4))
    kind, asset = verdict(obj("ok.obj", "ok.mtl", b"newmtl m\nmap_Kd tex.png\n"))
    assert kind == "ok" and asset.parts[0].material.base_color_texture is not None
    # a Latin-1 material library (a comment) still gives its texture, without charset_normalizer
    latin = b"# caf\xe9\nnewmtl m\nKd 1 0 0\nmap_Kd tex.png\n"
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "charset_normalizer", None)
        kind, asset = verdict(obj("latin.obj", "latin.mtl", latin))
    assert kind == "ok" and asset.parts[0].material.base_color_texture is not None
    (folder / "bomb.png").write_bytes(png_bytes(100_000, 100_000, body=False))
    refused(obj("bomb.obj", "bomb.mtl", b"newmtl m\nmap_Kd bomb.png\n"), "bomb.png", "Mpx")
    os.mkfifo(folder / "fifo.mtl")
    refused(obj("fifo.obj", "fifo.mtl", None), "FIFO")
    refused(obj("up.obj", "../../etc/passwd", None), "outside")


# ---------------------------------------------------------------- special files
def test_special_files(tmp_path):
    os.mkfifo(tmp_path / "fifo.obj")
    refused(tmp_path / "fifo.obj", "FIFO")
    os.symlink("/dev/zero", tmp_path / "zero.glb")
    refused(tmp_path / "zero.glb", "character device")
    (tmp_path / "dir.ply").mkdir()
    refused(tmp_path / "dir.ply", "a directory")
    os.symlink(tmp_path / "gone.stl", tmp_path / "dangling.stl")
    refused(tmp_path / "dangling.stl", "not found")
    long = tmp_path / ("a" * 300) / "b.obj"
    msg = refused(long, "longer than the file system allows")
    assert len(msg) < 400
    os.symlink("loop2.obj", tmp_path / "loop1.obj")
    os.symlink("loop1.obj", tmp_path / "loop2.obj")
    verdict(tmp_path / "loop1.obj")
    refused(tmp_path / "nul\x00.obj")


# ---------------------------------------------------------------- through the scene and the CLI
SCENE = """\
format_version: 1
name: hostile
frame_rate: 24
camera:
  body: alexa-35
  mode: 4.6k-3-2-og
  lens_kit: arri-signature-prime
shots:
  - id: 1A
    scene: 1
    length_frames: 24
    camera:
      position_m: [0, 1.6, 5]
      look_at_m: [0, 1.5, 0]
      focal_length_mm: 35
set:
  - name: prop
    type: mesh
    path: {path}
"""


def _scene(folder: Path, mesh: str) -> Path:
    p = folder / "scene.yaml"
    p.write_text(SCENE.format(path=json.dumps(mesh)))
    return p


HOSTILE_FOR_SCENE = {
    "nan.obj": lambda: _nan_files(float("nan"))["bad.obj"],
    "past.glb": lambda: glb_bytes(*gltf_doc(idx=[[0, 1, 9]])),
    "header.ply": lambda: ply_binary(vertex_count=2**40),
    "cut.stl": lambda: stl_binary()[:-10],
    "sing.glb": lambda: glb_bytes(*gltf_doc(matrix=np.zeros((4, 4)))),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FOR_SCENE))
def test_through_the_scene_loader_and_cli(tmp_path, capsys, name):
    from previs.cli import main
    from previs.errors import SceneError
    from previs.io.scene_file import load_scene

    write(tmp_path, name, HOSTILE_FOR_SCENE[name]())
    scene = _scene(tmp_path, name)
    with pytest.raises(SceneError) as info:
        load_scene(scene)
    msg = str(info.value)
    assert f"cannot load mesh '{name}'" in msg and "set[0].path" in msg and ":19:" in msg, msg
    assert msg.count(str(tmp_path / name)) == 0 and MARKER not in msg  # named once, as written
    capsys.readouterr()
    assert main(["info", str(scene)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("previs: ") and MARKER not in err, err
    assert name in err


@pytest.mark.parametrize("kind", ["fifo", "devzero", "toolong"])
def test_special_files_through_the_scene_loader(tmp_path, kind):
    """Needs scene_file._asset_path to let load_asset judge the path (see issue 14's mesh part);
    until then the scene loader calls a FIFO a directory and a too-long path raises OSError."""
    from previs.io.scene_file import load_scene

    if kind == "fifo":
        os.mkfifo(tmp_path / "f.obj")
        mesh, expect = "f.obj", "FIFO"
    elif kind == "devzero":
        os.symlink("/dev/zero", tmp_path / "z.glb")
        mesh, expect = "z.glb", "character device"
    else:
        mesh, expect = "d" * 300 + "/m.obj", "longer than the file system allows"
    with pytest.raises(PrevisError) as info:
        load_scene(_scene(tmp_path, mesh))
    msg = str(info.value)
    assert expect in msg, msg
    assert "\n" not in msg
