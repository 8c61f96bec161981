"""OpenEXR frames for compositing: scene-linear colour and depth, with the camera in the header.

Channels: ``R``, ``G``, ``B`` (half float): scene-linear Rec.709 light (D65) times the camera's
exposure scale (T-stop, shutter, ISO; 0.18 is mid-grey), before any output transform or frame
line, as ``Renderer.render_linear`` gives it (``previs/exposureScale``: divide by it for nits).
``Z`` (float32): the distance along the lens axis in metres (the z of the camera's frame, not
the distance to the lens along the ray: what OpenEXR's ``Z`` means and Nuke's depth.Z holds when
its "depth" is set to distance); where nothing was drawn, :data:`EMPTY_DEPTH_M` (1e10 m: finite,
and 1/Z is 0 to float precision, for tools that want 1/z).

Header (the OpenEXR standard attributes, which Nuke shows as ``exr/<name>``):
``worldToCamera`` and ``worldToNDC`` (M44f, row vectors as Imath multiplies them; camera space
left-handed, +z along the view, NDC (0, 0) at the top left and (1, 1) at the bottom right of the
display window, as OpenEXR defines them; no ``chromaticities``: Rec.709 is the default),
``nominalFocalLength`` (mm), ``sensorOverallDimensions`` (mm, the image's width on the
sensor desqueezed, and its height), ``focus`` (m), ``tStop``, ``aperture`` (the T-stop standing
in for the f-number), ``expTime`` (s), ``shutterAngle`` (deg), ``isoSpeed``,
``framesPerSecond``/``captureRate``, ``timeCode``; then ``previs/shot``, ``previs/frame``,
``previs/timecode``, ``previs/exposureScale``, ``previs/colorSpace``, ``previs/depth``.
"""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from previs.core import transforms as tf
from previs.export.atomic import write_atomic

EMPTY_DEPTH_M = 1e10
COLOR_SPACE = "Linear Rec.709 (sRGB)"  # previs's working space, as OCIO's ACES configs name it
# Our camera looks down -z (right-handed); OpenEXR's camera space looks down +z (left-handed).
_EXR_FROM_CAMERA = np.diag([1.0, 1.0, -1.0, 1.0])
# Clip space to OpenEXR's NDC: x from [-w, w] to [0, w], y flipped (down) to [0, w].
_NDC_FROM_CLIP = np.array([[0.5, 0, 0, 0.5], [0, -0.5, 0, 0.5], [0, 0, 1, 0], [0, 0, 0, 1]], float)


def world_to_camera(world_from_camera: np.ndarray) -> np.ndarray:
    """OpenEXR's ``worldToCamera`` (row vectors: ``p_cam = p_world @ M``) for a previs camera."""
    # C order: the bindings copy the buffer as it lies in memory, whatever its strides
    return np.ascontiguousarray((_EXR_FROM_CAMERA @ np.linalg.inv(world_from_camera)).T, np.float32)


def world_to_ndc(
    world_from_camera: np.ndarray, yfov_rad: float, aspect: float, near_m: float, far_m: float
) -> np.ndarray:
    """OpenEXR's ``worldToNDC`` (row vectors; divide x and y by w, discard z)."""
    clip = tf.perspective(yfov_rad, aspect, near_m, far_m) @ np.linalg.inv(world_from_camera)
    return np.ascontiguousarray((_NDC_FROM_CLIP @ clip).T, np.float32)


def _timecode(state):
    """OpenEXR's TimeCode of the frame (hours, minutes, seconds, frames, drop frame)."""
    import OpenEXR

    text = state.timecode
    drop = ";" in text
    h, m, s, f = (int(v) for v in text.replace(";", ":").split(":"))
    return OpenEXR.TimeCode(h, m, s, f, int(drop), *([0] * 13))


def exr_header(state, scene_name: str = "") -> dict:
    """The header attributes of a frame's EXR (see the module's docstring)."""
    import OpenEXR

    rate = Fraction(state.frame_rate)
    w, h = state.image_size(1000)
    aspect = w / h
    sensor_w = state.mode.width_mm * state.squeeze  # desqueezed: the image's width on the sensor
    f32 = np.float32
    header = {
        "compression": OpenEXR.ZIP_COMPRESSION,
        "type": OpenEXR.scanlineimage,
        "worldToCamera": world_to_camera(state.world_from_camera),
        "worldToNDC": world_to_ndc(
            state.world_from_camera, state.yfov_rad, aspect, state.near_m, state.far_m
        ),
        "nominalFocalLength": float(state.focal_length_mm),
        "sensorOverallDimensions": np.array([sensor_w, sensor_w / aspect], f32),
        "focus": float(state.focus_m),
        "tStop": float(state.t_stop),
        "aperture": float(state.t_stop),
        "expTime": float(state.shutter_angle_deg / 360.0 / rate),
        "shutterAngle": float(state.shutter_angle_deg),
        "isoSpeed": float(state.iso),
        "framesPerSecond": rate,
        "captureRate": rate,
        "timeCode": _timecode(state),
        "previs/shot": str(state.shot_id),
        "previs/frame": int(state.frame),
        "previs/timecode": state.timecode,
        "previs/exposureScale": float(state.exposure_scale),
        "previs/colorSpace": COLOR_SPACE,
        "previs/depth": f"Z: metres along the view axis; {EMPTY_DEPTH_M:g} where empty",
    }
    if scene_name:
        header["previs/scene"] = scene_name
    return header


def encode_exr(rgb: np.ndarray, depth_m: np.ndarray, header: dict) -> bytes:
    """An EXR file's bytes: ``rgb`` (H, W, 3) as half R, G, B and ``depth_m`` (H, W) as float32
    Z (inf becomes :data:`EMPTY_DEPTH_M`), row 0 at the top."""
    import OpenEXR

    z = np.array(depth_m, np.float32)
    z[~np.isfinite(z)] = EMPTY_DEPTH_M
    rgb = np.asarray(rgb, np.float32).astype(np.float16)
    channels = {
        "R": np.ascontiguousarray(rgb[..., 0]),
        "G": np.ascontiguousarray(rgb[..., 1]),
        "B": np.ascontiguousarray(rgb[..., 2]),
        "Z": z,
    }
    # OpenEXR writes to a path: a private temporary folder, read back whole.
    with tempfile.TemporaryDirectory(prefix="previs-exr-") as tmp:
        path = Path(tmp) / "frame.exr"
        OpenEXR.File(header, channels).write(str(path))
        return path.read_bytes()


def write_exr(path, rgb: np.ndarray, depth_m: np.ndarray, state, scene_name: str = "") -> Path:
    """A frame's EXR at ``path``, written whole (previs.export.atomic)."""
    path = Path(path)
    write_atomic(path, encode_exr(rgb, depth_m, exr_header(state, scene_name)))
    return path


__all__ = [
    "EMPTY_DEPTH_M",
    "encode_exr",
    "exr_header",
    "world_to_camera",
    "world_to_ndc",
    "write_exr",
]
