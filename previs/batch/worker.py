"""What runs on a batch worker: one task of a job, with the loaded scene and its renderers kept
between tasks (keyed by the scene file's SHA-256), its paths checked first, and a user's mistake
returned as data (the client raises it again as the same one line, never a remote traceback).

The same :func:`run_task` runs in a Dask worker process, in this process (``previs batch-task``,
a farm's task) and in tests.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import pickle
import socket
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from previs.batch.tasks import Task
from previs.errors import PrevisError, RenderError


class WorkerError(PrevisError):
    """A worker cannot do the job where it runs: it cannot see the scene or write the output,
    or has no GPU. The line names the worker and the path or device."""


@dataclass(frozen=True)
class JobSpec:
    """What every task of one job shares. Paths are absolute (workers have another cwd)."""

    job: str  # "animatic" | "render" | "check"
    scene_path: str
    scene_sha256: str
    out_dir: str
    options: dict = field(default_factory=dict)
    lp_threads: int | None = None  # llvmpipe threads per worker (workers x threads <= cores)
    gpus: tuple[int, ...] = ()  # local workers: EGL device of worker i is gpus[i % len]


# ---------------------------------------------------------------- errors as data
def error_data(exc: PrevisError) -> dict:
    attrs = dict(vars(exc))
    try:
        pickle.dumps((exc.args, attrs))
    except Exception:  # an attribute that does not travel: the line is what matters
        attrs = {}
        args = (str(exc),)
    else:
        args = exc.args
    return {
        "module": type(exc).__module__,
        "name": type(exc).__qualname__,
        "args": args,
        "attrs": attrs,
        "text": str(exc),
    }


def error_from_data(d: dict) -> PrevisError:
    """The worker's PrevisError again: the same class and the same line."""
    try:
        cls = getattr(importlib.import_module(d["module"]), d["name"])
        if not (isinstance(cls, type) and issubclass(cls, PrevisError)):
            raise TypeError(cls)
        exc = cls.__new__(cls)
        Exception.__init__(exc, *d["args"])
        exc.__dict__.update(d["attrs"])
        if str(exc) == d["text"]:
            return exc
    except Exception:
        pass
    return PrevisError(d["text"])


# ---------------------------------------------------------------- where this runs
def worker_name() -> str:
    try:
        from distributed import get_worker

        w = get_worker()
    except Exception:  # not in a Dask worker: this process (a farm task, a test)
        return f"worker pid {os.getpid()} on {socket.gethostname()}"
    return f"worker {w.address} on {socket.gethostname()}"


def _worker_index() -> int:
    try:
        from distributed import get_worker

        name = get_worker().name
    except Exception:
        return 0
    try:
        return int(name)  # a LocalCluster names its workers 0, 1, ...
    except (TypeError, ValueError):
        return 0


_env_done = False


def _setup_env(spec: JobSpec) -> None:
    """llvmpipe's threads and the EGL device: read when the process makes its first context."""
    global _env_done
    if _env_done:
        return
    if spec.lp_threads:
        os.environ.setdefault("LP_NUM_THREADS", str(spec.lp_threads))
    if spec.gpus:
        os.environ["PREVIS_EGL_DEVICE"] = str(spec.gpus[_worker_index() % len(spec.gpus)])
    _env_done = True


