"""USD sets through usd-core: the USD working group's test assets (read in place from
../shared/assets/usd) land at the size, place and orientation their files document; hostile
files are one line naming them; a USD set piece renders."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pxr", reason="usd-core is not installed")

from previs.errors import AssetError  # noqa: E402
from previs.io.meshes import load_asset  # noqa: E402
from previs.io.usd import (  # noqa: E402
    UsdAsset,
    light_intensity,
    triangulate,
    usd_lights_and_cameras,
)

ASSETS = Path(__file__).resolve().parents[2] / "shared" / "assets" / "usd"
needs_assets = pytest.mark.skipif(
    not ASSETS.is_dir(),
    reason=f"the USD working-group assets are not at {ASSETS} (they are "
    "read in place from the shared folder, never copied into the repository)",
)
STAGE = ASSETS / "test_assets" / "foundation" / "stage_configuration"
GEOM = ASSETS / "test_assets" / "schemaTests" / "usdGeom"
CM = 0.01  # metersPerUnit of the test assets


def _all(asset):
    pos = np.concatenate([p.positions for p in asset.parts]).astype(np.float64)
    nrm = np.concatenate([p.normals for p in asset.parts]).astype(np.float64)
    col = np.concatenate([p.colors for p in asset.parts]).astype(np.float64)
    return pos, nrm, col


def _axis_centres(asset) -> dict[str, np.ndarray]:
    """The centres of the axis marker's red, green and blue cubes (X, Y, Z in the file)."""
    pos, _, col = _all(asset)
    out = {}
    for name, rgb in (("X", (1, 0, 0)), ("Y", (0, 1, 0)), ("Z", (0, 0, 1))):
        sel = np.all(np.abs(col[:, :3] - rgb) < 1e-6, axis=1)
        assert sel.any(), name
        out[name] = (pos[sel].min(axis=0) + pos[sel].max(axis=0)) / 2
    return out


# ---------------------------------------------------------------- stage configuration
# _common/axis.usda: three Cube gprims (size 2) scaled 1 x 0.1 x 0.1 along their axis and moved
# 1.1 along it: each spans 0.1 .. 2.1 units, centred 1.1 units out, in centimetres.
@needs_assets
@pytest.mark.parametrize(
    "name, expect",
    [
        ("upAxis_Y", {"X": (1, 0, 0), "Y": (0, 1, 0), "Z": (0, 0, 1)}),
        # Z up: the file's +Z (blue) is the sky, so it points +Y; its +Y points away, -Z
        ("upAxis_Z", {"X": (1, 0, 0), "Y": (0, 0, -1), "Z": (0, 1, 0)}),
        # X up: the file's +X (red) points +Y; its +Y points -X (a right-handed turn about Z)
        ("upAxis_X", {"X": (0, 1, 0), "Y": (-1, 0, 0), "Z": (0, 0, 1)}),
    ],
)
def test_up_axis_turns_the_marker(name, expect):
    asset = load_asset(STAGE / "upAxis" / f"{name}.usda")
    assert isinstance(asset, UsdAsset)
    assert asset.source_meta["up_axis"] == name.split("_")[1]
    assert asset.source_meta["meters_per_unit"] == CM
    centres = _axis_centres(asset)
    for axis, direction in expect.items():
        np.testing.assert_allclose(centres[axis], 1.1 * CM * np.asarray(direction), atol=1e-7)
    ext = asset.bounds_max - asset.bounds_min
    np.testing.assert_allclose(ext, [2.2 * CM] * 3, atol=1e-7)  # -0.1 .. 2.1 units each way


@needs_assets
def test_invalid_up_axis_reads_as_y_with_a_warning():
    asset = load_asset(STAGE / "upAxis" / "upAxis_invalid.usda")
    assert asset.source_meta["up_axis"] == "invalid"
    assert any("upAxis 'invalid'" in w for w in asset.warnings)
    c = _axis_centres(asset)
    np.testing.assert_allclose(c["Y"], [0, 1.1 * CM, 0], atol=1e-7)


