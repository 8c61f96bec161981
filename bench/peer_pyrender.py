"""The peer side of the benchmark: pyrender 0.1.45 renders the bench set.

Run in bench/.venv-pyrender (``bash bench/setup_peer.sh``) with ``PYOPENGL_PLATFORM=egl``:

    PYOPENGL_PLATFORM=egl bench/.venv-pyrender/bin/python bench/peer_pyrender.py --width 1280 \
        --height 720 --shadows off --frames 10

Prints one JSON line: ``load_to_first_frame_s`` (first model file read -> first colour + depth
frame in numpy) and ``steady_fps`` (after the warm-up frames, frames moving along the arc, colour
RGB uint8 and depth float32 read back every frame).
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

import numpy as np  # noqa: E402
import pyrender  # noqa: E402
import set as bench_set  # noqa: E402  (bench/set.py, beside this file)
import trimesh  # noqa: E402

# SHADOWS_ALL less SHADOWS_POINT: the same shadow work for this set, which has no point light.
# SHADOWS_POINT only adds point-light samplerCube uniforms that nothing binds, left on texture unit 0
# beside the sampler2D there, which Mesa rejects (glValidateProgram after linking: "active samplers
# with a different type refer to the same texture image unit"; GL_INVALID_OPERATION on drawing).
SHADOWS = pyrender.RenderFlags.SHADOWS_DIRECTIONAL | pyrender.RenderFlags.SHADOWS_SPOT


def load_meshes(path) -> list[tuple[pyrender.Mesh, np.ndarray]]:
    """The asset's scene graph flattened: (mesh, asset_from_mesh) per drawn geometry instance."""
    scene = trimesh.load(str(path), force="scene")
    built: dict[str, pyrender.Mesh] = {}
    out = []
    for node in scene.graph.nodes_geometry:
        transform, geom_name = scene.graph[node]
        geom = scene.geometry[geom_name]
        if not isinstance(geom, trimesh.Trimesh) or len(geom.faces) == 0:
            continue
        if geom_name not in built:
            built[geom_name] = pyrender.Mesh.from_trimesh(geom)
        out.append((built[geom_name], np.asarray(transform, dtype=np.float64)))
    return out


def triangles_of(mesh: pyrender.Mesh) -> int:
    n = 0
    for prim in mesh.primitives:
        if prim.indices is not None:
            n += len(prim.indices)
        else:
            n += len(prim.positions) // 3
    return n


def build_scene(s: bench_set.BenchSet, shadows: bool):
    scene = pyrender.Scene(bg_color=(0.0, 0.0, 0.0, 1.0), ambient_light=(0.0, 0.0, 0.0))
    cache: dict = {}  # each model file is read and uploaded once, however often it is placed
    triangles = 0
    for item in s.items:
        if item.asset not in cache:
            cache[item.asset] = load_meshes(item.asset)
        for mesh, asset_from_mesh in cache[item.asset]:
            scene.add(mesh, pose=item.world_from_asset @ asset_from_mesh)
            triangles += triangles_of(mesh)
    for i, li in enumerate(s.lights):
        if li.type == "spot":
            light = pyrender.SpotLight(
                color=np.asarray(li.color),
                intensity=li.intensity,
                innerConeAngle=np.radians(li.inner_cone_deg),
                outerConeAngle=np.radians(li.outer_cone_deg),
                name=f"spot{i}",
            )
            pose = bench_set.pose_along(li.direction, li.position)
        else:
            light = pyrender.DirectionalLight(
                color=np.asarray(li.color), intensity=li.intensity, name=f"sun{i}"
            )
            pose = bench_set.pose_along(li.direction)
        scene.add(light, pose=pose)
    camera = pyrender.PerspectiveCamera(yfov=s.yfov_rad, znear=s.znear, zfar=s.zfar)
    cam_node = scene.add(camera, pose=s.arc.world_from_camera(0, 2))
    return scene, cam_node, triangles


def main(argv=None) -> int:
    args = bench_set.side_parser(__doc__.splitlines()[0]).parse_args(argv)
    base = {
        "side": "pyrender",
        "version": pyrender.__version__,
        "width": args.width,
        "height": args.height,
        "shadows": args.shadows == "on",
        "frames": args.frames,
    }
    reason = bench_set.missing_reason(args.set_path)
    if reason:
        bench_set.emit({**base, "skipped": reason})
        return 0
    s = bench_set.load_set(args.set_path)
    shadows = args.shadows == "on"
    flags = SHADOWS if shadows else pyrender.RenderFlags.NONE
    n = args.frames

    def render(i: int) -> tuple[np.ndarray, np.ndarray]:
        scene.set_pose(cam_node, s.arc.world_from_camera(i, n))
        color, depth = renderer.render(scene, flags=flags)
        return color, depth

    # ---- load -> first frame: file reads, scene build, context, upload, shaders, first render
    t0 = time.perf_counter()
    scene, cam_node, triangles = build_scene(s, shadows)
    renderer = pyrender.OffscreenRenderer(args.width, args.height)
    color, depth = render(0)
    load_s = time.perf_counter() - t0

    from OpenGL.GL import GL_RENDERER, GL_VERSION, glGetString

    gl_renderer = glGetString(GL_RENDERER).decode(errors="replace")
    gl_version = glGetString(GL_VERSION).decode(errors="replace")
    first = bench_set.frame_stats(color, depth, empty_depth=0.0)
    if args.save_first:
        from PIL import Image

        Image.fromarray(color).save(args.save_first)

    # ---- steady state
    for i in range(args.warmup):
        render(i % n)
    t1 = time.perf_counter()
    for i in range(n):
        color, depth = render(i)
        assert color.dtype == np.uint8 and color.shape[2] == 3 and depth.dtype == np.float32
    steady_s = time.perf_counter() - t1
    renderer.delete()

    bench_set.emit(
        {
            **base,
            "gl_renderer": gl_renderer,
            "gl_version": gl_version,
            "numpy": np.__version__,
            "trimesh": trimesh.__version__,
            "render_flags": int(flags),
            "triangles": triangles,
            "load_to_first_frame_s": round(load_s, 4),
            "steady_fps": round(n / steady_s, 4),
            "steady_s": round(steady_s, 4),
            "first_frame": first,
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
