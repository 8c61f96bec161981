"""Batch work on Dask: a LocalCluster previs starts, and a real ``dask scheduler`` with ``dask
worker`` processes this test starts on 127.0.0.1 (random ports) and always stops.

The verdicts never depend on the clock: a worker is killed once the first frame of its task is
on disk and it is held there (a preload blocks it after that frame); the outputs of every run
are compared byte for byte with a one-process run of the same command.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pytest.importorskip("imageio_ffmpeg")

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
from example_copies import SHOT, small_scene  # noqa: E402,F401  (test_farm imports them from here)

GUARD_S = 300.0  # failure guards only: no verdict depends on them
POLL_S = 0.005


def previs(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "previs.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=GUARD_S,
    )


def ok(res: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert res.returncode == 0, res.stderr
    return res


def everything(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def wait_for(condition, what: str, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + GUARD_S
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: the client ended first: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} (failure guard)")
        time.sleep(POLL_S)


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Path:
    return small_scene(tmp_path_factory.mktemp("scene"))


@pytest.fixture(scope="module")
def reference(scene, tmp_path_factory):
    """One-process runs: the animatic (24 frames, 160 px) and storyboard frames."""
    d = tmp_path_factory.mktemp("reference")
    ok(previs("animatic", str(scene), "-o", str(d / "animatic"), "--width", "160", "-q"))
    ok(previs("render", str(scene), "-o", str(d / "render"), "--width", "160", "-q"))
    return {"animatic": everything(d / "animatic"), "render": everything(d / "render")}


# ---------------------------------------------------------------- a cluster of our own
class Cluster:
    """``dask scheduler`` and ``dask worker`` processes (no nanny: the process killed is the
    worker itself), stopped by :meth:`stop` whatever happened."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.procs: list[subprocess.Popen] = []
        self.env = {
            **os.environ,
            "LP_NUM_THREADS": "1",
            "DASK_DISTRIBUTED__WORKER__DAEMON": "False",
        }
        info = folder / "scheduler.json"
        self.scheduler = self._start(
            [
                str(BIN / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(info),
            ]
        )
        wait_for(lambda: info.exists() and info.stat().st_size > 0, "the scheduler")
        self.address = json.loads(info.read_text())["address"]

    def _start(self, cmd, **kw) -> subprocess.Popen:
        log = open(self.folder / f"proc{len(self.procs)}.log", "wb")
        p = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.folder,
            env=self.env,
            start_new_session=True,
            **kw,
        )
        self.procs.append(p)
        return p

    def worker(self, name: str, *extra: str, **kw) -> subprocess.Popen:
        return self._start(
            [
                str(BIN / "dask"),
                "worker",
                self.address,
                "--name",
                name,
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
                *extra,
            ],
            **kw,
        )

    def workers(self) -> int:
        from distributed import Client

        with Client(self.address, timeout="20s") as c:
            return len(c.scheduler_info()["workers"])

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                p.kill()
            p.wait()


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    try:
        yield c
    finally:
        c.stop()


# ---------------------------------------------------------------- results as one process
def test_local_cluster_of_two_processes_gives_the_same_bytes(scene, reference, tmp_path):
    out = tmp_path / "animatic"
    res = ok(
        previs(
            "animatic",
            str(scene),
            "-o",
            str(out),
            "--width",
            "160",
            "-q",
            "--workers",
            "2",
            "--chunk",
            "5",
        )
    )
    assert everything(out) == reference["animatic"]  # 24 frames, 3A.mp4, sequence.mp4
    assert "rendered 24 of 24 frames" in res.stdout
    # A second run resumes from the frames on disk: nothing to render, no cluster started.
    res = ok(
        previs("animatic", str(scene), "-o", str(out), "--width", "160", "-q", "--workers", "2")
    )
    assert "rendered 0 of 24 frames (24 already done)" in res.stdout
    assert everything(out) == reference["animatic"]


def test_a_dask_cluster_renders_checks_and_animates_as_one_process(
    scene, reference, tmp_path, cluster
):
    cluster.worker("a")
    cluster.worker("b")
    wait_for(lambda: cluster.workers() == 2, "two workers")
    at = ("--scheduler", cluster.address)
    out = tmp_path / "animatic"
    ok(previs("animatic", str(scene), "-o", str(out), "--width", "160", "-q", "--chunk", "4", *at))
    assert everything(out) == reference["animatic"]
    ok(
        previs(
            "render",
            str(scene),
            "-o",
            str(tmp_path / "render"),
            "--width",
            "160",
            "-q",
            "--chunk",
            "1",
            *at,
        )
    )
    assert everything(tmp_path / "render") == reference["render"]
    # The whole example's checks (11 shots, three of them flagged): a task per shot.
    example = str(ROOT / "scenes" / "led_stage.yaml")
    one = previs("check", example, "-o", str(tmp_path / "check1"), "--width", "160", "-q")
    many = previs("check", example, "-o", str(tmp_path / "check2"), "--width", "160", "-q", *at)
    assert one.returncode == many.returncode == 1, many.stderr  # 1A, 2B and 3B fail
    assert many.stdout.replace("check2", "check1") == one.stdout
    first, second = everything(tmp_path / "check1"), everything(tmp_path / "check2")
    assert first == second and len(first) >= 2  # check.json and the flagged frames, same bytes


