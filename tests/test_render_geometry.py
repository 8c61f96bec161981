"""The camera is right: objects land on the pixel a pinhole camera with the preset's optics
predicts, the depth buffer holds the analytic distance along the view axis, and pan/tilt/roll
turn the picture the way the rotation says.

Everything is rendered with :class:`previs.render.Renderer` directly (no scene file), unlit and
un-antialiased, with small emissive markers on a black background so every covered pixel is
unambiguous.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
import trimesh
from scipy import ndimage

from previs.core import optics, presets
from previs.core import transforms as tf
from previs.core.frame import FrameState
from previs.io.meshes import Asset, Material, MeshPart, primitive_asset
from previs.render import CameraView, DrawItem, Renderer

WIDTH = 640
MARKER_M = 0.04  # 4 cm markers
# Distinct saturated emissive colours: the filmic curve keeps a zero channel at zero, so each
# marker is found by which channels are lit.
COLOURS = {
    "red": (1, 0, 0),
    "green": (0, 1, 0),
    "blue": (0, 0, 1),
    "yellow": (1, 1, 0),
    "cyan": (0, 1, 1),
    "magenta": (1, 0, 1),
    "white": (1, 1, 1),
}


# ---------------------------------------------------------------- helpers
def _state(body: str, mode: str | None, kit: str, focal_mm: float, world_from_camera) -> FrameState:
    m = presets.get_mode(body, mode)
    lens = presets.get_lens(kit, focal_mm)
    return FrameState(
        shot_id="T",
        frame=0,
        frame_rate=Fraction(24),
        world_from_camera=world_from_camera,
        mode=m,
        lens=lens,
        focal_length_mm=float(focal_mm),
        focus_m=5.0,
        t_stop=4.0,
        iso=800.0,
        shutter_angle_deg=180.0,
        delivery_aspect=None,
        safe_areas=False,
    )


def _view(state: FrameState, width: int = WIDTH) -> tuple[CameraView, int, int]:
    w, h = state.image_size(width)
    return CameraView(state.world_from_camera, state.yfov_rad, w / h, 0.05, 500.0), w, h


def _emissive(asset: Asset, rgb, key: str) -> Asset:
    """The same geometry, black and glowing ``rgb`` (linear), double-sided."""
    mat = Material(
        key=key,
        base_color=(0.0, 0.0, 0.0, 1.0),
        roughness=1.0,
        emissive=tuple(4.0 * float(c) for c in rgb),
        double_sided=True,
    )
    return replace(asset, parts=tuple(replace(p, material=mat) for p in asset.parts))


def _grey(asset: Asset, key: str) -> Asset:
    mat = Material(
        key=key, base_color=(0.0, 0.0, 0.0, 1.0), emissive=(0.3, 0.3, 0.3), double_sided=True
    )
    return replace(asset, parts=tuple(replace(p, material=mat) for p in asset.parts))


def _marker_items(
    world_from_camera: np.ndarray, points_cam: dict[str, np.ndarray]
) -> list[DrawItem]:
    """A thin 4 cm square box per point, square to the camera's axes (its front face is parallel
    to the image plane, so its image is a square centred on the centre's projection)."""
    items = []
    rot = world_from_camera.copy()
    rot[:3, 3] = 0.0
    for name, p_cam in points_cam.items():
        box = primitive_asset("box", size_m=(MARKER_M, MARKER_M, 0.001), key=f"marker-{name}")
        # The primitive's base is at y = 0: drop it by half its height so its centre is at p.
        local = tf.translation((0.0, -MARKER_M / 2, 0.0))
        p_world = tf.transform_points(world_from_camera, [p_cam])[0]
        m = tf.translation(p_world) @ rot @ local
        items.append(DrawItem(_emissive(box, COLOURS[name], f"marker-{name}"), m))
    return items


