"""The batch options ``previs render|animatic|check`` share (cheap to import: no Dask)."""

from __future__ import annotations

import os

from previs.errors import PrevisError


def add_batch_arguments(p) -> None:
    g = p.add_argument_group("batch (Dask)")
    g.add_argument(
        "--workers",
        metavar="N|auto",
        help="render on N local worker processes (a Dask LocalCluster previs starts and "
        "stops); auto: one per core, or per GPU with --gpus. Default: this process",
    )
    g.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="send the work to a running Dask cluster (dask scheduler / dask worker); the "
        "scene and the output folder must be on storage every worker sees at the same path",
    )
    g.add_argument(
        "--gpus",
        metavar="0,1",
        help="local workers render on these EGL devices, one each in turn (a worker on a "
        "cluster takes PREVIS_EGL_DEVICE)",
    )
    g.add_argument(
        "--chunk",
        type=int,
        metavar="FRAMES",
        help="frames per task (default: sized to a few seconds of work each)",
    )
    g.add_argument(
        "--dashboard",
        action="store_true",
        help="print the Dask dashboard's address on stderr (it is printed on a terminal anyway)",
    )


def batch_wanted(args) -> bool:
    return bool(getattr(args, "workers", None) or getattr(args, "scheduler", None))


def parse_gpus(text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    try:
        out = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        out = ()
    if not out or any(i < 0 for i in out):
        raise PrevisError(
            f"--gpus takes EGL device numbers separated by commas (0,1), got {text!r}"
        )
    return out


def worker_count(args) -> int | None:
    """The local workers ``--workers`` asks for (None: a cluster's, through --scheduler)."""
    gpus = parse_gpus(getattr(args, "gpus", None))
    if args.scheduler:
        if args.workers:
            raise PrevisError(
                "--workers starts local workers and --scheduler uses a cluster's: give one"
            )
        if gpus:
            raise PrevisError(
                "--gpus is for local workers; start each dask worker of a cluster with "
                "PREVIS_EGL_DEVICE=N instead"
            )
        return None
    w = str(args.workers).strip().lower()
    if w == "auto":
        return len(gpus) or os.cpu_count() or 1
    if not w.isdigit() or int(w) < 1:
        raise PrevisError(
            f"--workers takes a number of processes (1, 2, ...) or auto, got {args.workers!r}"
        )
    return int(w)


def check_chunk(args) -> int | None:
    chunk = getattr(args, "chunk", None)
    if chunk is not None and chunk < 1:
        raise PrevisError(f"--chunk must be at least 1 frame, got {chunk}")
    return chunk