HOLD = '''
"""Preload: this worker stops for good after the first frame it writes (the test kills it)."""
import threading
from previs.export import animatic

if not getattr(animatic.FrameSequence.write, "held", False):  # Dask may run a preload twice
    _write = animatic.FrameSequence.write

    def write(self, frame, rgb):
        _write(self, frame, rgb)
        threading.Event().wait()

    write.held = True
    animatic.FrameSequence.write = write
'''


def test_a_worker_killed_mid_task_leaves_no_partial_or_duplicate_frame(
    scene, reference, tmp_path, cluster
):
    preload = tmp_path / "hold_after_first_frame.py"
    preload.write_text(HOLD)
    doomed = cluster.worker("doomed", "--preload", str(preload))
    wait_for(lambda: cluster.workers() == 1, "the first worker")
    out = tmp_path / "animatic"
    client = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "previs.cli",
            "animatic",
            str(scene),
            "-o",
            str(out),
            "--width",
            "160",
            "-q",
            "--chunk",
            "8",
            "--scheduler",
            cluster.address,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        frames = out / "frames" / SHOT
        wait_for(
            lambda: frames.is_dir() and any(frames.glob("*.png")),
            "the doomed worker's first frame",
            client,
        )
        cluster.worker("rescuer")
        os.kill(doomed.pid, signal.SIGKILL)  # held inside its task, after one frame
        doomed.wait()
        stdout, stderr = client.communicate(timeout=GUARD_S)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
    assert client.returncode == 0, stderr
    assert "rendered 24 of 24 frames" in stdout
    assert everything(out) == reference["animatic"]  # every frame once, whole; nothing else


def test_a_scene_error_on_a_worker_is_the_scenes_own_line(scene, tmp_path):
    broken = tmp_path / "broken.obj"
    broken.write_text("not a mesh\n")
    text = scene.read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(str(ROOT / "scenes" / "geometry" / "car.obj"), str(broken)))
    here = previs("animatic", str(bad), "-o", str(tmp_path / "one"), "--width", "160", "-q")
    there = previs(
        "animatic", str(bad), "-o", str(tmp_path / "two"), "--width", "160", "-q", "--workers", "1"
    )
    assert here.returncode == there.returncode == 2
    assert there.stderr == here.stderr and len(here.stderr.splitlines()) == 1, there.stderr
    assert "cannot load mesh" in here.stderr and "Traceback" not in there.stderr


def _can_hide_folders() -> bool:
    try:
        return (
            subprocess.run(
                ["unshare", "--mount", "--propagation", "private", "true"],
                capture_output=True,
                timeout=30,
            ).returncode
            == 0
        )
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.mark.skipif(
    not _can_hide_folders(), reason="needs unshare --mount (root) to hide a folder from a worker"
)
def test_a_worker_that_cannot_see_the_scene_says_so_in_one_line(tmp_path, cluster):
    # The scene lies in a folder the worker's own mount namespace covers with an empty tmpfs:
    # a machine whose storage does not hold the client's path.
    private = tmp_path / "private"
    private.mkdir()
    scene = small_scene(private)
    script = (
        f"mount -t tmpfs none {private} && exec {BIN / 'dask'} worker {cluster.address} --name blind "
        "--nthreads 1 --no-nanny --no-dashboard --host 127.0.0.1"
    )
    cluster._start(["unshare", "--mount", "--propagation", "private", "sh", "-c", script])
    wait_for(lambda: cluster.workers() == 1, "the worker")
    res = previs(
        "animatic",
        str(scene),
        "-o",
        str(tmp_path / "out"),
        "--width",
        "160",
        "-q",
        "--scheduler",
        cluster.address,
    )
    assert res.returncode == 2
    line = res.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line, res.stderr
    assert "worker tcp://127.0.0.1:" in line and f"cannot read the scene file {scene} " in line
    assert not list((tmp_path / "out").rglob("*.png"))