def _render(items, view: CameraView, w: int, h: int, gl_context):
    r = Renderer(w, h, antialias=False, shadows=False, ctx=gl_context)
    try:
        r.set_world(items, [])
        return r.render(view, exposure=1.0, overlay=None, read_depth=True)
    finally:
        r.release()


def _centroids(color: np.ndarray, names) -> dict[str, tuple[float, float, int]]:
    """(x, y, pixel count) of each colour's blob, in pixel coordinates with centres at +0.5."""
    lit = color > 128
    out = {}
    for name in names:
        want = np.array(COLOURS[name], bool)
        mask = np.all(lit == want, axis=2)
        ys, xs = np.nonzero(mask)
        out[name] = (
            float(xs.mean() + 0.5) if len(xs) else math.nan,
            float(ys.mean() + 0.5) if len(ys) else math.nan,
            int(len(xs)),
        )
    return out


def _hand_projection(state: FrameState, p_cam: np.ndarray, w: int, h: int) -> tuple[float, float]:
    """Pinhole by hand from the lens and sensor: x = w/2 + f_px X/Z, y = h/2 - f_px Y/Z.

    Horizontally the desqueezed image spans sigma * sensor width (an anamorphic lens squeezes a
    field twice as wide onto the same sensor), vertically the sensor height.
    """
    f = state.focal_length_mm
    fx = f * w / (state.squeeze * state.mode.width_mm)
    fy = f * h / state.mode.height_mm
    x_m, y_m, z_m = p_cam
    depth = -z_m
    return w / 2 + fx * x_m / depth, h / 2 - fy * y_m / depth


# ---------------------------------------------------------------- projection
CAMERAS = [
    # body, mode, lens kit, focal length (mm)
    ("alexa-35", "4.6k-3-2-og", "cooke-s4i", 25.0),
    ("venice-2-8k", "8.2k-17-9", "angenieux-optimo-24-290", 60.0),  # a zoom set inside its range
    ("alexa-35", "3.3k-6-5", "arri-master-anamorphic", 50.0),  # 2x anamorphic, desqueezed
    ("alexa-mini-lf", None, "arri-signature-prime", 18.0),  # body's default mode, wide lens
]


@pytest.mark.parametrize(
    ("body", "mode", "kit", "focal"), CAMERAS, ids=[f"{c[0]}-{c[2]}-{c[3]:g}" for c in CAMERAS]
)
def test_markers_land_on_the_pinhole_pixel(gl_context, body, mode, kit, focal):
    eye = np.array([1.3, 1.6, 6.0])
    pose = tf.look_at(eye, (-0.4, 1.1, -2.0))
    state = _state(body, mode, kit, focal, pose)
    view, w, h = _view(state)
    assert w == WIDTH
    assert w / h == pytest.approx(optics.desqueezed_aspect(state.mode, state.squeeze), rel=0.004)
    if state.squeeze == 2.0:
        assert w / h == pytest.approx(2 * state.mode.width_mm / state.mode.height_mm, rel=0.004)
    # Points spread over the frame (up to ~75 % of the half-width/height from centre) at 2.5-9 m.
    tan_h = state.squeeze * state.mode.width_mm / (2 * focal)
    tan_v = state.mode.height_mm / (2 * focal)
    rel = {
        "red": (0.0, 0.0, 4.0),
        "green": (0.7, 0.5, 3.0),
        "blue": (-0.75, -0.6, 6.0),
        "yellow": (0.6, -0.7, 9.0),
        "cyan": (-0.5, 0.65, 2.5),
        "magenta": (0.25, -0.2, 5.0),
    }
    points = {k: np.array([a * tan_h * d, b * tan_v * d, -d]) for k, (a, b, d) in rel.items()}
    frame = _render(_marker_items(pose, points), view, w, h, gl_context)
    found = _centroids(frame.color, points)

    names = list(points)
    world = tf.transform_points(pose, [points[n] for n in names])
    expected = tf.project_to_pixels(view.clip_from_world, world, w, h)
    errors = []
    for i, name in enumerate(names):
        x, y, count = found[name]
        size_px = MARKER_M * focal * h / state.mode.height_mm / -points[name][2]
        assert count >= 0.6 * size_px**2, f"{name}: only {count} px lit, expected ~{size_px**2:.0f}"
        ex, ey = expected[i]
        hx, hy = _hand_projection(state, points[name], w, h)
        assert abs(x - ex) <= 1.0 and abs(y - ey) <= 1.0, (
            f"{name}: rendered at ({x:.2f}, {y:.2f}), project_to_pixels says ({ex:.2f}, {ey:.2f})"
        )
        assert abs(x - hx) <= 1.0 and abs(y - hy) <= 1.0, (
            f"{name}: rendered at ({x:.2f}, {y:.2f}), f_px from focal length and sensor says ({hx:.2f}, {hy:.2f})"
        )
        errors.append((x - ex, y - ey))
    # A binary-coverage centroid is quantised to +-0.5 px per marker, but the quantisation is not
    # biased: a systematic half-pixel shift (the classic pixel-centre bug) shows in the mean.
    bias = np.mean(errors, axis=0)
    assert np.all(np.abs(bias) < 0.3), f"markers are shifted on average by {bias} px"
    # The off-centre markers really are off-centre: the test would see a wrong FOV.
    assert abs(found["yellow"][0] - w / 2) > 0.25 * w
    assert abs(found["blue"][1] - h / 2) > 0.25 * h


