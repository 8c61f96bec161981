"""``previs render|animatic|check --workers N | --scheduler tcp://HOST:PORT``: the client side.

The client plans the tasks, holds the output folder's lock, shows one progress bar for the
whole job (frames counted from the task results as they complete) and writes what comes after
the frames (the MP4s and the cut sequence, check.json); the workers render and write the frames.
"""

from __future__ import annotations

import hashlib
import sys
from contextlib import contextmanager
from pathlib import Path

from previs.batch.tasks import Task, chunk_frames, frame_seconds, split_frames
from previs.batch.worker import JobSpec
from previs.errors import PrevisError


def _scene_sha(scene) -> str:
    if scene.source_path is None:
        raise PrevisError("batch work needs the scene as a file the workers can read")
    try:
        return hashlib.sha256(Path(scene.source_path).read_bytes()).hexdigest()
    except OSError as exc:
        raise PrevisError(f"{scene.source_path}: cannot read ({exc.strerror or exc})") from None


def _spec(job: str, scene, out_dir, runner, options: dict) -> JobSpec:
    return JobSpec(
        job=job,
        scene_path=str(Path(scene.source_path).resolve()),
        scene_sha256=_scene_sha(scene),
        out_dir=str(Path(out_dir).resolve()),
        options=options,
        lp_threads=getattr(runner, "lp_threads", None),
        gpus=getattr(runner, "gpus", ()),
    )


def _scope(spec: JobSpec) -> str:
    return hashlib.sha256(
        repr((spec.job, spec.scene_sha256, sorted(map(repr, spec.options.items())))).encode()
    ).hexdigest()


@contextmanager
def _runner(args):
    from previs.batch.dask_runner import make_runner

    runner = make_runner(args)
    try:
        yield runner
    finally:
        runner.close()


# ---------------------------------------------------------------- animatic
@contextmanager
def animatic_runner(args, scene, render_width: int, burn_in):
    """A ``frames_runner`` for :func:`previs.export.animatic.render_animatic`; the cluster
    starts only when there are frames to render (a finished folder needs none)."""
    from previs.batch.options import check_chunk, worker_count

    check_chunk(args)
    worker_count(args)  # a wrong --workers/--gpus fails before any work
    state = {}

    def run(work, key, advance):
        state["runner"] = runner = _start(args)
        options = {
            "render": {
                "width": render_width,
                "antialias": not args.no_aa,
                "shadows": not args.no_shadows,
                "half_res_lighting": not args.full_res_lighting,
            },
            "output_width": args.width,
            "burn_in": burn_in,
            "key": key,
            "shots": {shot.id: (seq.frame_count, seq.size) for shot, seq, _ in work},
        }
        spec = _spec("animatic", scene, args.output, runner, options)
        scope = _scope(spec)
        total = sum(len(frames) for _, _, frames in work)
        tasks: list[Task] = []
        for shot, seq, frames in work:
            size = args.chunk or chunk_frames(
                frame_seconds(*seq.size, shadows=not args.no_shadows, antialias=not args.no_aa),
                workers=runner.workers,
                total_frames=total,
            )
            tasks += split_frames("animatic", shot.id, frames, size, scope=scope)
        runner.run(spec, tasks, lambda task, result: advance(len(task.frames)))

    try:
        yield run
    finally:
        if "runner" in state:
            state["runner"].close()


def _start(args):
    from previs.batch.dask_runner import make_runner

    return make_runner(args)


# ---------------------------------------------------------------- storyboard frames
def render_storyboards(args, scene, jobs, out_dir: Path, stem: str) -> list[Path]:
    """``previs render``'s frames on the workers: ``jobs`` are (state, suffix) in the order the
    one-process run writes them; returns the paths in that order."""
    from tqdm import tqdm

    from previs.batch.options import check_chunk
    from previs.export.paper import safe_name

    check_chunk(args)
    names: dict[str, dict[int, str]] = {}
    paths = []
    for state, suffix in jobs:
        name = f"{stem}_{safe_name(state.shot_id)}{suffix}.png"
        names.setdefault(state.shot_id, {})[state.frame] = name
        paths.append(out_dir / name)
    with _runner(args) as runner:
        options = {
            "render": {
                "width": args.width,
                "antialias": not args.no_aa,
                "shadows": not args.no_shadows,
                "dof": args.dof,
            },
            "names": names,
        }
        spec = _spec("render", scene, out_dir, runner, options)
        scope = _scope(spec)
        size = args.chunk or 4  # a storyboard frame is full size: a few make seconds of work
        tasks = [
            t
            for shot, frames in names.items()
            for t in split_frames("render", shot, frames, size, scope=scope)
        ]
        with tqdm(
            total=len(jobs),
            desc="rendering",
            unit="frame",
            disable=args.quiet or None,
            file=sys.stderr,
        ) as bar:
            runner.run(spec, tasks, lambda task, result: bar.update(result["frames"]))
    return paths


# ---------------------------------------------------------------- checks
def run_checks(args, scene, shot_ids: list[str], out_dir: Path):
    """``previs check`` on the workers, a task per shot: (results, written) as
    :func:`previs.check.run_checks` returns them."""
    from tqdm import tqdm

    from previs.check import _frames, write_report

    results: dict[str, object] = {}
    flagged: dict[str, list[str]] = {}
    with _runner(args) as runner:
        spec = _spec("check", scene, out_dir, runner, {"width": args.width})
        scope = _scope(spec)
        tasks = [Task("check", sid, (), scope) for sid in shot_ids]
        total = sum(len(_frames(scene.shot(sid))) for sid in shot_ids)

        def done(task, result):
            results[task.shot] = result["value"]
            flagged[task.shot] = [Path(p).name for p in result["written"]]
            bar.update(result["frames"])

        with tqdm(
            total=total,
            desc="checking",
            unit="frame",
            file=sys.stderr,
            dynamic_ncols=True,
            disable=None if not args.quiet else True,
        ) as bar:
            runner.run(spec, tasks, done)
    ordered = [results[sid] for sid in shot_ids]
    written = [write_report(scene, ordered, out_dir)]
    written += [Path(out_dir) / name for sid in shot_ids for name in flagged[sid]]
    return ordered, written