def check_paths(spec: JobSpec) -> bytes:
    """The scene file as this worker reads it (the same bytes the client read) and an output
    folder it can write; else one WorkerError line naming the worker and the path."""
    scene = spec.scene_path
    try:
        data = Path(scene).read_bytes()
    except OSError as exc:
        raise WorkerError(
            f"{worker_name()} cannot read the scene file {scene} "
            f"({exc.strerror or exc}); the scene must be on storage every worker "
            "sees at the same path"
        ) from None
    if hashlib.sha256(data).hexdigest() != spec.scene_sha256:
        raise WorkerError(
            f"{worker_name()} reads another scene file at {scene} than the client did "
            "(not the same shared storage, or it changed during the run)"
        )
    out = spec.out_dir
    try:
        fd, probe = tempfile.mkstemp(prefix=".previs-worker-", suffix=".tmp", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise WorkerError(
            f"{worker_name()} cannot write the output folder {out} "
            f"({exc.strerror or exc}); it must be on storage every worker shares"
        ) from None
    return data


# ---------------------------------------------------------------- kept between tasks
_lock = threading.Lock()  # one task at a time per process: a GL context is not shared by threads
_scenes: OrderedDict = OrderedDict()  # sha256 -> Scene
_objects: OrderedDict = OrderedDict()  # (thread, sha256, what, options) -> renderer / checker
KEEP_SCENES = 2
KEEP_OBJECTS = 4
stats = {"scene_loads": 0, "renderers_made": 0, "make_s": 0.0}  # per process (tests, benchmark)


def _scene(spec: JobSpec):
    scene = _scenes.get(spec.scene_sha256)
    if scene is None:
        from previs import api

        scene = api.load_scene(spec.scene_path)
        stats["scene_loads"] += 1
        _scenes[spec.scene_sha256] = scene
        while len(_scenes) > KEEP_SCENES:
            _scenes.popitem(last=False)
    _scenes.move_to_end(spec.scene_sha256)
    return scene


def _kept(spec: JobSpec, what: str, options: dict, make):
    # Per thread: a GL context is current on the thread that made it.
    key = (threading.get_ident(), spec.scene_sha256, what, tuple(sorted(options.items())))
    obj = _objects.get(key)
    if obj is None:
        t0 = time.perf_counter()
        try:
            obj = make()
        except RenderError as exc:  # no context on this machine or device: say where
            raise WorkerError(f"{worker_name()}: {exc}") from None
        stats["renderers_made"] += 1
        stats["make_s"] += time.perf_counter() - t0
        _objects[key] = obj
        while len(_objects) > KEEP_OBJECTS:
            _objects.popitem(last=False)[1].release()
    _objects.move_to_end(key)
    return obj


def _renderer(spec: JobSpec, scene, options: dict):
    from previs import api

    return _kept(spec, "renderer", options, lambda: api.StageRenderer(scene, **options))


def release_all() -> None:
    """Let go of every kept renderer and scene (tests; a worker's end does it anyway)."""
    with _lock:
        while _objects:
            _objects.popitem()[1].release()
        _scenes.clear()


# ---------------------------------------------------------------- tasks
def run_task(spec: JobSpec, task: Task) -> dict:
    """One task; returns {"frames", "written", "value", "error", "worker", "seconds"}: a
    PrevisError is returned in "error" (see :func:`error_data`); anything else is a bug and
    keeps its traceback. "seconds": paths (the checks), scene (loading it, once per worker),
    renderer (making it, once), work (rendering and writing the frames)."""
    out = {
        "frames": 0,
        "written": [],
        "value": None,
        "error": None,
        "worker": None,
        "seconds": {"paths": 0.0, "scene": 0.0, "renderer": 0.0, "work": 0.0},
    }
    secs = out["seconds"]
    with _lock:
        try:
            t0 = time.perf_counter()
            out["worker"] = worker_name()
            _setup_env(spec)
            check_paths(spec)
            t1 = time.perf_counter()
            scene = _scene(spec)
            t2 = time.perf_counter()
            made = stats["make_s"]
            {"animatic": _animatic, "render": _storyboard, "check": _check}[spec.job](
                spec, scene, task, out
            )
            secs["renderer"] = stats["make_s"] - made
            secs.update(
                paths=t1 - t0, scene=t2 - t1, work=time.perf_counter() - t2 - secs["renderer"]
            )
        except PrevisError as exc:
            out["error"] = error_data(exc)
    return out


def _animatic(spec: JobSpec, scene, task: Task, out: dict) -> None:
    from previs.core.frame import evaluate
    from previs.export.animatic import FrameSequence, FrameWriter, render_frames

    o = spec.options
    count, size = o["shots"][task.shot]
    shot = scene.shot(task.shot)
    seq = FrameSequence(Path(spec.out_dir) / "frames", shot.id, count, size, key=o["key"])
    seq.folder.mkdir(parents=True, exist_ok=True)
    # A task run again (its worker was lost) or a farm's retry keeps the frames already there.
    todo = [f for f in task.frames if not seq.is_valid(f)]
    r = _renderer(spec, scene, o["render"])
    writer = FrameWriter()
    try:
        render_frames(
            writer,
            scene,
            shot,
            seq,
            todo,
            evaluate=evaluate,
            burn_in=o["burn_in"],
            render_frame=lambda state: (
                r.render(state, read_depth=False, output_width=o["output_width"]).color
            ),
        )
    finally:
        writer.close()
    out["frames"] = len(task.frames)


def _storyboard(spec: JobSpec, scene, task: Task, out: dict) -> None:
    from previs import api

    shot = scene.shot(task.shot)
    names = spec.options["names"][task.shot]
    r = _renderer(spec, scene, spec.options["render"])
    for f in task.frames:
        state = api.evaluate(scene, shot, f)
        path = Path(spec.out_dir) / names[f]
        api.write_storyboard_frame(r.render(state, read_depth=False), state, scene, path)
        out["written"].append(str(path))
    out["frames"] = len(task.frames)


def _check(spec: JobSpec, scene, task: Task, out: dict) -> None:
    from previs.check import ShotChecker, _frames, write_flagged

    checker = _kept(spec, "checker", {}, lambda: ShotChecker(scene))
    res, grids = checker.check(task.shot)
    if grids:
        r = _renderer(spec, scene, {"width": spec.options["width"]})
        out["written"] = [
            str(p) for p in write_flagged(scene, r, task.shot, grids, Path(spec.out_dir))
        ]
    out["value"] = res
    out["frames"] = len(_frames(scene.shot(task.shot)))