def test_marker_outside_the_field_of_view_is_not_drawn(gl_context):
    """A marker 5 % beyond the horizontal edge of the desqueezed anamorphic field is not in the
    picture; one 5 % inside it is (an unsqueezed FOV would put both inside or both outside)."""
    pose = tf.look_at((0.0, 1.5, 5.0), (0.0, 1.5, 0.0))
    state = _state("alexa-35", "3.3k-6-5", "arri-master-anamorphic", 50.0, pose)
    view, w, h = _view(state)
    tan_h = state.squeeze * state.mode.width_mm / (2 * state.focal_length_mm)
    d = 5.0
    points = {
        "green": np.array([0.95 * tan_h * d - MARKER_M, 0.0, -d]),
        "red": np.array([1.05 * tan_h * d + MARKER_M, 0.0, -d]),
    }
    found = _centroids(_render(_marker_items(pose, points), view, w, h, gl_context).color, points)
    assert found["green"][2] > 10
    assert w * 0.9 < found["green"][0] < w
    assert found["red"][2] == 0


# ---------------------------------------------------------------- depth
def _pixel_rays(view: CameraView, w: int, h: int) -> np.ndarray:
    """Camera-space ray directions through every pixel centre, scaled so z = -1."""
    ty = math.tan(view.yfov_rad / 2)
    tx = ty * view.aspect
    xs = ((np.arange(w) + 0.5) / w * 2 - 1) * tx
    ys = (1 - (np.arange(h) + 0.5) / h * 2) * ty
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx, gy, -np.ones_like(gx)], axis=-1)


def _plane_depth(view, w, h, point_cam, normal_cam) -> np.ndarray:
    d = _pixel_rays(view, w, h)
    n = np.asarray(normal_cam, float)
    t = np.dot(point_cam, n) / (d @ n)  # ray p = t d meets the plane; depth along the axis is t
    return t