@needs_assets
def test_meters_per_unit_scales_to_metres():
    # metersPerUnit = 10: the default Cube (size 2) is 20 m across; the marker's X arm 11 m out
    asset = load_asset(STAGE / "metersPerUnit" / "metersPerUnit_10.usda")
    assert asset.source_meta["meters_per_unit"] == 10.0
    np.testing.assert_allclose(asset.bounds_min, [-10, -10, -10], atol=1e-5)
    np.testing.assert_allclose(asset.bounds_max, [21, 21, 21], atol=1e-5)
    np.testing.assert_allclose(_axis_centres(asset)["X"], [11, 0, 0], atol=1e-5)
    one = load_asset(STAGE / "metersPerUnit" / "metersPerUnit_1.usda")
    np.testing.assert_allclose(one.bounds_min, [-1, -1, -1], atol=1e-6)


@needs_assets
def test_meters_per_unit_mix_uses_the_root_layer_only():
    # upstream README: USD does not rescale sublayers with other metersPerUnit, so the three
    # cubes (at x = 0, 3, 6 units) are the same size: 2 units of the root's 100 m
    asset = load_asset(STAGE / "metersPerUnit" / "metersPerUnit_mix.usda")
    assert asset.source_meta["meters_per_unit"] == 100.0
    pos, _, col = _all(asset)
    grey = np.all(np.abs(col[:, :3] - 1.0) < 1e-6, axis=1)  # the cubes have no displayColor
    cubes = pos[grey]
    for x in (0, 300, 600):
        near = cubes[np.abs(cubes[:, 0] - x) <= 100 + 1e-3]
        np.testing.assert_allclose(near.max(axis=0) - near.min(axis=0), [200] * 3, atol=1e-3)


# ---------------------------------------------------------------- meshes
@needs_assets
@pytest.mark.parametrize(
    "rel, triangles",
    [
        ("triangled_mesh/triangles.usda", 12),
        ("quad_mesh/quads.usda", 12),
        ("mixed_faceVertexCounts/mixed.usda", 2 + 10),
        ("5_face/5_face.usda", 5 * 2 + 3),  # five quads and a pentagon
        ("subdiv_none/subdiv_none.usda", 12),
    ],
)
def test_mesh_triangle_counts(rel, triangles):
    asset = load_asset(GEOM / "meshes" / rel)
    assert asset.triangle_count == triangles
    pos, nrm, _ = _all(asset)
    assert np.isfinite(nrm).all()
    np.testing.assert_allclose(np.linalg.norm(nrm, axis=1), 1, atol=1e-5)


@needs_assets
@pytest.mark.parametrize(
    "rel", ["quad_mesh/quads.usda", "subdiv_none/subdiv_none.usda", "triangled_mesh/triangles.usda"]
)
def test_closed_meshes_face_outwards(rel):
    """The cube meshes wind counter-clockwise seen from outside: every triangle's geometric
    normal and every vertex normal point away from the centre."""
    asset = load_asset(GEOM / "meshes" / rel)
    for part in asset.parts:
        p = part.positions.astype(np.float64)
        c = (asset.bounds_min + asset.bounds_max) / 2
        t = p[part.indices]
        face_n = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
        assert (np.einsum("ij,ij->i", face_n, t.mean(axis=1) - c) > 0).all()
        assert (np.einsum("ij,ij->i", part.normals, p - c) > 0).all()


@needs_assets
def test_normals_of_every_type_are_finite_and_unit():
    asset = load_asset(GEOM / "meshes" / "normals_types" / "normalsTypes.usda")
    assert asset.triangle_count == 17 * 12  # 17 cubes of 6 quads, ints and doubles included
    _, nrm, _ = _all(asset)
    assert np.isfinite(nrm).all()
    np.testing.assert_allclose(np.linalg.norm(nrm, axis=1), 1, atol=1e-5)
    # faceVarying normals are axis-aligned: every normal is one of the six directions
    assert (np.abs(nrm).max(axis=1) > 0.999).mean() > 0.5


