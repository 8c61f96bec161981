"""Batch work at scale: a job (``previs render|animatic|check``) split into tasks (a shot's
frames in chunks of seconds of work) that run in this process, on local worker processes or a
Dask cluster (``--workers N`` / ``--scheduler tcp://HOST:PORT``), or are written out as an Open
Job Description job for a farm (``previs farm``).

* :mod:`previs.batch.tasks`: the split (pure).
* :mod:`previs.batch.worker`: one task on a worker; the scene and renderers kept between tasks.
* :mod:`previs.batch.local`, :mod:`previs.batch.dask_runner`: where the tasks run.
* :mod:`previs.batch.run`: the client side of the three commands.
* :mod:`previs.batch.farm`: ``previs farm`` and the ``previs batch-task`` its tasks run.

Workers write frames atomically where they belong, on storage the client shares; the client
holds the output folder's lock and writes what follows the frames (MP4s, check.json). The
results are the same bytes as a one-process run.
"""