def test_depth_of_a_plane_facing_the_camera(gl_context):
    pose = tf.look_at((0.3, 1.7, 4.0), (0.0, 1.0, -3.0))
    state = _state("alexa-35", "4.6k-3-2-og", "cooke-s4i", 32.0, pose)
    view, w, h = _view(state, 480)
    dist = 6.25
    # The plane primitive lies in XZ with its normal +Y; turn it to face the camera (+Z in camera).
    plane = _grey(primitive_asset("plane", size_m=(20.0, 20.0)), "wall")
    m = pose @ tf.translation((0.0, 0.0, -dist)) @ tf.rotation_x(90)
    frame = _render([DrawItem(plane, m)], view, w, h, gl_context)
    depth = frame.depth_m
    assert depth.shape == (h, w)
    assert np.all(np.isfinite(depth)), "a 20 m plane at 6.25 m fills the frame"
    err = np.abs(depth / dist - 1)
    assert err.max() < 0.005, (
        f"depth off by up to {err.max():.4%} (median {np.median(depth):.4f} m)"
    )
    assert np.median(depth) == pytest.approx(dist, rel=1e-3)
    # The colour image agrees: the plane's grey is everywhere.
    assert frame.color.min() > 20


def test_depth_of_a_tilted_plane_and_empty_pixels_are_inf(gl_context):
    pose = tf.look_at((0.0, 1.5, 5.0), (0.0, 1.5, 0.0))
    state = _state("alexa-35", "4.6k-16-9", "cooke-s4i", 25.0, pose)
    view, w, h = _view(state, 480)
    # A 3 m square through a point 5 m ahead, turned 40 deg about the camera's vertical axis and
    # 25 deg about its horizontal axis: its depth runs across the frame.
    centre_cam = np.array([0.2, -0.1, -5.0])
    rot = tf.rotation_y(40) @ tf.rotation_x(90 + 25)
    normal_cam = rot[:3, :3] @ np.array([0.0, 1.0, 0.0])
    plane = _grey(primitive_asset("plane", size_m=(3.0, 3.0)), "tilted")
    m = pose @ tf.translation(centre_cam) @ rot
    frame = _render([DrawItem(plane, m)], view, w, h, gl_context)
    depth = frame.depth_m
    covered = np.isfinite(depth)
    assert 0.1 < covered.mean() < 0.9, (
        f"the plane should cover part of the frame, covers {covered.mean():.0%}"
    )
    expected = _plane_depth(view, w, h, centre_cam, normal_cam)
    err = np.abs(depth[covered] / expected[covered] - 1)
    assert err.max() < 0.005, f"tilted plane depth off by up to {err.max():.4%}"
    assert depth[covered].max() - depth[covered].min() > 1.0, (
        "the tilt should spread the depth over > 1 m"
    )
    # Empty pixels are inf, covered pixels are the lit ones.
    assert np.all(np.isinf(depth[~covered])) and np.all(depth[~covered] > 0)
    lit = frame.color.max(axis=2) > 10
    assert (lit == covered).mean() > 0.995