@needs_assets
def test_single_and_double_sided():
    single = load_asset(GEOM / "meshes" / "singleSided" / "singleSided.usda")
    pos, nrm, _ = _all(single)
    left = pos[:, 0] < -1e-6  # Plane_0 winds counter-clockwise seen from +Z, Plane_1 clockwise
    right = pos[:, 0] > 1e-6
    np.testing.assert_allclose(nrm[left], [[0, 0, 1]] * left.sum(), atol=1e-6)
    np.testing.assert_allclose(nrm[right], [[0, 0, -1]] * right.sum(), atol=1e-6)
    assert not any(p.material.double_sided for p in single.parts)
    double = load_asset(GEOM / "meshes" / "doubleSided" / "doubleSided_quad.usda")
    assert all(p.material.double_sided for p in double.parts)


def test_left_handed_flips_the_winding(tmp_path):
    quad = """
def Mesh "m" {{
    uniform token orientation = "{o}"
    uniform token subdivisionScheme = "none"
    int[] faceVertexCounts = [4]
    int[] faceVertexIndices = [0, 1, 2, 3]
    point3f[] points = [(0, 0, 0), (0, 1, 0), (1, 1, 0), (1, 0, 0)]
}}"""
    normals = {}
    for o in ("rightHanded", "leftHanded"):
        f = tmp_path / f"{o}.usda"
        f.write_text('#usda 1.0\n(\n metersPerUnit = 1\n upAxis = "Y"\n)\n' + quad.format(o=o))
        a = load_asset(f)
        part = a.parts[0]
        t = part.positions[part.indices].astype(np.float64)
        geo = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
        normals[o] = geo / np.linalg.norm(geo, axis=1, keepdims=True)
        np.testing.assert_allclose(
            part.normals, np.repeat(normals[o][:1], 4, axis=0), atol=1e-6
        )  # computed normals follow the winding
    # clockwise seen from +Z: right-handed faces -Z, left-handed faces +Z
    np.testing.assert_allclose(normals["rightHanded"], [[0, 0, -1]] * 2, atol=1e-9)
    np.testing.assert_allclose(normals["leftHanded"], [[0, 0, 1]] * 2, atol=1e-9)


@needs_assets
def test_empty_mesh_is_one_line():
    with pytest.raises(AssetError) as info:
        load_asset(GEOM / "meshes" / "empty_mesh" / "empty.usda")
    msg = str(info.value)
    assert "empty.usda" in msg and "no triangles to draw" in msg and "\n" not in msg


@needs_assets
def test_subdivision_surfaces_warn_that_the_cage_is_drawn():
    asset = load_asset(GEOM / "meshes" / "subdiv_catmullClark" / "subdiv_catmullClark.usda")
    assert asset.triangle_count == 12
    assert any("control cage" in w and "catmullClark" in w for w in asset.warnings)
    assert not load_asset(GEOM / "meshes" / "subdiv_none" / "subdiv_none.usda").warnings


def test_concave_polygons_are_ear_clipped():
    # an L-shaped hexagon: a fan from corner 0 would cover the notch
    pts = np.array([[0, 0, 0], [2, 0, 0], [2, 1, 0], [1, 1, 0], [1, 2, 0], [0, 2, 0.0]])
    tris, faces = triangulate(np.array([6]), np.arange(6), pts)
    assert len(tris) == 4 and (faces == 0).all()
    t = pts[tris]
    area = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])[:, 2] / 2
    assert (area > 0).all() and area.sum() == pytest.approx(3.0)  # same winding, the L's area
    centroids = t.mean(axis=1)
    assert not ((centroids[:, 0] > 1) & (centroids[:, 1] > 1)).any()  # nothing in the notch


# ---------------------------------------------------------------- primitives
@needs_assets
@pytest.mark.parametrize(
    "name, size",
    [
        ("cube", (2, 2, 2)),  # size 2
        ("sphere", (2, 2, 2)),  # radius 1
        ("cylinder", (2, 2, 2)),  # radius 1, height 2, axis Z
        ("cone", (2, 2, 2)),  # radius 1, height 2, axis Z
        ("capsule", (1, 1, 2)),  # radius 0.5, height 1 + two caps, axis Z
    ],
)
def test_primitive_bounds_equal_their_documented_size(name, size):
    asset = load_asset(GEOM / "primitives" / f"{name}.usda")
    ext = (asset.bounds_max - asset.bounds_min) / CM
    np.testing.assert_allclose(ext, size, rtol=0.01)
    centre = (asset.bounds_max + asset.bounds_min) / 2 / CM
    np.testing.assert_allclose(centre, 0, atol=0.01 * max(size))
    _, nrm, _ = _all(asset)
    assert np.isfinite(nrm).all()


