"""Batch work as tasks: a shot's frames in chunks that each cost seconds (pure: no GL, no Dask).

    size = chunk_frames(frame_seconds(1280, 545), workers=8, total_frames=2400)
    tasks = split_frames("animatic", "1A", missing_frames, size, scope="3f2a...")

A task's key is deterministic (job, settings scope, shot, first and last frame), so the same job
gives the same keys on every run and a cluster reschedules a lost task under its own name.
Chunks are aligned to multiples of the chunk size from frame 0: a resumed run's tasks are the
same chunks less the frames already on disk.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

TASK_SECONDS = 5.0
"""Work per task the chunks aim at: large against the scheduler's few milliseconds per task
(bench/README.md, "Batch at scale"), small enough that a lost worker costs little and the last
tasks of a job finish close together."""
TASKS_PER_WORKER = 4  # a small job is still cut so every worker gets several tasks

# Seconds per frame of `previs animatic` on Mesa llvmpipe with two cores (bench/bench_scale.py):
# a fixed part (evaluate, burn-in, PNG, the wall's content) and a part per megapixel.
FRAME_FIXED_S = 0.012
FRAME_PER_MPIXEL_S = 0.9


@dataclass(frozen=True)
class Task:
    """One unit of work: ``frames`` of one shot (empty: the whole shot, as ``check`` takes it)."""

    job: str  # "animatic" | "render" | "check"
    shot: str
    frames: tuple[int, ...] = ()
    scope: str = ""  # a digest of the job's settings (scene, width, ...)

    @property
    def key(self) -> str:
        span = f"{self.frames[0]:05d}-{self.frames[-1]:05d}" if self.frames else "all"
        shot = re.sub(r"[^A-Za-z0-9_.-]", "_", self.shot)
        return f"previs-{self.job}-{self.scope[:12] or 'x'}-{shot}-{span}"

    @property
    def frame_range(self) -> str:
        """``A-B`` (inclusive), as ``previs batch-task --frames`` takes it."""
        return f"{self.frames[0]}-{self.frames[-1]}" if self.frames else ""


def frame_seconds(
    width: int, height: int, *, shadows: bool = True, antialias: bool = True
) -> float:
    """An estimate of one animatic frame's cost on a CPU renderer (a GPU is faster: chunks are
    then larger than they need be, which costs nothing but balance)."""
    mp = width * height / 1e6
    per_mp = FRAME_PER_MPIXEL_S * (1.0 if shadows else 0.8) * (1.0 if antialias else 0.95)
    return FRAME_FIXED_S + per_mp * mp


def chunk_frames(
    seconds_per_frame: float,
    *,
    workers: int = 1,
    total_frames: int | None = None,
    task_seconds: float = TASK_SECONDS,
) -> int:
    """Frames per task: about ``task_seconds`` of work, but small enough that ``total_frames``
    give each of ``workers`` several tasks."""
    size = max(1, round(task_seconds / max(seconds_per_frame, 1e-6)))
    if total_frames:
        size = min(size, max(1, math.ceil(total_frames / (max(1, workers) * TASKS_PER_WORKER))))
    return size


def split_frames(
    job: str, shot: str, frames: Iterable[int], size: int, *, scope: str = ""
) -> list[Task]:
    """``frames`` (any order) as tasks of at most ``size`` frames, each inside one aligned chunk
    [k*size, (k+1)*size)."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1 frame, got {size}")
    chunks: dict[int, list[int]] = {}
    for f in sorted(set(int(f) for f in frames)):
        chunks.setdefault(f // size, []).append(f)
    return [Task(job, shot, tuple(fs), scope) for _, fs in sorted(chunks.items())]


def parse_frames(text: str) -> tuple[int, int]:
    """``A-B`` -> (A, B), inclusive, 0 <= A <= B (``--frames`` of previs batch-task)."""
    m = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", text or "")
    if not m or int(m[1]) > int(m[2]):
        raise ValueError(f"--frames takes FIRST-LAST (0-47), got {text!r}")
    return int(m[1]), int(m[2])


def chunk_ranges(length: int, size: int) -> list[tuple[int, int]]:
    """A shot of ``length`` frames in inclusive (first, last) chunks of ``size`` (a farm job's
    render tasks)."""
    return [(a, min(a + size, length) - 1) for a in range(0, length, size)]