def test_depth_of_a_sphere(gl_context):
    pose = tf.look_at((-1.0, 2.0, 3.0), (0.0, 1.0, -1.0))
    state = _state("venice-2-8k", "8.6k-3-2-ff", "arri-signature-prime", 47.0, pose)
    view, w, h = _view(state, 480)
    centre_cam = np.array([0.15, -0.1, -4.2])
    radius = 0.6
    mesh = trimesh.creation.icosphere(subdivisions=5, radius=radius)
    n = len(mesh.vertices)
    part = MeshPart(
        positions=np.asarray(mesh.vertices, np.float32),
        normals=np.asarray(mesh.vertex_normals, np.float32),
        uvs=np.zeros((n, 2), np.float32),
        colors=np.ones((n, 4), np.float32),
        indices=np.asarray(mesh.faces, np.uint32),
        material=Material(key="sphere", base_color=(0, 0, 0, 1), emissive=(0.5, 0.5, 0.5)),
    )
    sphere = Asset(source="<sphere>", parts=(part,))
    frame = _render([DrawItem(sphere, pose @ tf.translation(centre_cam))], view, w, h, gl_context)
    depth = frame.depth_m
    covered = np.isfinite(depth)
    # Analytic ray-sphere: |t d - c|^2 = r^2, nearest root.
    d = _pixel_rays(view, w, h)
    a = np.einsum("ijk,ijk->ij", d, d)
    b = -2 * d @ centre_cam
    c = centre_cam @ centre_cam - radius**2
    disc = b * b - 4 * a * c
    hit = disc > 0
    t = np.where(hit, (-b - np.sqrt(np.maximum(disc, 0))) / (2 * a), np.inf)
    # Silhouette: rendered coverage equals the analytic coverage except within a pixel of the rim.
    rim = ndimage.binary_dilation(hit, iterations=1) & ~ndimage.binary_erosion(hit, iterations=1)
    mismatch = covered ^ hit
    assert not np.any(mismatch & ~rim), (
        f"{int((mismatch & ~rim).sum())} px differ away from the rim"
    )
    # Away from the rim (where a 20480-face sphere and the true sphere part by up to a few mm
    # along grazing rays), depth equals the analytic distance along the view axis.
    inner = ndimage.binary_erosion(hit & covered, iterations=3)
    assert inner.sum() > 1000
    err = np.abs(depth[inner] / t[inner] - 1)
    assert err.max() < 0.005, f"sphere depth off by up to {err.max():.4%}"
    # The nearest point of the sphere is r short of its centre's distance along the line of sight.
    dist_c = float(np.linalg.norm(centre_cam))
    nearest_depth = (dist_c - radius) * -centre_cam[2] / dist_c
    assert depth[covered].min() == pytest.approx(nearest_depth, rel=0.005)
    assert np.all(np.isinf(depth[~hit & ~rim])) and np.all(depth[~covered] == np.inf)


# ---------------------------------------------------------------- pan / tilt / roll
@pytest.mark.parametrize(
    ("pan", "tilt", "roll"), [(0, 0, 90), (30, -10, 0), (-25, 15, 35), (140, 5, -60)]
)
def test_pan_tilt_roll_puts_a_point_where_the_rotation_says(gl_context, pan, tilt, roll):
    """A camera head by hand: pan turns left about world +Y, tilt raises the lens, roll turns the
    camera clockwise as the operator sees it (so the picture turns anticlockwise)."""
    eye = np.array([0.5, 1.4, 2.0])
    pose = tf.pan_tilt_roll(eye, pan, tilt, roll)
    state = _state("alexa-35", "4.6k-16-9", "cooke-s4i", 32.0, pose)
    view, w, h = _view(state)
    p, t, r = (math.radians(v) for v in (pan, tilt, roll))
    fwd = np.array([-math.sin(p) * math.cos(t), math.sin(t), -math.cos(p) * math.cos(t)])
    right0 = np.array([math.cos(p), 0.0, -math.sin(p)])
    up0 = np.cross(-fwd, right0)
    right = math.cos(r) * right0 - math.sin(r) * up0
    up = math.sin(r) * right0 + math.cos(r) * up0
    f_px = state.focal_length_mm * w / state.mode.width_mm
    # World points: on the axis, and offsets along the rolled camera's right and up.
    offsets = {
        "red": (0.0, 0.0, 4.0),
        "green": (0.6, 0.0, 4.0),
        "blue": (0.0, 0.4, 4.0),
        "yellow": (-0.5, -0.3, 5.0),
    }
    world = {k: eye + d * fwd + a * right + b * up for k, (a, b, d) in offsets.items()}
    inv = np.linalg.inv(pose)
    points_cam = {k: tf.transform_points(inv, [v])[0] for k, v in world.items()}
    found = _centroids(
        _render(_marker_items(pose, points_cam), view, w, h, gl_context).color, offsets
    )
    for name, (a, b, d) in offsets.items():
        ex, ey = w / 2 + f_px * a / d, h / 2 - f_px * b / d
        x, y, count = found[name]
        assert count > 0, f"{name} not in the picture"
        assert abs(x - ex) <= 1.0 and abs(y - ey) <= 1.0, (
            f"pan {pan} tilt {tilt} roll {roll}: {name} at ({x:.2f}, {y:.2f}), expected ({ex:.2f}, {ey:.2f})"
        )


