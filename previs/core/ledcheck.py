"""What the lens sees of the LED wall: moiré risk, wall distance and viewing angle, per frame.

Moiré (reference §4.2, thin lens): the LED grid of pitch ``p`` at depth ``D`` images onto the
sensor at ``p_img = p·f/(D − f)``, i.e. ``n_px = p_img / photosite pitch`` photosites per LED; the
wall's defocus blur when focused at ``s`` is ``b = f²·|D − s| / (N·D·(s − f))``, i.e.
``k = b / p_img`` LED pitches. Rating: ``k ≥ 1.5`` → low (defocus low-passes the grid); else
``n_px < 2`` → high (the grid is above luma Nyquist and aliases); ``2 ≤ n_px < 4`` → medium (chroma
aliasing on a Bayer sensor, a visible screen door); ``n_px ≥ 4`` → low (the grid resolves: little
aliasing, though a sharp grid may be visible).

Distances are depths along the lens axis (the plane of focus is perpendicular to it). The depth of
field uses the T-stop as the f-number (cine lenses are within about 1/3 stop), as optics.py says.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from previs.core import optics
from previs.core.scene import CurvedSection, FlatSection, LedVolume

BLUR_LOW_RISK_PITCHES = 1.5
RATINGS = ("low", "medium", "high")


@dataclass(frozen=True)
class MoireResult:
    wall_depth_m: float
    pitch_on_sensor_mm: float
    photosites_per_pitch: float
    blur_mm: float
    blur_in_pitches: float
    rating: str


def moire(
    pixel_pitch_mm: float,
    photosite_pitch_um: float,
    focal_length_mm: float,
    f_number: float,
    focus_m: float,
    wall_depth_m: float,
) -> MoireResult:
    """The moiré risk of a wall at ``wall_depth_m`` for one lens setting (see the module notes)."""
    p_img, n_px, blur, k, rating = (
        a[0]
        for a in moire_arrays(
            pixel_pitch_mm,
            photosite_pitch_um,
            focal_length_mm,
            f_number,
            focus_m,
            np.array([float(wall_depth_m)]),
        )
    )
    return MoireResult(
        wall_depth_m, float(p_img), float(n_px), float(blur), float(k), RATINGS[int(rating)]
    )


def moire_arrays(
    pixel_pitch_mm: float,
    photosite_pitch_um: float,
    focal_length_mm: float,
    f_number: float,
    focus_m: float,
    wall_depth_m: np.ndarray,
):
    """:func:`moire` for many wall depths at one lens setting, as arrays: the LED pitch on the
    sensor (mm), photosites per pitch, blur (mm), blur in pitches and the rating (index into
    RATINGS)."""
    f = focal_length_mm
    depth = np.asarray(wall_depth_m, dtype=np.float64)
    p_img = pixel_pitch_mm * f / np.maximum(depth * 1000.0 - f, 1e-9)
    n_px = p_img / (photosite_pitch_um / 1000.0)
    blur = optics.blur_circles_mm(f, f_number, focus_m, depth)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(p_img > 0, blur / np.where(p_img > 0, p_img, 1.0), np.inf)
    low, medium, high = (RATINGS.index(r) for r in ("low", "medium", "high"))
    rating = np.where(
        k >= BLUR_LOW_RISK_PITCHES,
        low,
        np.where(n_px < 2.0, high, np.where(n_px < 4.0, medium, low)),
    )
    return p_img, n_px, blur, k, rating


def worst_moire(
    pixel_pitch_mm: float,
    photosite_pitch_um: float,
    focal_length_mm: float,
    f_number: float,
    focus_m: float,
    wall_depths_m,
) -> tuple[np.ndarray, MoireResult]:
    """Rate many wall depths at one lens setting: (each depth's rating as an index into RATINGS,
    the worst of them as a MoireResult: the highest rating, then the fewest photosites per
    pitch, the first such). ``wall_depths_m`` must not be empty."""
    lens = (pixel_pitch_mm, photosite_pitch_um, focal_length_mm, f_number, focus_m)
    depths = np.asarray(wall_depths_m, dtype=np.float64).ravel()
    _, n_px, _, _, rating = moire_arrays(*lens, depths)
    top = np.flatnonzero(rating == rating.max())
    return rating, moire(*lens, float(depths[top[np.argmin(n_px[top])]]))


def worst(ratings) -> str:
    ratings = list(ratings)
    return max(ratings, key=RATINGS.index) if ratings else "low"


def facet_normals(volume: LedVolume, points: np.ndarray, section_index: np.ndarray) -> np.ndarray:
    """The lit-side normal of the LED surface at hit points (a curved section: towards its axis;
    a flat section: left of start→end seen from above; the ceiling: down)."""
    n = np.zeros_like(points)
    for i, sec in enumerate(volume.sections):
        sel = section_index == i
        if not np.any(sel):
            continue
        if isinstance(sec, CurvedSection):
            cx, cz = sec.center_xz_m
            v = np.c_[cx - points[sel, 0], np.zeros(sel.sum()), cz - points[sel, 2]]
            n[sel] = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        elif isinstance(sec, FlatSection):
            d = np.array(
                [sec.end_xz_m[0] - sec.start_xz_m[0], 0.0, sec.end_xz_m[1] - sec.start_xz_m[1]]
            )
            nn = np.cross([0.0, 1.0, 0.0], d)
            n[sel] = nn / np.linalg.norm(nn)
    n[section_index == len(volume.sections)] = (0.0, -1.0, 0.0)
    return n


@dataclass(frozen=True)
class WallView:
    """The LED surface as one frame sees it, on a grid of sample rays through the image."""

    hit: np.ndarray  # (rows, cols) bool: the ray's first LED hit (set occlusion not considered)
    depth_m: np.ndarray  # (rows, cols) depth along the lens axis, inf where no LED
    incidence_deg: np.ndarray  # (rows, cols) angle between the ray and the panel normal
    section: np.ndarray  # (rows, cols) section index, -1 none, len(sections) ceiling

    @property
    def share(self) -> float:
        return float(self.hit.mean())


def wall_view(
    volume: LedVolume,
    world_from_camera: np.ndarray,
    yfov_rad: float,
    aspect: float,
    cols: int = 48,
    rows: int = 27,
) -> WallView:
    """Cast a grid of rays through pixel centres of the (desqueezed) frame at the LED surfaces."""
    from previs.core.stage import wall_hit

    th = math.tan(yfov_rad / 2)
    u = ((np.arange(cols) + 0.5) / cols * 2 - 1) * th * aspect
    v = (1 - (np.arange(rows) + 0.5) / rows * 2) * th
    uu, vv = np.meshgrid(u, v)
    dirs_cam = np.stack([uu, vv, -np.ones_like(uu)], axis=-1)
    r = world_from_camera[:3, :3]
    dirs = dirs_cam @ r.T
    origin = world_from_camera[:3, 3]
    dist, sec = wall_hit(volume, np.broadcast_to(origin, dirs.shape), dirs, back_faces=True)
    hit = np.isfinite(dist)
    unit = dirs / np.linalg.norm(dirs, axis=-1, keepdims=True)
    depth = np.where(hit, dist * (unit @ -r[:, 2]), np.inf)
    pts = origin + unit * np.where(hit, dist, 0.0)[..., None]
    normals = facet_normals(volume, pts.reshape(-1, 3), sec.reshape(-1)).reshape(pts.shape)
    cosang = np.clip(np.abs(np.sum(-unit * normals, axis=-1)), 0.0, 1.0)
    incidence = np.where(hit, np.degrees(np.arccos(cosang)), np.nan)
    return WallView(hit=hit, depth_m=depth, incidence_deg=incidence, section=sec)


def inside_volume(volume: LedVolume, position_m) -> bool:
    """Whether a point is inside the LED volume: horizontal rays from it meet lit faces first."""
    from previs.core.stage import wall_hit

    p = np.asarray(position_m, dtype=np.float64)
    angles = np.radians(np.arange(0, 360, 15))
    dirs = np.c_[np.sin(angles), np.zeros_like(angles), np.cos(angles)]
    d_any, _ = wall_hit(volume, np.broadcast_to(p, dirs.shape), dirs, back_faces=True)
    d_lit, _ = wall_hit(volume, np.broadcast_to(p, dirs.shape), dirs, back_faces=False)
    hit = np.isfinite(d_any)
    # A back face met first means the point is behind the panels there.
    return not np.any(hit & (d_lit > d_any + 1e-9))


# ---------------------------------------------------------------- the wall as a light
def cube_directions(size: int) -> np.ndarray:
    """(6, size, size, 3) unit directions of cube-map texel centres, faces +X -X +Y -Y +Z -Z and
    rows in GL order (row 0 at t = 0), per the OpenGL cube-map face selection table."""
    c = (np.arange(size) + 0.5) / size * 2.0 - 1.0
    tc, sc = np.meshgrid(c, c, indexing="ij")  # rows follow t, columns s
    one = np.ones_like(sc)
    faces = [
        np.stack(f, axis=-1)
        for f in (
            (one, -tc, -sc),
            (-one, -tc, sc),
            (sc, one, tc),
            (sc, -one, -tc),
            (sc, -tc, one),
            (-sc, -tc, -one),
        )
    ]
    d = np.stack(faces)
    return d / np.linalg.norm(d, axis=-1, keepdims=True)


def cube_solid_angles(size: int) -> np.ndarray:
    """(6, size, size) solid angle of each texel (they sum to 4 pi)."""
    c0 = np.arange(size) / size * 2.0 - 1.0
    c1 = c0 + 2.0 / size

    def area(x, y):  # integral of dA / (1 + x^2 + y^2)^(3/2) from the origin to (x, y)
        return np.arctan2(x * y, np.sqrt(x * x + y * y + 1.0))

    x0, y0 = np.meshgrid(c0, c0, indexing="ij")
    x1, y1 = np.meshgrid(c1, c1, indexing="ij")
    a = area(x1, y1) - area(x0, y1) - area(x1, y0) + area(x0, y0)
    return np.broadcast_to(a, (6, size, size)).copy()


def led_radiance_cube(volume: LedVolume, eye_m, content: np.ndarray) -> np.ndarray:
    """The wall as the set sees it from ``eye_m``: content (6, S, S, 3) in nits where a ray meets
    an LED surface, black where it meets nothing (the stage around the volume is dark)."""
    seen = _panels_seen(volume, tuple(float(x) for x in eye_m), content.shape[1])
    return np.where(seen[..., None], content, 0.0)


@functools.lru_cache(maxsize=8)
def _panels_seen(volume: LedVolume, eye_m: tuple[float, float, float], size: int) -> np.ndarray:
    """(6, size, size): whether each cube texel's ray from ``eye_m`` meets an LED surface. Cached:
    a driving shot rebuilds the wall light every frame from the same stage point."""
    from previs.core.stage import wall_hit

    dirs = cube_directions(size)
    dist, _ = wall_hit(volume, np.broadcast_to(np.asarray(eye_m, float), dirs.shape), dirs)
    seen = np.isfinite(dist)
    seen.flags.writeable = False
    return seen


def cube_mips(cube: np.ndarray) -> list[np.ndarray]:
    """The mip chain of a (6, S, S, C) cube map (S a power of two) down to 1x1 texels, each level
    the 2x2 means of the one above, as OpenGL's glGenerateMipmap builds it."""
    size = np.shape(cube)[1]
    if size < 1 or size & (size - 1):
        raise ValueError(f"cube map faces of {size} texels: the mip chain needs a power of two")
    levels = [np.asarray(cube, np.float64)]
    while levels[-1].shape[1] > 1:
        a = levels[-1]
        n = a.shape[1] // 2
        levels.append(a.reshape(6, n, 2, n, 2, a.shape[-1]).mean(axis=(2, 4)))
    return levels


