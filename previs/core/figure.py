"""An articulated mannequin: skeleton from stature, named poses, blending, a walk cycle, looks.

Pure numpy, no GL and no files: :mod:`previs.core.frame` poses every character at every frame
with it, the renderer draws the posed segments (:mod:`previs.io.figure_mesh`), the plans and the
analyses read joint positions.

**Proportions.** Joint heights and segment lengths are fractions of stature H after Drillis &
Contini (1966), as drawn in Winter, *Biomechanics and Motor Control of Human Movement* (4th ed.,
2009), fig. 4.1: eye 0.936, chin 0.870, shoulder 0.818, elbow 0.630, wrist 0.485, hip (greater
trochanter) 0.530, knee 0.285, ankle 0.039; shoulder width 0.259, hip width 0.191, upper arm
0.186, forearm 0.146, hand 0.108, thigh 0.245, shank 0.246, foot length 0.152. The hip joint
centres sit ``HIP_HALF_WIDTH`` = 0.055 H either side of the midline (inside the trochanters).

**Axes.** A character stands at its root (on the floor, under the pelvis) facing +Z with +Y up,
its left towards +X; its world matrix is ``translation(position) @ rotation_y(heading)``
(heading 0 = +Z, positive turns towards +X, as :func:`previs.core.moves.walk_path`). Joint
rotations are Euler angles in degrees ``(x, y, z)`` applied as ``Ry @ Rx @ Rz`` in the parent's
frame: a negative x swings a hanging limb forward, a positive x bends a knee back; +z swings the
left arm out (the right arm out is -z); +y turns to the character's left.

**Gait.** Stride (two steps) from speed and cadence: walking keeps the walk ratio (step length
over cadence) nearly constant across speeds (Sekiya & Nagasaki 1998, *Gait & Posture* 7:225);
we take 0.0060 m per step/min for a 1.70 m adult, scaled by stature, so at 1.4 m/s a 1.70 m
walker takes 0.71 m steps at 118 steps/min (the normal adult values of Whittle, *Gait
Analysis*). Running holds cadence near 170 steps/min and lengthens the step with speed (Cavanagh
& Kram 1989). A stance foot is planted: it stays put on the floor while the body passes over it
(heel strike, foot flat, heel off about the ball), the legs reach it by two-bone inverse
kinematics, and the cycle's phase advances with the distance walked, not with time.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from previs.core.transforms import vec3

# ---------------------------------------------------------------- proportions (fractions of H)
EYE_FRACTION = 0.936
CHIN_FRACTION = 0.870
SHOULDER_FRACTION = 0.818
ELBOW_FRACTION = 0.630
WRIST_FRACTION = 0.485
HIP_FRACTION = 0.530
KNEE_FRACTION = 0.285
ANKLE_FRACTION = 0.039
SHOULDER_HALF_WIDTH = 0.259 / 2
HIP_HALF_WIDTH = 0.055
HAND_FRACTION = 0.108
FOOT_FRACTION = 0.152
HEEL_BACK = 0.035  # heel behind the ankle
BALL_FORWARD = 0.085  # ball of the foot ahead of the ankle
EYE_FORWARD = 0.045  # eyes ahead of the neck's axis
THIGH_RADIUS = 0.042  # the mannequin's thigh, for where a sitter's seat meets it

# name, parent, rest offset from the parent in H (character frame, standing)
JOINTS: tuple[tuple[str, str | None, tuple[float, float, float]], ...] = (
    ("pelvis", None, (0.0, HIP_FRACTION, 0.0)),
    ("spine", "pelvis", (0.0, 0.09, 0.0)),
    ("chest", "spine", (0.0, 0.10, 0.0)),
    ("neck", "chest", (0.0, SHOULDER_FRACTION - 0.72, 0.0)),
    ("head", "neck", (0.0, CHIN_FRACTION - SHOULDER_FRACTION, 0.0)),
    ("shoulder_l", "chest", (SHOULDER_HALF_WIDTH, SHOULDER_FRACTION - 0.72, 0.0)),
    ("elbow_l", "shoulder_l", (0.0, ELBOW_FRACTION - SHOULDER_FRACTION, 0.0)),
    ("wrist_l", "elbow_l", (0.0, WRIST_FRACTION - ELBOW_FRACTION, 0.0)),
    ("shoulder_r", "chest", (-SHOULDER_HALF_WIDTH, SHOULDER_FRACTION - 0.72, 0.0)),
    ("elbow_r", "shoulder_r", (0.0, ELBOW_FRACTION - SHOULDER_FRACTION, 0.0)),
    ("wrist_r", "elbow_r", (0.0, WRIST_FRACTION - ELBOW_FRACTION, 0.0)),
    ("hip_l", "pelvis", (HIP_HALF_WIDTH, 0.0, 0.0)),
    ("knee_l", "hip_l", (0.0, KNEE_FRACTION - HIP_FRACTION, 0.0)),
    ("ankle_l", "knee_l", (0.0, ANKLE_FRACTION - KNEE_FRACTION, 0.0)),
    ("hip_r", "pelvis", (-HIP_HALF_WIDTH, 0.0, 0.0)),
    ("knee_r", "hip_r", (0.0, KNEE_FRACTION - HIP_FRACTION, 0.0)),
    ("ankle_r", "knee_r", (0.0, ANKLE_FRACTION - KNEE_FRACTION, 0.0)),
)
JOINT_NAMES = tuple(j[0] for j in JOINTS)
JOINT_INDEX = {n: i for i, n in enumerate(JOINT_NAMES)}
_PARENT = tuple(-1 if p is None else JOINT_INDEX[p] for _, p, _ in JOINTS)
_OFFSET = np.array([o for _, _, o in JOINTS], dtype=np.float64)
# End points carried by a joint's frame (in H): what the mesh and the plans need beyond joints.
ENDS: dict[str, tuple[str, tuple[float, float, float]]] = {
    "eye": ("head", (0.0, EYE_FRACTION - CHIN_FRACTION, EYE_FORWARD)),
    "crown": ("head", (0.0, 1.0 - CHIN_FRACTION, 0.0)),
    "hand_l": ("wrist_l", (0.0, -HAND_FRACTION, 0.0)),
    "hand_r": ("wrist_r", (0.0, -HAND_FRACTION, 0.0)),
    "heel_l": ("ankle_l", (0.0, -ANKLE_FRACTION, -HEEL_BACK)),
    "heel_r": ("ankle_r", (0.0, -ANKLE_FRACTION, -HEEL_BACK)),
    "toe_l": ("ankle_l", (0.0, -ANKLE_FRACTION, FOOT_FRACTION - HEEL_BACK)),
    "toe_r": ("ankle_r", (0.0, -ANKLE_FRACTION, FOOT_FRACTION - HEEL_BACK)),
}
THIGH_M_PER_H = HIP_FRACTION - KNEE_FRACTION
SHANK_M_PER_H = KNEE_FRACTION - ANKLE_FRACTION

POSES = ("stand", "walk", "run", "sit", "kneel", "lie", "lean", "point", "reach", "arms_crossed")
"""The named poses a character takes (``walk`` and ``run`` cycle while the character walks)."""
GAITS = ("walk", "run")

# Speeds (m/s) a person covers ground at, for previs' plausibility warnings: preferred walking is
# 1.2-1.5 m/s and people switch to a run near 2.0 m/s (Thorstensson & Roberthson 1987: 1.9-2.1);
# below 0.5 m/s a walk reads as a shuffle; actors running for camera rarely pass 7 m/s (trained
# sprinters peak near 10-12 m/s).
WALK_SPEED_MPS = (0.5, 2.0)
RUN_SPEED_MPS = (2.0, 7.0)
DEFAULT_SPEED_MPS = {"walk": 1.4, "run": 3.5}
WALK_RATIO_M_PER_SPM = 0.0060  # step length over cadence (m per step/min) at H = 1.70 m
RUN_CADENCE_SPM = 170.0
DUTY = {"walk": 0.62, "run": 0.36}  # share of the cycle a foot is on the floor
CLEARANCE = {"walk": 0.04, "run": 0.10}  # swing foot lift, in H


def stride_m(speed_mps: float, height_m: float, gait: str = "walk") -> float:
    """Stride (two steps, heel strike to the same heel's next strike) at ``speed_mps``."""
    v = max(float(speed_mps), 1e-3)
    if gait == "run":
        return 2.0 * v / (RUN_CADENCE_SPM / 60.0)
    ratio = WALK_RATIO_M_PER_SPM * float(height_m) / 1.70
    return 2.0 * math.sqrt(v * 60.0 * ratio)  # step = sqrt(v · 60 · ratio), cadence = step / ratio


def cadence_spm(speed_mps: float, height_m: float, gait: str = "walk") -> float:
    """Steps per minute at ``speed_mps`` (:func:`stride_m`)."""
    return 60.0 * speed_mps / (stride_m(speed_mps, height_m, gait) / 2.0)


# ---------------------------------------------------------------- rotations
def _rot(deg) -> np.ndarray:
    """``Ry @ Rx @ Rz`` of ``(x, y, z)`` degrees (3x3)."""
    x, y, z = (math.radians(float(a)) for a in deg)
    cx, sx, cy, sy, cz, sz = (
        math.cos(x),
        math.sin(x),
        math.cos(y),
        math.sin(y),
        math.cos(z),
        math.sin(z),
    )
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return ry @ rx @ rz


# ---------------------------------------------------------------- a pose: plain numbers
@dataclass(frozen=True, eq=False)
class Pose:
    """Joint angles (``(len(JOINTS), 3)`` degrees) and where the pelvis is in the character's
    frame (metres); ``body_deg`` turns the whole body about the pelvis (lying down, leaning).
    Blending two poses blends these numbers (:func:`blend`)."""

    angles_deg: np.ndarray
    pelvis_m: np.ndarray
    body_deg: np.ndarray

    def angle(self, joint: str) -> np.ndarray:
        return self.angles_deg[JOINT_INDEX[joint]]


_Angles = dict[str, tuple[float, float, float]]
"""Joint name to (x, y, z) Euler angles, degrees."""


def _pose(
    height_m: float,
    angles: _Angles,
    pelvis_y_m: float | None = None,
    body_deg=(0, 0, 0),
    pelvis_xz_m=(0.0, 0.0),
) -> Pose:
    a = np.zeros((len(JOINTS), 3))
    for name, v in angles.items():
        a[JOINT_INDEX[name]] = v
    y = HIP_FRACTION * height_m if pelvis_y_m is None else pelvis_y_m
    return Pose(
        a, np.array([pelvis_xz_m[0], y, pelvis_xz_m[1]], float), np.asarray(body_deg, float)
    )


def blend(a: Pose, b: Pose, t: float) -> Pose:
    """``a`` at 0, ``b`` at 1; angles blended linearly (poses are near enough for Euler angles)."""
    t = float(min(max(t, 0.0), 1.0))
    return Pose(
        a.angles_deg + (b.angles_deg - a.angles_deg) * t,
        a.pelvis_m + (b.pelvis_m - a.pelvis_m) * t,
        a.body_deg + (b.body_deg - a.body_deg) * t,
    )


def _arms_down() -> _Angles:
    return {
        "shoulder_l": (0, 0, 6),
        "shoulder_r": (0, 0, -6),
        "elbow_l": (-8, 0, 0),
        "elbow_r": (-8, 0, 0),
    }


def seated_hip_height_m(seat_height_m: float, height_m: float) -> float:
    """Hip-joint height of a sitter whose thighs rest on a seat ``seat_height_m`` above its feet."""
    return float(seat_height_m) + THIGH_RADIUS * float(height_m)


def named_pose(
    name: str,
    height_m: float,
    *,
    seat_height_m: float | None = None,
    point_dir: np.ndarray | None = None,
) -> Pose:
    """A named pose for a figure of ``height_m``. ``sit`` needs ``seat_height_m`` (above the
    floor the character stands on; None: a chair-height 0.46 m); ``point``/``reach`` aim the
    right arm along ``point_dir`` (character frame) when given, else straight ahead."""
    h = float(height_m)
    arms = _arms_down()
    if name == "stand":
        return _pose(h, arms)
    if name in GAITS:
        return walk_cycle_pose(h, 0.25, stride_m(DEFAULT_SPEED_MPS[name], h, name), name)
    if name == "sit":
        seat = 0.46 if seat_height_m is None else float(seat_height_m)
        hip_y = seated_hip_height_m(seat, h)
        thigh, shank = THIGH_M_PER_H * h, SHANK_M_PER_H * h
        drop = hip_y - ANKLE_FRACTION * h  # hip to ankle height, thighs level
        # Feet flat on the floor: the shin leans forward when the seat is low; on a high seat
        # the feet hang below the knees.
        lean = math.degrees(math.acos(min(1.0, drop / shank))) if drop < shank else 0.0
        knee = 90.0 - lean
        angles: _Angles = {
            "hip_l": (-90, 0, 3),
            "hip_r": (-90, 0, -3),
            "knee_l": (knee, 0, 0),
            "knee_r": (knee, 0, 0),
            "ankle_l": (lean, 0, 0),
            "ankle_r": (lean, 0, 0),
            "spine": (4, 0, 0),
            "shoulder_l": (-28, 0, 8),
            "shoulder_r": (-28, 0, -8),
            "elbow_l": (-48, 0, 0),
            "elbow_r": (-48, 0, 0),
        }
        # the pelvis a little behind the root so the thighs (and hips) sit over the seat's centre
        return _pose(h, angles, hip_y, pelvis_xz_m=(0.0, -0.5 * thigh * 0.3))
    if name == "kneel":
        thigh = THIGH_M_PER_H * h
        knee_r = 0.03 * h  # the kneecap's thickness off the floor
        angles = {
            "knee_l": (90, 0, 0),
            "knee_r": (90, 0, 0),
            "ankle_l": (40, 0, 0),
            "ankle_r": (40, 0, 0),
            "hip_l": (0, 0, 4),
            "hip_r": (0, 0, -4),
            **arms,
        }
        return _pose(h, angles, knee_r + thigh)
    if name == "lie":
        angles = {
            "shoulder_l": (0, 0, 10),
            "shoulder_r": (0, 0, -10),
            "ankle_l": (20, 0, 0),
            "ankle_r": (20, 0, 0),
            "head": (-8, 0, 0),
        }
        # on its back, head towards -Z of its own frame, pelvis a torso's half-depth up
        return _pose(h, angles, 0.075 * h, body_deg=(-90, 0, 0), pelvis_xz_m=(0.0, 0.0))
    if name == "lean":
        # weight back against a wall or post behind, one knee bent, hands by the hips
        angles = {
            "hip_l": (-28, 0, 4),
            "knee_l": (50, 0, 0),
            "ankle_l": (-12, 0, 0),
            "hip_r": (6, 0, -3),
            "ankle_r": (-6, 0, 0),
            "chest": (-4, 0, 0),
            "head": (6, 0, 0),
            "shoulder_l": (12, 0, 14),
            "shoulder_r": (12, 0, -14),
            "elbow_l": (-30, 0, 0),
            "elbow_r": (-30, 0, 0),
        }
        return _pose(h, angles, body_deg=(-9, 0, 0))
    if name in ("point", "reach"):
        d = (
            np.array([0.0, -0.05 if name == "point" else -0.55, 1.0])
            if point_dir is None
            else np.asarray(point_dir, float)
        )
        d = d / max(np.linalg.norm(d), 1e-9)
        # Shoulder angles that take the hanging arm (0, -1, 0) to d: Ry(yaw) @ Rx(pitch) @ down.
        pitch = -math.degrees(math.atan2(math.hypot(d[0], d[2]), -d[1]))
        yaw = math.degrees(math.atan2(d[0], d[2]))
        angles = {
            **arms,
            "shoulder_r": (pitch, yaw, 0),
            "elbow_r": (-5 if name == "point" else -15, 0, 0),
            "chest": (0, 0.25 * max(-40.0, min(40.0, yaw)), 0),
        }
        if name == "reach":
            angles["spine"] = (10, 0, 0)
        return _pose(h, angles)
    if name == "arms_crossed":
        angles = {
            "shoulder_l": (-22, -62, 10),
            "shoulder_r": (-22, 62, -10),
            "elbow_l": (-112, 0, 0),
            "elbow_r": (-112, 0, 0),
        }
        return _pose(h, angles)
    raise ValueError(f"unknown pose '{name}'")


# ---------------------------------------------------------------- the walk cycle
def _smooth(s):
    return s * s * (3 - 2 * s)


def _foot_track(psi: float, a: float, h: float, gait: str) -> tuple[float, float, float]:
    """Ankle (z forward, y up) relative to the hip's floor point and the foot's pitch (deg, toes
    up +) at leg phase ``psi`` (0 = heel strike). ``a``: half the distance the body travels over
    a planted foot."""
    d = DUTY[gait]
    ank = ANKLE_FRACTION * h
    heel, ball = HEEL_BACK * h, BALL_FORWARD * h
    heel_pitch, toe_pitch = (14.0, -32.0) if gait == "walk" else (6.0, -40.0)

    def stance(s):
        flat_z = a - 2 * a * s  # the planted ankle as the hip passes over it
        if s < 0.12:  # rolling down about the heel
            p = heel_pitch * (1 - s / 0.12)
            pz, py, qz, qy = flat_z - heel, 0.0, heel, ank
        elif s > 0.55:  # heel off, rolling about the ball
            p = toe_pitch * (s - 0.55) / 0.45
            pz, py, qz, qy = flat_z + ball, 0.0, -ball, ank
        else:
            return flat_z, ank, 0.0
        r = math.radians(p)
        return (
            pz + qz * math.cos(r) - qy * math.sin(r),
            py + qz * math.sin(r) + qy * math.cos(r),
            p,
        )

    if psi < d:
        return stance(psi / d)
    s = (psi - d) / (1 - d)
    z0, y0, p0 = stance(1.0)
    z1, y1, p1 = stance(0.0)
    k = _smooth(s)
    return (
        z0 + (z1 - z0) * k,
        y0 + (y1 - y0) * k + CLEARANCE[gait] * h * math.sin(math.pi * s),
        p0 + (p1 - p0) * k,
    )


@functools.lru_cache(maxsize=64)
def _pelvis_heights(h: float, stride: float, gait: str) -> np.ndarray:
    """Pelvis height over the cycle (200 samples): as high as the stance legs reach (97 % of
    the leg), no higher than standing; a run's flight arcs between take-off and landing."""
    n = 200
    a = DUTY[gait] * stride / 2
    reach = 0.97 * (THIGH_M_PER_H + SHANK_M_PER_H) * h
    out = np.full(n, np.nan)
    for i in range(n):
        phi = i / n
        best = math.inf
        for off in (0.0, 0.5):
            psi = (phi + off) % 1.0
            if psi < DUTY[gait]:
                z, y, _ = _foot_track(psi, a, h, gait)
                best = min(best, y + math.sqrt(max(reach * reach - z * z, 0.0)))
        if best < math.inf:
            out[i] = min(best, HIP_FRACTION * h)
    good = ~np.isnan(out)
    if not good.all():  # flight: interpolate round the cycle, plus a small arc
        idx = np.arange(n)
        out = np.interp(idx, idx[good], out[good], period=n)
        gaps = ~good
        runs = np.flatnonzero(np.diff(np.r_[0, gaps.astype(int), 0]))
        for s0, s1 in zip(runs[::2], runs[1::2], strict=True):
            k = np.arange(s0, s1)
            out[k] += 0.02 * h * np.sin(np.pi * (k - s0 + 1) / (s1 - s0 + 1))
    return out


def _leg_ik(hip_y: float, ank_z: float, ank_y: float, h: float) -> tuple[float, float]:
    """(thigh angle forward of vertical, knee flexion), degrees, reaching the ankle."""
    lt, ls = THIGH_M_PER_H * h, SHANK_M_PER_H * h
    dz, dy = ank_z, hip_y - ank_y
    dist = min(math.hypot(dz, dy), (lt + ls) * 0.9999)
    knee = math.pi - math.acos(
        max(-1.0, min(1.0, (lt * lt + ls * ls - dist * dist) / (2 * lt * ls)))
    )
    beta = math.atan2(dz, dy)
    gamma = math.acos(
        max(-1.0, min(1.0, (lt * lt + dist * dist - ls * ls) / (2 * lt * max(dist, 1e-9))))
    )
    return math.degrees(beta + gamma), math.degrees(knee)


def walk_cycle_pose(height_m: float, phase: float, stride: float, gait: str = "walk") -> Pose:
    """The walk (or run) cycle at ``phase`` (strides; 0 = the left heel strikes) for a stride of
    ``stride`` metres: planted feet, legs by two-bone IK, arms swinging against the legs."""
    h = float(height_m)
    phi = float(phase) % 1.0
    a = DUTY[gait] * stride / 2
    heights = _pelvis_heights(round(h, 4), round(float(stride), 4), gait)
    i = phi * len(heights)
    i0 = int(i) % len(heights)
    hip_y = float(heights[i0] + (heights[(i0 + 1) % len(heights)] - heights[i0]) * (i - int(i)))
    angles: dict = {}
    swing: dict = {}
    for side, off in (("l", 0.0), ("r", 0.5)):
        z, y, pitch = _foot_track((phi + off) % 1.0, a, h, gait)
        thigh, knee = _leg_ik(hip_y, z, y, h)
        angles[f"hip_{side}"] = (-thigh, 0, 0)
        angles[f"knee_{side}"] = (knee, 0, 0)
        angles[f"ankle_{side}"] = (thigh - knee - pitch, 0, 0)
        swing[side] = z / max(a, 1e-6)  # +1 foot ahead .. -1 behind
    amp, elbow = (24.0, -18.0) if gait == "walk" else (40.0, -85.0)
    # each arm swings with the opposite leg
    angles["shoulder_l"] = (-amp * swing["r"], 0, 8)
    angles["shoulder_r"] = (-amp * swing["l"], 0, -8)
    angles["elbow_l"] = (elbow - (8 if gait == "walk" else 10) * max(0.0, swing["r"]), 0, 0)
    angles["elbow_r"] = (elbow - (8 if gait == "walk" else 10) * max(0.0, swing["l"]), 0, 0)
    lean = 3.0 if gait == "walk" else 10.0
    angles["spine"] = (lean, 0, 0)
    # the shoulders turn against the step (the pelvis stays square: it carries the planted feet)
    angles["chest"] = (0, -5.0 * (swing["l"] - swing["r"]) / 2, 0)
    angles["head"] = (-lean * 0.8, 0, 0)
    return _pose(h, angles, hip_y)


# ---------------------------------------------------------------- forward kinematics
@dataclass(frozen=True, eq=False)
class Posed:
    """A posed figure in world space: every joint's position and rotation (world from joint)."""

    positions_m: np.ndarray  # (len(JOINTS), 3)
    rotations: np.ndarray  # (len(JOINTS), 3, 3)
    height_m: float

    def joint(self, name: str) -> np.ndarray:
        return self.positions_m[JOINT_INDEX[name]]

    def point(self, end: str) -> np.ndarray:
        """An end point (:data:`ENDS`: eye, crown, hand_l, heel_r, toe_l, ...) in world metres."""
        j, off = ENDS[end]
        k = JOINT_INDEX[j]
        return self.positions_m[k] + self.rotations[k] @ (np.asarray(off) * self.height_m)

    @property
    def eye_m(self) -> np.ndarray:
        return self.point("eye")

    @property
    def gaze(self) -> np.ndarray:
        """Unit world direction the face points (the head's +Z)."""
        return self.rotations[JOINT_INDEX["head"]][:, 2].copy()

    def joints_dict(self) -> dict[str, np.ndarray]:
        return {n: self.positions_m[i] for i, n in enumerate(JOINT_NAMES)}


def pose_figure(
    pose: Pose,
    height_m: float,
    world_from_root: np.ndarray,
    head_yaw_deg: float = 0.0,
    head_pitch_deg: float = 0.0,
) -> Posed:
    """Forward kinematics: ``pose`` placed by ``world_from_root`` (4x4, rigid). The head turns by
    ``head_yaw_deg`` (+ to the character's left) and ``head_pitch_deg`` (+ up) on top of the
    pose; a yaw past 60 deg takes a third of the rest from the chest, as people do."""
    h = float(height_m)
    m = np.asarray(world_from_root, dtype=np.float64)
    r_root = m[:3, :3]
    angles = pose.angles_deg.copy()
    yaw = float(head_yaw_deg)
    extra = math.copysign(max(abs(yaw) - 60.0, 0.0) / 3.0, yaw)
    angles[JOINT_INDEX["head"]] += (-float(head_pitch_deg), yaw - extra, 0.0)
    angles[JOINT_INDEX["chest"]] += (0.0, extra, 0.0)
    n = len(JOINTS)
    pos = np.empty((n, 3))
    rot = np.empty((n, 3, 3))
    for i in range(n):
        local = _rot(angles[i])
        p = _PARENT[i]
        if p < 0:
            rot[i] = r_root @ _rot(pose.body_deg) @ local
            pos[i] = m[:3, 3] + r_root @ pose.pelvis_m
        else:
            rot[i] = rot[p] @ local
            pos[i] = pos[p] + rot[p] @ (_OFFSET[i] * h)
    return Posed(pos, rot, h)


def root_matrix(position_m, heading_deg: float) -> np.ndarray:
    """World from a character's root: on the floor at ``position_m``, facing ``heading_deg``."""
    c, s = math.cos(math.radians(heading_deg)), math.sin(math.radians(heading_deg))
    m = np.eye(4)
    m[:3, :3] = [[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]]
    m[:3, 3] = np.asarray(position_m, float)
    return m


def look_angles(posed_root: np.ndarray, neck_m: np.ndarray, target_m) -> tuple[float, float]:
    """(yaw, pitch) degrees that turn a head at ``neck_m`` on a body placed by ``posed_root``
    (world from the chest or root) towards ``target_m``; yaw held to +-110, pitch to +-60."""
    d = np.asarray(target_m, float) - np.asarray(neck_m, float)
    local = np.asarray(posed_root)[:3, :3].T @ d
    yaw = math.degrees(math.atan2(local[0], local[2]))
    pitch = math.degrees(math.atan2(local[1], math.hypot(local[0], local[2])))
    return max(-110.0, min(110.0, yaw)), max(-60.0, min(60.0, pitch))


def seat_contact_height_m(posed: Posed) -> float:
    """Where a sitter meets the seat: under the hip joints by the thigh's radius."""
    return float(
        0.5 * (posed.joint("hip_l")[1] + posed.joint("hip_r")[1]) - THIGH_RADIUS * posed.height_m
    )


# ---------------------------------------------------------------- the mannequin's segments
# (name, from joint or end, to joint or end, radius in H): what the mesh draws and the analyses
# trace rays against. A segment moves rigidly with its first joint.
SEGMENTS: tuple[tuple[str, str, str, float], ...] = (
    ("pelvis", "hip_l", "hip_r", 0.062),
    ("abdomen", "pelvis", "spine", 0.072),
    ("torso", "spine", "chest", 0.085),
    ("chest", "chest", "neck", 0.078),
    ("neck", "neck", "head", 0.032),
    ("upper_arm_l", "shoulder_l", "elbow_l", 0.028),
    ("forearm_l", "elbow_l", "wrist_l", 0.024),
    ("hand_l", "wrist_l", "hand_l", 0.02),
    ("upper_arm_r", "shoulder_r", "elbow_r", 0.028),
    ("forearm_r", "elbow_r", "wrist_r", 0.024),
    ("hand_r", "wrist_r", "hand_r", 0.02),
    ("thigh_l", "hip_l", "knee_l", THIGH_RADIUS),
    ("shin_l", "knee_l", "ankle_l", 0.032),
    ("thigh_r", "hip_r", "knee_r", THIGH_RADIUS),
    ("shin_r", "knee_r", "ankle_r", 0.032),
)
SEGMENT_JOINT = {
    "pelvis": "pelvis",
    "torso": "spine",
    "chest": "chest",
    "neck": "neck",
    "upper_arm_l": "shoulder_l",
    "forearm_l": "elbow_l",
    "hand_l": "wrist_l",
    "upper_arm_r": "shoulder_r",
    "forearm_r": "elbow_r",
    "hand_r": "wrist_r",
    "thigh_l": "hip_l",
    "shin_l": "knee_l",
    "thigh_r": "hip_r",
    "shin_r": "knee_r",
    "head": "head",
    "foot_l": "ankle_l",
    "foot_r": "ankle_r",
    "shoulders": "chest",
}
"""The joint each rigid mesh piece moves with (the mesh builds every piece in the rest pose)."""
# analysis body parts by segment (previs.core.analysis's words)
PART_OF_SEGMENT = {
    "pelvis": "torso",
    "abdomen": "torso",
    "torso": "torso",
    "chest": "torso",
    "neck": "neck",
    "head": "head",
    "upper_arm_l": "arm",
    "upper_arm_r": "arm",
    "forearm_l": "arm",
    "forearm_r": "arm",
    "hand_l": "arm",
    "hand_r": "arm",
    "thigh_l": "leg",
    "thigh_r": "leg",
    "shin_l": "leg",
    "shin_r": "leg",
}


def rest_posed(height_m: float) -> Posed:
    """The figure standing at rest (all angles 0) at the origin, facing +Z."""
    return pose_figure(_pose(height_m, {}), height_m, np.eye(4))


def segment_matrices(posed: Posed) -> dict[str, np.ndarray]:
    """World matrix of each rigid mesh piece (:data:`SEGMENT_JOINT`): joint world transform
    times the inverse of that joint's rest transform, so a piece built at rest lands posed."""
    rest = rest_posed(posed.height_m)
    out = {}
    for seg, j in SEGMENT_JOINT.items():
        k = JOINT_INDEX[j]
        m = np.eye(4)
        m[:3, :3] = posed.rotations[k] @ rest.rotations[k].T
        m[:3, 3] = posed.positions_m[k] - m[:3, :3] @ rest.positions_m[k]
        out[seg] = m
    return out


# ---------------------------------------------------------------- default palette
CHARACTER_COLOURS_SRGB8: tuple[tuple[int, int, int], ...] = (
    (213, 94, 0),
    (0, 114, 178),
    (204, 121, 167),
    (0, 158, 115),
    (230, 159, 0),
    (86, 180, 233),
    (120, 48, 140),
    (90, 90, 90),
)
"""Characters' colours where the scene states none: Okabe & Ito's colour-blind-safe set
(vermillion, blue, reddish purple, bluish green, orange, sky blue; its yellow is too pale on
white), then purple and grey; by the character's place among the scene's characters."""
UNSTATED_COLOUR_LINEAR = (0.5, 0.5, 0.5)
"""The loader's colour for a set piece or character whose file states none."""


def character_colours_srgb8(pieces) -> dict[str, tuple[int, int, int]]:
    """Each character's (``standin`` piece's) colour on the plans, as 8-bit sRGB: its stated
    colour, else the next of :data:`CHARACTER_COLOURS_SRGB8` (the loader renders a format-2
    character that states none in that same colour; format-1 stand-ins keep their grey)."""
    out: dict[str, tuple[int, int, int]] = {}
    k = 0
    for p in pieces:
        if p.kind != "standin":
            continue
        c = np.asarray(p.color_linear, float)
        if getattr(p, "color_stated", True) and tuple(p.color_linear) != UNSTATED_COLOUR_LINEAR:
            enc = np.where(
                c <= 0.0031308, 12.92 * c, 1.055 * np.power(np.clip(c, 0, None), 1 / 2.4) - 0.055
            )
            r, g, b = (int(round(v * 255)) for v in np.clip(enc, 0, 1))
            out[p.name] = (r, g, b)
        else:
            out[p.name] = CHARACTER_COLOURS_SRGB8[k % len(CHARACTER_COLOURS_SRGB8)]
            k += 1
    return out


def srgb8_to_linear(rgb) -> tuple[float, float, float]:
    c = np.asarray(rgb, float) / 255.0
    return vec3(np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4))