def test_roll_90_clockwise_puts_the_right_of_frame_at_the_top(gl_context):
    """Rolled 90 deg clockwise (as the operator sees it), what was right of centre is now at the
    top of the picture, and what was above centre is now on the left."""
    eye = np.array([0.0, 1.5, 3.0])
    pose = tf.pan_tilt_roll(eye, 0.0, 0.0, 90.0)
    state = _state("alexa-35", "4.6k-16-9", "cooke-s4i", 32.0, pose)
    view, w, h = _view(state)
    aim = eye + np.array([0.0, 0.0, -4.0])
    world = {"red": aim + np.array([0.5, 0.0, 0.0]), "green": aim + np.array([0.0, 0.3, 0.0])}
    inv = np.linalg.inv(pose)
    points_cam = {k: tf.transform_points(inv, [v])[0] for k, v in world.items()}
    found = _centroids(
        _render(_marker_items(pose, points_cam), view, w, h, gl_context).color, world
    )
    f_px = state.focal_length_mm * w / state.mode.width_mm
    assert found["red"][0] == pytest.approx(w / 2, abs=1.0)
    assert found["red"][1] == pytest.approx(h / 2 - f_px * 0.5 / 4.0, abs=1.0)
    assert found["green"][0] == pytest.approx(w / 2 - f_px * 0.3 / 4.0, abs=1.0)
    assert found["green"][1] == pytest.approx(h / 2, abs=1.0)


# ---------------------------------------------------------------- light range and sky pass
def _floor_hdr(gl_context, lights, *, sky=None, size=64, floor_m=4.0):
    """A grey floor ``floor_m`` square seen straight down from 2 m (90 degree view: 4 m across)
    in linear light, rows bottom-up, and each pixel centre's floor point (x, z)."""
    floor = primitive_asset(
        "plane", size_m=(floor_m, floor_m), color_linear=(0.5, 0.5, 0.5), roughness=1.0, key="floor"
    )
    r = Renderer(size, size, antialias=False, shadows=False, ctx=gl_context)
    try:
        r.set_world([DrawItem(floor, np.eye(4))], lights)
        if sky is not None:
            r.set_sky(sky)
        eye = np.array([0.0, 2.0, 0.0])
        view = CameraView(
            tf.look_at(eye, (0.0, 0.0, 0.0), (0.0, 0.0, -1.0)), math.pi / 2, 1.0, 0.05, 100.0
        )
        hdr = r.render_hdr(view)
    finally:
        r.release()
    # Pixel centres in NDC; at 2 m height a 90 degree view spans +-2 m on the floor.
    ndc = (np.arange(size) + 0.5) / size * 2.0 - 1.0
    x = np.broadcast_to(ndc[None, :] * 2.0, (size, size))
    z = np.broadcast_to(-ndc[:, None] * 2.0, (size, size))  # rows bottom-up; up in the image is -z
    return hdr, x, z


def test_light_range_cuts_off_as_1_minus_d4(gl_context):
    """A point light with a range and the same light without: their ratio on the floor is the
    window clamp(1 - (d / range)^4) (compiled only into lights that have a range)."""
    from previs.core.scene import Light

    def light(range_m):
        return Light(
            name="p",
            type="point",
            color_linear=(1.0, 1.0, 1.0),
            intensity=5.0,
            position_m=(0.0, 0.5, 0.0),
            range_m=range_m,
            shadows=False,
        )

    free, x, z = _floor_hdr(gl_context, [light(0.0)])
    ranged, _, _ = _floor_hdr(gl_context, [light(1.2)])
    d = np.sqrt(x * x + z * z + 0.25)
    window = np.clip(1.0 - (d / 1.2) ** 4, 0.0, 1.0)
    lum_free, lum_ranged = free.mean(axis=2), ranged.mean(axis=2)
    assert lum_free.min() > 0.0  # the whole floor is lit without a range
    inside = window > 0.05
    np.testing.assert_allclose(
        lum_ranged[inside] / lum_free[inside], window[inside], rtol=0.02, atol=2e-3
    )
    assert np.all(lum_ranged[d > 1.21] == 0.0)  # beyond the range: nothing


