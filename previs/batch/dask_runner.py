"""Tasks on Dask: a LocalCluster of worker processes previs starts and stops, or a running
cluster at ``tcp://HOST:PORT``.

Each task is ``Client.submit(run_task, spec, task, key=task.key, pure=False)``: the key is the
task's own (deterministic), so a task whose worker dies is rescheduled under the same name on
another worker (Dask does this itself; the frames are written atomically, so a half-done task
leaves no partial frame and its rerun rewrites the same bytes). Results come back through
``as_completed``; the first one that carries a user's mistake cancels the rest and is raised
here as the worker's own PrevisError line.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable

from previs.batch.tasks import Task
from previs.batch.worker import JobSpec, error_from_data, run_task
from previs.errors import PrevisError

WORKER_WAIT_S = 120.0  # a cluster with no worker at all: say so instead of waiting forever


def _quiet_dask() -> None:
    # Dask's INFO/WARNING lines (worker restarts, closing streams) are not for a user's terminal.
    for name in ("distributed", "tornado", "asyncio"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _has_bokeh() -> bool:
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True


class DaskRunner:
    """``workers`` local processes (LocalCluster, one thread each, llvmpipe threads so that
    workers x threads <= cores) or the cluster at ``scheduler``."""

    def __init__(
        self,
        *,
        workers: int | None = None,
        scheduler: str | None = None,
        gpus: tuple[int, ...] = (),
    ):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise PrevisError(
                "batch work needs Dask distributed (pip install 'dask[distributed]')"
            ) from None
        _quiet_dask()
        self.cluster = None
        self.lp_threads = None
        self.gpus = tuple(gpus)
        if scheduler:
            try:
                self.client = Client(scheduler, timeout="20s", set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise PrevisError(
                    f"cannot reach the Dask scheduler at {scheduler}: " + " ".join(str(exc).split())
                ) from None
            try:
                self.client.wait_for_workers(1, timeout=WORKER_WAIT_S)
            except TimeoutError:
                self.client.close()
                raise PrevisError(
                    f"the Dask scheduler at {scheduler} has no workers "
                    f"(waited {WORKER_WAIT_S:.0f} s): start dask worker {scheduler}"
                ) from None
            self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        else:
            n = int(workers or 1)
            cores = os.cpu_count() or 1
            # A GPU worker renders on its device; a CPU one shares the cores with the others.
            self.lp_threads = max(1, cores // n)
            env = (
                {}
                if gpus
                else {"LP_NUM_THREADS": os.environ.get("LP_NUM_THREADS", str(self.lp_threads))}
            )
            self.cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0" if _has_bokeh() else None,
                silence_logs=logging.ERROR,
                env=env,
            )
            self.client = Client(self.cluster, set_as_default=False)
            self.workers = n

    @property
    def dashboard(self) -> str | None:
        try:
            return self.client.dashboard_link if (self.cluster is None or _has_bokeh()) else None
        except Exception:
            return None

    def run(
        self, spec: JobSpec, tasks: Iterable[Task], on_result: Callable[[Task, dict], None]
    ) -> None:
        from distributed import as_completed

        tasks = list(tasks)
        futures = {self.client.submit(run_task, spec, t, key=t.key, pure=False): t for t in tasks}
        try:
            for fut in as_completed(list(futures), loop=self.client.loop):
                result = fut.result()
                if result["error"] is not None:
                    raise error_from_data(result["error"])
                on_result(futures[fut], result)
        finally:
            pending = [f for f in futures if not f.done()]
            if pending:
                self.client.cancel(pending)

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def make_runner(args):
    """The runner ``--workers`` / ``--scheduler`` ask for."""
    from previs.batch.options import parse_gpus, worker_count

    n = worker_count(args)
    runner = DaskRunner(workers=n, scheduler=args.scheduler, gpus=parse_gpus(args.gpus))
    link = runner.dashboard
    if link and not args.quiet and (args.dashboard or sys.stderr.isatty()):
        print(f"previs: Dask dashboard at {link}", file=sys.stderr)
    return runner