@needs_assets
def test_cone_apex_is_up_its_axis():
    asset = load_asset(GEOM / "primitives" / "cone.usda")
    pos, _, _ = _all(asset)
    apex = pos[np.argmax(pos[:, 2])]
    np.testing.assert_allclose(apex / CM, [0, 0, 1], atol=1e-5)  # axis Z: apex at +height/2


@needs_assets
def test_all_primitives_in_a_row():
    asset = load_asset(GEOM / "primitives" / "all_primitives.usda")
    # capsule at x = 0 (radius 0.5) ... sphere at x = 8 (radius 1)
    np.testing.assert_allclose(asset.bounds_min / CM, [-0.5, -1, -1], atol=0.01)
    np.testing.assert_allclose(asset.bounds_max / CM, [9, 1, 1], atol=0.01)


# ---------------------------------------------------------------- transforms
@needs_assets
def test_nested_xforms_add_up():
    # A (1, 2, 3) > B (0.1, 0.2, 0.3) > C (0.01, 0.02, 0.03) > Cube (size 2), beside the marker
    asset = load_asset(GEOM / "transforms" / "xforms_nested.usda")
    pos, _, col = _all(asset)
    grey = np.all(np.abs(col[:, :3] - 1) < 1e-6, axis=1)
    cube = pos[grey]
    np.testing.assert_allclose(
        (cube.min(axis=0) + cube.max(axis=0)) / 2 / CM, [1.11, 2.22, 3.33], atol=1e-5
    )
    np.testing.assert_allclose((cube.max(axis=0) - cube.min(axis=0)) / CM, [2, 2, 2], atol=1e-5)


@needs_assets
@pytest.mark.parametrize(
    "name",
    ["simple_transform", "complex_transform", "matrix_transform", "scopes_and_xforms_nested"],
)
def test_transform_files_match_usd_own_world_bounds(name):
    """Our baked triangles against usd-core's own world bounding box of the same stage."""
    from pxr import Usd, UsdGeom

    f = GEOM / "transforms" / f"{name}.usda"
    asset = load_asset(f)
    stage = Usd.Stage.Open(str(f))
    box = (
        UsdGeom.BBoxCache(Usd.TimeCode.EarliestTime(), ["default", "render"])
        .ComputeWorldBound(stage.GetPseudoRoot())
        .ComputeAlignedRange()
    )
    np.testing.assert_allclose(asset.bounds_min, np.array(box.GetMin()) * CM, atol=1e-5)
    np.testing.assert_allclose(asset.bounds_max, np.array(box.GetMax()) * CM, atol=1e-5)


# ---------------------------------------------------------------- kits, variants, payloads
KIT = ASSETS / "full_assets" / "Vehicles" / "USD_Mini_Car_Kit" / "assets" / "vehicles"


@needs_assets
def test_vehicle_kit_variants_choose_the_vehicle():
    path = KIT / "vehicleVariants.usda"
    tractor = load_asset(path)  # the file's own selection
    sedan = load_asset(path, variants={"wheels": "sedan"})
    formula = load_asset(path, variants={"wheels": "formula"})
    assert tractor.source_meta["variants"] == {} and sedan.source_meta["variants"] == {
        "wheels": "sedan"
    }
    counts = {tractor.triangle_count, sedan.triangle_count, formula.triangle_count}
    assert len(counts) == 3  # three different vehicles
    assert not np.allclose(sedan.bounds_max, formula.bounds_max)
    # the kit is modelled in centimetres but declares metersPerUnit = 1: we honour the file
    # (a scene file says `units: cm` for it); the sedan is ~400 units long
    assert 300 < sedan.bounds_max[2] - sedan.bounds_min[2] < 500
    keys = {p.material.key for p in sedan.parts}
    assert all("wheels=sedan" in k for k in keys)  # the GPU cache tells selections apart