def test_sky_shows_only_where_nothing_is_drawn(gl_context):
    """The sky pass (depth-tested against the G-buffer) fills the empty pixels and leaves the
    floor's shading alone."""
    from previs.core.scene import Light

    sun = Light(
        name="sun",
        type="directional",
        color_linear=(1.0, 1.0, 1.0),
        intensity=3.0,
        direction=(0.0, -1.0, 0.0),
        shadows=False,
    )
    plain, x, z = _floor_hdr(gl_context, [sun], floor_m=2.0)
    with_sky, _, _ = _floor_hdr(gl_context, [sun], sky=(0.3, 0.8, 0.2), floor_m=2.0)
    on_floor = (np.abs(x) < 0.95) & (np.abs(z) < 0.95)
    off_floor = (np.abs(x) > 1.05) | (np.abs(z) > 1.05)
    assert plain[on_floor].min() > 0.0 and np.all(plain[off_floor] == 0.0)  # the dark stage
    np.testing.assert_array_equal(with_sky[on_floor], plain[on_floor])
    sky = with_sky[off_floor]
    # Looking down, every empty pixel shows the sky's ground below the horizon (sky.glsl).
    np.testing.assert_allclose(sky, np.broadcast_to((0.08, 0.07, 0.06), sky.shape), atol=1e-3)


def test_a_spot_casts_shadows_out_to_the_end_of_its_falloff(gl_context):
    """A 40 degree spot's light fades out between 20 and 27.2 degrees off axis; a caster at 25.5
    degrees must shadow the floor there (a map cut at the field angle plus a margin left that
    ring unshadowed)."""
    from previs.core.scene import Light

    spot = Light(
        name="spot",
        type="spot",
        color_linear=(1.0, 1.0, 1.0),
        intensity=400.0,
        position_m=(-1.0, 2.0, 0.0),
        direction=(0.0, -1.0, 0.0),
        beam_angle_deg=30.0,
        field_angle_deg=40.0,
        shadows=True,
    )
    off_axis = math.radians(25.5)
    floor = primitive_asset(
        "plane", size_m=(6.0, 6.0), color_linear=(0.5, 0.5, 0.5), roughness=1.0, key="floor"
    )
    caster = primitive_asset(
        "box", size_m=(0.15, 0.15, 0.15), color_linear=(0.5, 0.5, 0.5), key="caster"
    )
    at_caster = tf.translation(
        (-1.0 + math.tan(off_axis), 0.925, 0.0)
    )  # centred 1 m below the lamp
    shadow_x = -1.0 + 2.0 * math.tan(off_axis)  # where its shadow's centre falls on the floor
    size = 96
    eye = np.array([0.0, 2.0, 0.0])
    view = CameraView(
        tf.look_at(eye, (0.0, 0.0, 0.0), (0.0, 0.0, -1.0)), math.pi / 2, 1.0, 0.05, 100.0
    )
    lum = {}
    for name, items in (
        ("bare", [DrawItem(floor, np.eye(4))]),
        ("caster", [DrawItem(floor, np.eye(4)), DrawItem(caster, at_caster)]),
    ):
        r = Renderer(size, size, antialias=False, shadows=True, ctx=gl_context)
        try:
            r.set_world(items, [spot])
            lum[name] = r.render_hdr(view).mean(axis=2)
        finally:
            r.release()
    col = int((shadow_x / 2.0 + 1.0) / 2.0 * size)  # 90 degrees from 2 m: +-2 m across
    row = size // 2
    bare, shaded = lum["bare"][row, col], lum["caster"][row, col]
    assert bare > 1e-3  # the fading ring still gets light
    assert shaded < 0.1 * bare, (bare, shaded)


