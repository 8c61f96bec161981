"""Load-to-first-frame of USD sets against the same triangles saved as one GLB (issue 18).

For each case (the USD Mini Car Kit's vehicle, the intent-vfx teapot layout of 1,000 teapots)
the USD file is loaded through previs.io.usd and rendered once; its triangles, UVs, materials and
textures are written to one GLB (trimesh) and that is loaded through previs.io.meshes and rendered
once. Caches are cleared
between runs; the median of ``--runs`` runs is printed with the machine, the GL renderer and the
date. Not a test: nothing here asserts a timing.

    .venv/bin/python bench/usd_load.py [--runs 5] [--width 640]
"""

from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ASSETS = Path(__file__).resolve().parents[2] / "shared" / "assets" / "usd"
CASES = {
    "vehicle kit (sedan)": (
        ASSETS / "full_assets/Vehicles/USD_Mini_Car_Kit/assets/vehicles/vehicleVariants.usda",
        {"wheels": "sedan"},
    ),
    "teapot layout (intent-vfx)": (ASSETS / "intent-vfx/scenes/teapotScene_layout.usd", None),
}


def _as_glb(asset, out: Path) -> None:
    """The asset's triangles, UVs and metallic-roughness materials with their textures as one
    GLB: the same work for the first frame (texture decode and upload included) as the USD."""
    import trimesh
    from PIL import Image
    from trimesh.visual.material import PBRMaterial

    def image(tex):
        if tex is None:
            return None
        return Image.fromarray(np.ascontiguousarray(tex.rgba[::-1]), "RGBA")  # rows top-down

    scene = trimesh.Scene()
    for i, p in enumerate(asset.parts):
        mat = p.material
        pbr = PBRMaterial(
            baseColorFactor=[float(c) for c in mat.base_color],
            metallicFactor=float(mat.metallic),
            roughnessFactor=float(mat.roughness),
            emissiveFactor=[float(c) for c in mat.emissive],
            baseColorTexture=image(mat.base_color_texture),
            metallicRoughnessTexture=image(mat.metallic_roughness_texture),
            normalTexture=image(mat.normal_texture),
            emissiveTexture=image(mat.emissive_texture),
            occlusionTexture=image(mat.occlusion_texture),
            doubleSided=bool(mat.double_sided),
        )
        visual = trimesh.visual.TextureVisuals(uv=p.uvs, material=pbr)
        m = trimesh.Trimesh(
            p.positions, p.indices, vertex_normals=p.normals, visual=visual, process=False
        )
        scene.add_geometry(m, node_name=f"part{i}", geom_name=f"part{i}")
    out.write_bytes(scene.export(file_type="glb"))


def _first_frame(scene_yaml: Path) -> float:
    from previs import api
    from previs.io import meshes
    from previs.io.scene_file import load_scene

    meshes._load_asset_cached.cache_clear()
    meshes._load_usd_cached.cache_clear()
    t0 = time.perf_counter()
    scene = load_scene(scene_yaml)
    state = api.evaluate(scene, scene.shots[0], 0)
    with api.StageRenderer(scene, width=_first_frame.width, shadows=False) as r:
        r.render(state, read_depth=False)
        _first_frame.gl = (getattr(getattr(r, "ctx", None), "info", {}) or {}).get(
            "GL_RENDERER", "?"
        )
    return time.perf_counter() - t0


def _load_only(path: Path, variants) -> float:
    from previs.io import meshes

    meshes._load_asset_cached.cache_clear()
    meshes._load_usd_cached.cache_clear()
    t0 = time.perf_counter()
    meshes.load_asset(path, variants=variants)
    return time.perf_counter() - t0


_first_frame.width = 640
_first_frame.gl = "?"

SCENE = """format_version: 1
name: bench
frame_rate: 24
set:
  - {{name: set, type: mesh, path: "{path}"{extra}}}
camera: {{body: alexa-35, lens_kit: cooke-s4i}}
shots:
  - {{id: "1", scene: 1, length_frames: 1,
     camera: {{position_m: [0, 3, 30], look_at_m: [0, 0, 0], focal_length_mm: 25}}}}
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--width", type=int, default=640)
    args = ap.parse_args()
    if not ASSETS.is_dir():
        print(f"no USD assets at {ASSETS}", file=sys.stderr)
        return 1
    _first_frame.width = args.width
    from previs.io.meshes import load_asset

    print(
        f"{platform.node()} {platform.machine()} {platform.processor() or ''} "
        f"Python {platform.python_version()} {datetime.datetime.now():%Y-%m-%d %H:%M}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name, (usd, variants) in CASES.items():
            asset = load_asset(usd, variants=variants)
            glb = Path(tmp) / f"{usd.stem}.glb"
            _as_glb(asset, glb)
            extra = (
                ""
                if not variants
                else ", variants: {" + ", ".join(f"{k}: {v}" for k, v in variants.items()) + "}"
            )
            files = {}
            for kind, path, ex in (("usd", usd, extra), ("glb", glb, "")):
                files[kind] = Path(tmp) / f"{usd.stem}_{kind}.yaml"
                files[kind].write_text(SCENE.format(path=path, extra=ex))
            times = {k: [] for k in files}
            loads = {k: [] for k in files}
            for _ in range(args.runs):
                for k, f in files.items():  # interleaved: drift hits both alike
                    times[k].append(_first_frame(f))
                    loads[k].append(
                        _load_only(usd if k == "usd" else glb, variants if k == "usd" else None)
                    )
            med = {k: statistics.median(v) for k, v in times.items()}
            lmed = {k: statistics.median(v) for k, v in loads.items()}
            print(
                f"{name}: load only: USD {lmed['usd']:.3f} s, GLB {lmed['glb']:.3f} s "
                "(the GLB holds the same triangles, UVs, materials and textures)"
            )
            print(
                f"{name}: {asset.triangle_count:,} triangles, {len(asset.parts)} parts; "
                f"median of {args.runs}: USD {med['usd']:.3f} s, GLB {med['glb']:.3f} s, "
                f"USD/GLB {med['usd'] / med['glb']:.2f}  [{_first_frame.gl}]"
            )
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