@needs_assets
def test_unknown_variant_set_or_selection_is_one_line():
    path = KIT / "vehicleVariants.usda"
    with pytest.raises(
        AssetError,
        match=r"variant set 'colour' is not in this file \(it has: "
        r"wheels\)",
    ):
        load_asset(path, variants={"colour": "red"})
    with pytest.raises(
        AssetError,
        match=r"variant set 'wheels' has no variant 'bus' \(choose "
        r"from: 4wd, .*sedan",
    ):
        load_asset(path, variants={"wheels": "bus"})


@needs_assets
def test_sedan_wheels_variant_swaps_all_four():
    path = KIT / "sedan" / "asset" / "sedanFullAsset.usda"
    normal = load_asset(path)
    wide = load_asset(path, variants={"wheels": "wheelWide"})
    assert wide.triangle_count - normal.triangle_count == 4 * 96  # four wider wheels
    assert wide.bounds_max[0] > normal.bounds_max[0] + 20  # wider track
    # the same look on four wheels is one material: parts merge per look, not per wheel
    assert len(normal.parts) == len({p.material.key for p in normal.parts}) <= 7


@needs_assets
def test_teapot_payload_material_and_texture():
    teapot = ASSETS / "full_assets" / "Teapot" / "Teapot.usd"
    utah = load_asset(teapot)  # geometry arrives through a payload: it must be loaded
    assert utah.triangle_count > 1000
    (part,) = utah.parts
    # shadingVariant CeramicLimeGreen: diffuseColor reads displayColor; roughness 0.125
    assert part.material.roughness == pytest.approx(0.125)
    assert part.material.base_color[:3] == (1.0, 1.0, 1.0)
    np.testing.assert_allclose(part.colors[0, :3], [0.325, 0.825, 0.0], atol=1e-3)
    fancy = load_asset(teapot, variants={"modelVariant": "Fancy"})
    (part,) = fancy.parts
    m = part.material
    assert m.base_color_texture is not None and m.base_color_texture.rgba.shape == (2048, 2048, 4)
    mr = m.metallic_roughness_texture
    assert mr is not None and mr.rgba.shape == (2048, 2048, 4)
    assert m.occlusion_texture is not None
    # the 'arm' texture: R occlusion, G roughness, B metallic -> glTF's G roughness, B metallic
    assert (m.metallic, m.roughness) == (1.0, 1.0)
    assert 0.0 <= part.uvs.min() and part.uvs.max() <= 1.0
    assert fancy.triangle_count != utah.triangle_count


@needs_assets
def test_missing_layer_warns_and_the_rest_loads():
    scene = ASSETS / "intent-vfx" / "scenes" / "teapotScene.usd"
    asset = load_asset(scene)
    missing = [w for w in asset.warnings if "teapot_animCycle.usd" in w]
    assert len(missing) == 1 and missing[0].startswith("missing layer")
    # 1,000 Utah teapots (494 native instances and PointInstancer copies, each its cage)
    assert asset.triangle_count == 1000 * 2472
    assert len(asset.parts) < 200  # merged per material, not one part per teapot and subset
    assert asset.bounds_max[1] == pytest.approx(0.3, abs=0.01)  # teapots stand on y = 0
    assert asset.bounds_min[1] == pytest.approx(0.0, abs=1e-4)