def _floor_lum_with_and_without_shadows(gl_context, light, size=128):
    """A bare floor under ``light`` seen from above, in linear light: with shadow maps and
    without. Nothing casts a shadow, so any difference is a lookup in the wrong place."""
    floor = primitive_asset(
        "plane", size_m=(8.0, 8.0), color_linear=(0.5, 0.5, 0.5), roughness=1.0, key="floor"
    )
    eye = np.array([0.0, 3.0, 0.0])
    view = CameraView(
        tf.look_at(eye, (0.0, 0.0, 0.0), (0.0, 0.0, -1.0)), math.radians(100), 1.0, 0.05, 100.0
    )
    out = []
    for shadows in (True, False):
        r = Renderer(size, size, antialias=False, shadows=shadows, ctx=gl_context)
        try:
            r.set_world([DrawItem(floor, np.eye(4))], [light])
            out.append(r.render_hdr(view).mean(axis=2))
        finally:
            r.release()
    return out


@pytest.mark.parametrize("kind", ["point", "wide spot"])
def test_shadow_maps_leave_an_open_floor_fully_lit(gl_context, kind):
    """A point light's six faces meet along 45 degree seams on the floor, and a 170 degree spot
    reaches past its map: a lookup across a face's edge or outside the map would draw lines or
    patches of shadow where nothing stands."""
    from previs.core.scene import Light

    if kind == "point":
        light = Light(
            name="bulb",
            type="point",
            color_linear=(1.0, 1.0, 1.0),
            intensity=50.0,
            position_m=(0.3, 1.5, -0.2),
            shadows=True,
        )
    else:
        light = Light(
            name="flood",
            type="spot",
            color_linear=(1.0, 1.0, 1.0),
            intensity=50.0,
            position_m=(0.3, 1.5, -0.2),
            direction=(0.0, -1.0, 0.0),
            beam_angle_deg=120.0,
            field_angle_deg=170.0,
            shadows=True,
        )
    shadowed, plain = _floor_lum_with_and_without_shadows(gl_context, light)
    lit = plain > 1e-4
    assert lit.mean() > 0.5
    ratio = shadowed[lit] / plain[lit]
    assert ratio.min() > 0.97, (
        f"{(ratio < 0.97).sum()} floor pixels darkened by a shadow of nothing"
    )


@pytest.mark.parametrize("frame_aspect", [2.39, 1.0])
def test_frame_lines_are_whole_pixels_and_mirror_each_other(gl_context, frame_aspect):
    """Letterbox (lines on the image's left and right borders) and pillarbox: every side of the
    frame line is the same number of whole pixels, 3 px centred on the edge where the image
    allows (2 px inside it on a border), and the safe areas 2 px."""
    from previs.render import Overlay

    w, h = 320, 180
    r = Renderer(w, h, antialias=False, ctx=gl_context)
    try:
        r.set_world([], [])
        view = CameraView(np.eye(4), math.radians(40), w / h, 0.05, 100.0)
        img = r.render(
            view, overlay=Overlay(frame_aspect=frame_aspect, safe_areas=True), read_depth=False
        ).color
    finally:
        r.release()
    white = np.all(img == 255, axis=2)
    mid_row, mid_col = white[h // 2], white[:, w // 2]

    def runs(line):
        edges = np.diff(np.r_[0, line.astype(int), 0])
        return list(np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1))

    across, down = runs(mid_row), runs(mid_col)
    assert across == across[::-1] and down == down[::-1], (across, down)
    if frame_aspect > w / h:  # letterbox: border lines left and right, full lines top and bottom
        assert across[0] == 2 and down[0] == 3, (across, down)
    else:  # pillarbox: full lines left and right, border lines top and bottom
        assert across[0] == 3 and down[0] == 2, (across, down)