def sample_cube(cube: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Bilinear samples of a (6, S, S, C) cube map (faces and rows as :func:`cube_directions`)
    in ``directions`` (..., 3): the face of the major axis per the OpenGL selection table, taps
    clamped to that face's edge (no filtering across faces)."""
    d = np.asarray(directions, np.float64)
    return _gather(cube, *_cube_taps(cube.shape[1], d.reshape(-1, 3))).reshape(
        *d.shape[:-1], cube.shape[-1]
    )


def _gather(cube: np.ndarray, idx: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(N, C): the weighted taps (:func:`_cube_taps`) of a (6, S, S, C) cube."""
    flat = np.asarray(cube).reshape(-1, cube.shape[-1])
    return np.einsum("nk,nkc->nc", w, flat[idx])


def _cube_taps(n: int, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For (N, 3) directions into a cube of n x n faces: the four bilinear taps' indices into the
    cube flattened to (6 n n, C), and their weights, (N, 4) each."""
    x, y, z = d.T
    ax, ay, az = np.abs(d).T
    face = np.where(
        (ax >= ay) & (ax >= az),
        np.where(x > 0, 0, 1),
        np.where(ay >= az, np.where(y > 0, 2, 3), np.where(z > 0, 4, 5)),
    )
    ma = np.choose(face, [ax, ax, ay, ay, az, az])
    sc = np.choose(face, [-z, z, x, x, x, -x])
    tc = np.choose(face, [-y, -y, z, -z, -y, -y])
    fx = ((sc / ma + 1.0) * 0.5 * n - 0.5).clip(0.0, n - 1)
    fy = ((tc / ma + 1.0) * 0.5 * n - 0.5).clip(0.0, n - 1)
    x0, y0 = np.floor(fx).astype(int), np.floor(fy).astype(int)
    x1, y1 = np.minimum(x0 + 1, n - 1), np.minimum(y0 + 1, n - 1)
    wx, wy = fx - x0, fy - y0
    base = face * n * n
    idx = np.stack(
        [base + y0 * n + x0, base + y0 * n + x1, base + y1 * n + x0, base + y1 * n + x1], axis=1
    )
    w = np.stack([(1 - wx) * (1 - wy), wx * (1 - wy), (1 - wx) * wy, wx * wy], axis=1)
    return idx, w


@functools.lru_cache(maxsize=16)
def _octahedral_taps(n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_cube_taps` of an octahedral map's texel directions (cached: a driving shot
    rebuilds the wall light every frame with the same sizes)."""
    idx, w = _cube_taps(n, octahedral_directions(size).reshape(-1, 3))
    idx.flags.writeable = w.flags.writeable = False
    return idx, w


@functools.lru_cache(maxsize=4)
def octahedral_directions(size: int) -> np.ndarray:
    """(size, size, 3) unit directions of an octahedral map's texel centres (rows follow v), the
    folding of shaders/gbuffer_codec.glsl's oct_decode. Cached, read-only."""
    c = (np.arange(size) + 0.5) / size * 2.0 - 1.0
    ey, ex = np.meshgrid(c, c, indexing="ij")
    nz = 1.0 - np.abs(ex) - np.abs(ey)
    fold = nz < 0.0
    nx = np.where(fold, (1.0 - np.abs(ey)) * np.where(ex >= 0.0, 1.0, -1.0), ex)
    ny = np.where(fold, (1.0 - np.abs(ex)) * np.where(ey >= 0.0, 1.0, -1.0), ey)
    d = np.stack([nx, ny, nz], axis=-1)
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    d.flags.writeable = False
    return d


def radiance_octahedral(radiance: np.ndarray, size: int | None = None) -> np.ndarray:
    """(levels, size, size, 3): the radiance cube's mip chain (:func:`cube_mips`), each level
    resampled to an octahedral map of ``size`` texels a side (default twice the cube's face:
    about as many texels as the cube has, so the finest level is not point-sampled). The
    lighting shader reads it as one 3D texture, the level picked by roughness, with a plain
    trilinear lookup, which llvmpipe runs much faster than a cube-map lookup with a per-pixel
    level of detail (it samples those lane by lane)."""
    size = int(size or 2 * np.shape(radiance)[1])
    return np.stack(
        [
            _gather(level, *_octahedral_taps(level.shape[1], size)).reshape(
                size, size, level.shape[-1]
            )
            for level in cube_mips(radiance)
        ]
    )


def irradiance_cube(radiance: np.ndarray, size: int = 8) -> np.ndarray:
    """(6, size, size, 3) irradiance in lux for a surface facing each texel's direction:
    E(n) = sum L(w) max(0, n.w) dW over the radiance cube (nits)."""
    return (_irradiance_kernel(radiance.shape[1], size) @ radiance.reshape(-1, 3)).reshape(
        6, size, size, 3
    )


@functools.lru_cache(maxsize=4)
def _irradiance_kernel(src: int, size: int) -> np.ndarray:
    """(6 size^2, 6 src^2): max(0, n.w) dW for each output texel's normal n and each source
    texel's direction w and solid angle dW (cached: the same for every frame of a shot)."""
    w = cube_directions(src).reshape(-1, 3)
    n = cube_directions(size).reshape(-1, 3)
    k = np.clip(n @ w.T, 0.0, None) * cube_solid_angles(src).reshape(1, -1)
    k.flags.writeable = False
    return k