# ---------------------------------------------------------------- lights and cameras
def test_lights_and_cameras_in_previs_units(tmp_path):
    f = tmp_path / "lit.usda"
    f.write_text("""#usda 1.0
(
    metersPerUnit = 0.01
    upAxis = "Z"
)
def SphereLight "bulb" {
    float inputs:intensity = 1000
    float inputs:exposure = 1
    float inputs:radius = 10
    double3 xformOp:translate = (0, 0, 300)
    uniform token[] xformOpOrder = ["xformOp:translate"]
}
def DistantLight "sun" (
) {
    float inputs:intensity = 50000
    float inputs:angle = 0.53
    bool inputs:normalize = 1
}
def Camera "cam" {
    float focalLength = 35
    float horizontalAperture = 27.99
    float verticalAperture = 19.22
    float focusDistance = 400
    float fStop = 2.8
    double3 xformOp:translate = (0, -500, 150)
    float3 xformOp:rotateXYZ = (90, 0, 0)
    uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:rotateXYZ"]
}
""")
    lights, cameras = usd_lights_and_cameras(f)
    bulb = next(li for li in lights if li.name == "bulb")
    assert bulb.type == "point"
    # L = 1000 * 2^1 nits over a 0.1 m sphere: I = L pi r^2
    assert bulb.intensity == pytest.approx(2000 * np.pi * 0.1**2)
    np.testing.assert_allclose(bulb.position_m, [0, 3, 0], atol=1e-9)  # Z up -> Y up, cm -> m
    sun = next(li for li in lights if li.name == "sun")
    assert sun.type == "directional" and sun.intensity == pytest.approx(50000)  # normalized: lux
    np.testing.assert_allclose(sun.direction, [0, -1, 0], atol=1e-9)  # -Z (down in Z up) -> -Y
    (cam,) = cameras
    # centimetre stage: tenths of a unit are millimetres
    assert cam.focal_length_mm == pytest.approx(35)
    assert cam.horizontal_aperture_mm == pytest.approx(27.99, rel=1e-6)
    assert cam.focus_distance_m == pytest.approx(4.0) and cam.f_stop == pytest.approx(2.8)
    np.testing.assert_allclose(cam.world_from_camera[:3, 3], [0, 1.5, 5], atol=1e-6)
    # rotated 90 degrees about X in Z-up: it looks along the file's +Y, which is previs's -Z
    np.testing.assert_allclose(-cam.world_from_camera[:3, 2], [0, 0, -1], atol=1e-6)


def test_light_units():
    # an unnormalized distant light of 0.53 degrees is the sun's disc: E = L pi sin^2(a/2)
    assert light_intensity("DistantLight", 1.6e9, normalize=False, angle_deg=0.53) == pytest.approx(
        1.6e9 * np.pi * np.sin(np.radians(0.265)) ** 2
    )
    assert light_intensity("RectLight", 100, normalize=False, width_m=2, height_m=0.5) == 100
    assert light_intensity("SphereLight", 100, normalize=True, radius_m=5) == 25
    assert light_intensity("DiskLight", 100, normalize=False, radius_m=1) == pytest.approx(
        100 * np.pi
    )


@needs_assets
def test_camera_of_the_teapot_scene_in_millimetres():
    _, cameras = usd_lights_and_cameras(ASSETS / "intent-vfx" / "scenes" / "teapotScene_camera.usd")
    (cam,) = cameras
    # written as millimetres (32 mm on the default 20.955 mm filmback) on a metres stage:
    # read as such, and said so
    assert cam.focal_length_mm == pytest.approx(32) and "millimetres" in cam.note
    assert cam.horizontal_aperture_mm == pytest.approx(20.955, rel=1e-6)


# ---------------------------------------------------------------- hostile files
def _one_line(path, match):
    with pytest.raises(AssetError) as info:
        load_asset(path)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg and match in msg, msg
    return msg


def test_not_usd_renamed_usda(tmp_path):
    f = tmp_path / "mesh.usda"
    f.write_text("solid cube\nfacet normal 0 0 1\n")
    _one_line(f, "not a USD file")