# ---------------------------------------------------------------- the parts, in this process
def test_tasks_are_aligned_chunks_with_deterministic_keys():
    from previs.batch.tasks import chunk_frames, chunk_ranges, parse_frames, split_frames

    tasks = split_frames("animatic", "1A", [9, 0, 1, 2, 3, 4, 10, 11], 4, scope="abc")
    assert [t.frames for t in tasks] == [(0, 1, 2, 3), (4,), (9, 10, 11)]
    again = split_frames("animatic", "1A", [11, 10, 9, 4, 3, 2, 1, 0], 4, scope="abc")
    assert [t.key for t in again] == [t.key for t in tasks]  # same work, same names
    whole = split_frames("animatic", "1A", range(12), 4, scope="abc")
    assert (
        whole[0].key == tasks[0].key and whole[1].key != tasks[1].key
    )  # a resumed chunk: its frames
    assert tasks[0].key == "previs-animatic-abc-1A-00000-00003" and tasks[2].frame_range == "9-11"
    assert chunk_frames(0.1, task_seconds=5) == 50
    assert chunk_frames(0.1, workers=4, total_frames=48, task_seconds=5) == 3  # 4 tasks a worker
    assert chunk_frames(100.0) == 1
    assert chunk_ranges(10, 4) == [(0, 3), (4, 7), (8, 9)]
    assert parse_frames("12-23") == (12, 23)
    with pytest.raises(ValueError):
        parse_frames("5-2")


def test_errors_travel_as_the_same_class_and_line():
    from previs.batch.worker import error_data, error_from_data
    from previs.errors import ExportError, SceneError

    for exc in (
        SceneError("must be positive", file="/s/a.yaml", field="shots[0].length_frames", line=7),
        ExportError("/out: cannot write (Permission denied)"),
    ):
        back = error_from_data(error_data(exc))
        assert type(back) is type(exc) and str(back) == str(exc)


def test_a_worker_checks_the_scene_and_the_output_before_work(scene, tmp_path):
    import hashlib

    from previs.batch.worker import JobSpec, WorkerError, check_paths

    sha = hashlib.sha256(scene.read_bytes()).hexdigest()
    check_paths(JobSpec("animatic", str(scene), sha, str(tmp_path)))
    with pytest.raises(
        WorkerError, match=r"^worker pid \d+ on .* cannot read the scene file /nowhere/s.yaml"
    ):
        check_paths(JobSpec("animatic", "/nowhere/s.yaml", sha, str(tmp_path)))
    with pytest.raises(WorkerError, match="reads another scene file"):
        check_paths(JobSpec("animatic", str(scene), "0" * 64, str(tmp_path)))
    with pytest.raises(WorkerError, match=f"cannot write the output folder {tmp_path / 'missing'}"):
        check_paths(JobSpec("animatic", str(scene), sha, str(tmp_path / "missing")))


def test_the_egl_device_reaches_the_context_call_and_a_missing_one_fails_in_one_line(monkeypatch):
    import moderngl

    from previs.batch import worker
    from previs.errors import RenderError
    from previs.render.context import create_offscreen_context

    seen = []
    monkeypatch.setattr(
        moderngl, "create_standalone_context", lambda **kw: seen.append(kw) or "ctx"
    )
    monkeypatch.setenv("PREVIS_EGL_DEVICE", "1")
    assert create_offscreen_context() == "ctx"
    assert create_offscreen_context(device_index=3) == "ctx"
    assert [(k["backend"], k["device_index"]) for k in seen] == [("egl", 1), ("egl", 3)]
    # A LocalCluster's worker 1 of --gpus 4,6 takes device 6.
    monkeypatch.setattr(worker, "_env_done", False)
    monkeypatch.setattr(worker, "_worker_index", lambda: 1)
    worker._setup_env(worker.JobSpec("animatic", "s", "x", "o", gpus=(4, 6)))
    assert os.environ["PREVIS_EGL_DEVICE"] == "6"
    monkeypatch.undo()

    monkeypatch.setenv("PREVIS_EGL_DEVICE", "99")
    try:
        create_offscreen_context()
    except RenderError as exc:
        assert "EGL device 99" in str(exc) and "\n" not in str(exc)
    else:
        pytest.skip("this machine has 100 EGL devices")
    monkeypatch.setenv("PREVIS_EGL_DEVICE", "gpu0")
    with pytest.raises(RenderError, match="PREVIS_EGL_DEVICE must be an EGL device number"):
        create_offscreen_context()


def test_batch_options_fail_in_one_line(scene, tmp_path):
    for extra, words in (
        (("--workers", "0"), "--workers takes a number"),
        (("--workers", "2", "--chunk", "0"), "--chunk must be at least 1"),
        (("--scheduler", "tcp://127.0.0.1:1", "--gpus", "0"), "--gpus is for local workers"),
        (("--workers", "1", "--gpus", "x"), "--gpus takes EGL device numbers"),
    ):
        res = previs(
            "animatic", str(scene), "-o", str(tmp_path / "x"), "--width", "160", "-q", *extra
        )
        assert res.returncode == 2 and words in res.stderr and len(res.stderr.splitlines()) == 1, (
            res.stderr
        )
