"""Tasks run one after another in this process (``previs batch-task``, a farm's task, tests):
the same :func:`~previs.batch.worker.run_task` a Dask worker runs."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from previs.batch.tasks import Task
from previs.batch.worker import JobSpec, error_from_data, run_task


class InProcessRunner:
    """The runner interface :class:`~previs.batch.dask_runner.DaskRunner` has, in this process."""

    workers = 1
    dashboard = None

    def run(
        self, spec: JobSpec, tasks: Iterable[Task], on_result: Callable[[Task, dict], None]
    ) -> None:
        for task in tasks:
            result = run_task(spec, task)
            if result["error"] is not None:
                raise error_from_data(result["error"])
            on_result(task, result)

    def close(self) -> None:
        pass