def test_truncated_usdc(tmp_path):
    from pxr import Sdf, Usd, UsdGeom

    full = tmp_path / "full.usdc"
    stage = Usd.Stage.CreateNew(str(full))
    UsdGeom.Cube.Define(stage, "/c")
    stage.GetRootLayer().Save()
    data = full.read_bytes()
    cut = tmp_path / "cut.usdc"
    cut.write_bytes(data[: len(data) // 2])
    _one_line(cut, "not a valid USD file")
    assert load_asset(full).triangle_count == 12
    del Sdf


def test_usdz_that_is_not_a_zip(tmp_path):
    f = tmp_path / "set.usdz"
    f.write_bytes(b"#usda 1.0\n")
    _one_line(f, "is a zip archive, and this is not one")
    g = tmp_path / "cut.usdz"
    g.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    _one_line(g, "not a valid .usdz")


def test_usdz_with_its_texture_inside(tmp_path):
    from PIL import Image
    from pxr import Sdf, Usd, UsdGeom, UsdShade, UsdUtils

    Image.new("RGB", (4, 4), (255, 0, 0)).save(tmp_path / "red.png")
    src = tmp_path / "set.usda"
    stage = Usd.Stage.CreateNew(str(src))
    UsdGeom.SetStageMetersPerUnit(stage, 1)
    UsdGeom.Cube.Define(stage, "/w/c")
    mat = UsdShade.Material.Define(stage, "/w/m")
    sh = UsdShade.Shader.Define(stage, "/w/m/s")
    sh.CreateIdAttr("UsdPreviewSurface")
    tex = UsdShade.Shader.Define(stage, "/w/m/t")
    tex.CreateIdAttr("UsdUVTexture")
    tex.CreateInput("file", Sdf.ValueTypeNames.Asset).Set("red.png")
    sh.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).ConnectToSource(
        tex.ConnectableAPI(), "rgb"
    )
    mat.CreateSurfaceOutput().ConnectToSource(sh.ConnectableAPI(), "surface")
    UsdShade.MaterialBindingAPI.Apply(stage.GetPrimAtPath("/w/c")).Bind(mat)
    stage.GetRootLayer().Save()
    pkg = tmp_path / "set.usdz"
    assert UsdUtils.CreateNewUsdzPackage(str(src), str(pkg))
    os.remove(tmp_path / "red.png")  # only the copy inside the package is left
    asset = load_asset(pkg)
    tex_img = asset.parts[0].material.base_color_texture
    assert tex_img is not None and tuple(tex_img.rgba[0, 0]) == (255, 0, 0, 255)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo(tmp_path):
    f = tmp_path / "set.usda"
    os.mkfifo(f)
    _one_line(f, "FIFO")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_sublayer_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.usda")
    f = tmp_path / "set.usda"
    f.write_text('#usda 1.0\n(\n subLayers = [@./pipe.usda@]\n)\ndef Cube "c" {}\n')
    _one_line(f, "FIFO")


def test_missing_sublayer_warns(tmp_path):
    f = tmp_path / "set.usda"
    f.write_text('#usda 1.0\n(\n subLayers = [@./gone.usda@]\n)\ndef Cube "c" {}\n')
    asset = load_asset(f)
    assert asset.triangle_count == 12
    assert any("gone.usda" in w and w.startswith("missing layer") for w in asset.warnings)


# ---------------------------------------------------------------- scene files and rendering
TEAPOT_SCENE = """format_version: 1
name: USD teapot
frame_rate: 24
set:
  - {{name: teapot, type: mesh, path: "{teapot}", scale: [3, 3, 3]{extra}}}
lights:
  - {{name: key, type: spot, position_m: [2, 3, 3], target_m: [0, 0.3, 0], intensity_cd: 4000,
     beam_angle_deg: 40, field_angle_deg: 60}}
camera: {{body: alexa-35, lens_kit: cooke-s4i, iso: 800, t_stop: 2.8}}
shots:
  - id: 1A
    scene: 1
    length_frames: 1
    camera: {{position_m: [0, 0.35, 3], look_at_m: [0, 0.35, 0], focal_length_mm: 32, focus_m: 3}}
"""


@needs_assets
def test_scene_file_variants_and_warnings(tmp_path):
    from previs.errors import SceneError
    from previs.io.scene_file import load_scene

    teapot = ASSETS / "full_assets" / "Teapot" / "Teapot.usd"
    f = tmp_path / "s.yaml"
    f.write_text(TEAPOT_SCENE.format(teapot=teapot, extra=", variants: {modelVariant: Fancy}"))
    scene = load_scene(f)
    (piece,) = scene.set_pieces
    assert piece.mesh_path == teapot
    assert any("control cage" in w and "set[0].path" in w for w in scene.warnings)
    f.write_text(TEAPOT_SCENE.format(teapot=teapot, extra=", variants: {modelVariant: Tall}"))
    with pytest.raises(SceneError) as info:
        load_scene(f)
    msg = str(info.value)
    assert "s.yaml:5: set[0].variants:" in msg and "no variant 'Tall'" in msg and "Fancy" in msg
    assert "\n" not in msg


@needs_assets
def test_a_usd_teapot_renders_where_the_lens_puts_it(tmp_path, gl_context):
    """The teapot (3x, 0.69 m tall, standing on y = 0) in front of a 32 mm lens: its pixels
    (finite depth) fill the box its bounds project to, and its colour is the file's lime green."""
    from PIL import Image

    from previs import api
    from previs.io.scene_file import load_scene

    teapot = ASSETS / "full_assets" / "Teapot" / "Teapot.usd"
    f = tmp_path / "s.yaml"
    f.write_text(TEAPOT_SCENE.format(teapot=teapot, extra=""))
    scene = load_scene(f)
    state = api.evaluate(scene, scene.shots[0], 0)
    with api.StageRenderer(scene, width=480) as r:
        frame = r.render(state, read_depth=True)
    png = tmp_path / "teapot.png"
    api.write_storyboard_frame(frame, state, scene, png)
    assert Image.open(png).size[0] == 480
    h, w = frame.depth_m.shape
    hit = np.isfinite(frame.depth_m) & (frame.depth_m < 100)
    assert 0.02 < hit.mean() < 0.5
    # project the bounds' corners through the shot's camera
    asset = load_asset(teapot)
    lo, hi = asset.bounds_min * 3, asset.bounds_max * 3
    corners = np.array(
        [[x, y, z, 1.0] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    )
    cam = np.linalg.inv(state.world_from_camera) @ corners.T
    t = np.tan(state.yfov_rad / 2)
    col = ((cam[0] / -cam[2]) / (t * w / h) + 1) / 2 * w
    row = (1 - (cam[1] / -cam[2]) / t) / 2 * h
    rows, cols = np.nonzero(hit)
    assert rows.min() >= row.min() - 2 and rows.max() <= row.max() + 2
    assert cols.min() >= col.min() - 2 and cols.max() <= col.max() + 2
    # the silhouette reaches the projected top and bottom (the body is widest in x, not z)
    assert rows.max() - rows.min() > 0.8 * (row.max() - row.min())
    rgb = frame.color[hit].astype(np.float64)
    green = (rgb[:, 1] > rgb[:, 2] + 40) & (rgb[:, 1] > 0.8 * rgb[:, 0])
    assert green.mean() > 0.5  # lime: green high, blue low


def test_a_scene_files_variant_reaches_the_renderer_and_info(tmp_path):
    """`variants:` on a set piece picks the geometry the renderer draws and info reports."""
    from previs import api
    from previs.info import scene_summary

    path = KIT / "vehicleVariants.usda"
    if not path.is_file():
        pytest.skip(f"{path} is not here (the shared USD assets)")
    counts = {}
    for choice in ("sedan", "formula"):
        scene_path = tmp_path / f"{choice}.yaml"
        scene_path.write_text(
            "format_version: 1\nname: kit\nframe_rate: 24\n"
            f"set:\n  - {{name: car, type: mesh, path: '{path}', units: cm, variants: {{wheels: {choice}}}}}\n"
            "camera: {body: alexa-35, lens_kit: cooke-s4i}\n"
            "shots:\n  - {id: S1, scene: 1, length_frames: 1, camera: {position_m: [0, 1.5, 8], "
            "look_at_m: [0, 0.5, 0], focal_length_mm: 32}}\n",
            encoding="utf-8",
        )
        scene = api.load_scene(scene_path)
        (piece,) = scene.set_pieces
        assert piece.mesh_variants == (("wheels", choice),)
        counts[choice] = api._piece_asset(piece).triangle_count
        assert scene_summary(scene)["set"][0]["file"]["variants"] == {"wheels": choice}
    want = {c: load_asset(path, variants={"wheels": c}).triangle_count for c in counts}
    assert counts == want and counts["sedan"] != counts["formula"]
