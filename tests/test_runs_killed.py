"""Killed and concurrent runs of ``previs animatic``, with real processes.

Every run here is a real ``python -m previs.cli animatic`` on a small copy of the example scene
(one moving shot, 160 px wide). Processes are killed with SIGKILL at points the tests choose
from what is on disk (or from inside a stand-in ffmpeg), never after a delay: the verdicts do
not depend on the clock or on the machine's speed. A clean, uninterrupted run is the reference
every resumed run must match byte for byte (frames and MP4s).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("imageio_ffmpeg")

ROOT = Path(__file__).resolve().parents[1]
from example_copies import SHOT, small_scene  # noqa: E402

POLL_S = 0.002
GUARD_S = 300.0  # a failure guard only: no verdict depends on it


def command(scene: Path, out: Path, *extra: str) -> list[str]:
    return [
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
        *extra,
    ]


def run(scene: Path, out: Path, *extra: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(scene, out, *extra),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=GUARD_S,
    )


def start(scene: Path, out: Path, *extra: str, env=None) -> subprocess.Popen:
    return subprocess.Popen(
        command(scene, out, *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )


def wait_for(condition, proc: subprocess.Popen | None = None) -> bool:
    """Poll ``condition`` until it holds (True) or ``proc`` has ended first (False)."""
    deadline = time.monotonic() + GUARD_S
    while not condition():
        if proc is not None and proc.poll() is not None:
            return condition()
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting (failure guard)")
        time.sleep(POLL_S)
    return True


def frames_on_disk(out: Path) -> list[Path]:
    d = out / "frames" / SHOT
    return sorted(d.glob(f"{SHOT}_*.png")) if d.is_dir() else []


def temporaries(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.name.endswith(".tmp"))


def everything(out: Path) -> dict[str, bytes]:
    """Every file under ``out`` (relative path -> bytes)."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def ok(res: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert res.returncode == 0, res.stderr
    return res


def fake_ffmpeg(folder: Path, body: str) -> dict:
    """An environment whose ffmpeg (IMAGEIO_FFMPEG_EXE) is a shell script; ``$out`` in ``body`` is
    the output path ffmpeg was given (its last argument)."""
    exe = folder / "fake-ffmpeg"
    exe.write_text("#!/bin/sh\nfor out; do :; done\n" + body + "\n")
    exe.chmod(0o755)
    return {**os.environ, "IMAGEIO_FFMPEG_EXE": str(exe)}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A clean run of the 24-frame scene, and of the same without burn-in: {flag: files}."""
    d = tmp_path_factory.mktemp("reference")
    scene = small_scene(d, 24, name="small_24")
    refs = {}
    for name, extra in (("burn-in", ()), ("no-burn-in", ("--no-burn-in",))):
        ok(run(scene, d / name, *extra))
        refs[name] = everything(d / name)
    assert (
        refs["burn-in"][f"frames/{SHOT}/{SHOT}_00003.png"]
        != refs["no-burn-in"][f"frames/{SHOT}/{SHOT}_00003.png"]
    )
    return scene, refs


# ---------------------------------------------------------------- killed runs
def test_killed_while_encoding_leaves_a_temporary_the_next_run_removes(tmp_path, reference):
    """ffmpeg (a stand-in) writes half a movie into the temporary and SIGKILLs previs, its
    parent: a crash at a known point. The next run removes the temporary and ends with the
    reference's bytes."""
    scene, refs = reference
    out = tmp_path / "out"
    env = fake_ffmpeg(
        tmp_path, 'head -c 5000 >/dev/null; printf "half a movie" > "$out"; kill -9 $PPID'
    )
    res = run(scene, out, env=env)
    assert res.returncode == -signal.SIGKILL
    left = temporaries(out)
    assert (
        len(left) == 1 and left[0].startswith(f".{SHOT}.mp4.previs-") and left[0].endswith(".tmp")
    )
    assert not (out / f"{SHOT}.mp4").exists() and len(frames_on_disk(out)) == 24
    res = ok(run(scene, out))
    assert "rendered 0 of 24 frames (24 already done)" in res.stdout
    assert temporaries(out) == [] and everything(out) == refs["burn-in"]


def test_killed_while_rendering_resumes_to_the_same_frames_and_movies(tmp_path, reference):
    """SIGKILL as soon as frames are on disk (read from the folder); the next run renders only
    the missing frames, leaves no temporary and matches the clean run byte for byte."""
    scene, refs = reference
    out = tmp_path / "out"
    proc = start(scene, out)
    try:
        caught = wait_for(lambda: len(frames_on_disk(out)) >= 2, proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.communicate()
    assert caught, "the first run ended before any frame was on disk"
    done = len(frames_on_disk(out))
    if proc.returncode != -signal.SIGKILL or done == 24:
        pytest.skip("the run finished all its frames before it could be killed")  # not a verdict
    assert not (out / "sequence.mp4").exists()
    res = ok(run(scene, out))
    first = res.stdout.splitlines()[0]
    kept = int(first.split("(")[1].split()[0])
    assert 2 <= kept <= done and first.startswith(f"rendered {24 - kept} of 24 frames")
    assert temporaries(out) == [] and everything(out) == refs["burn-in"]


def test_stale_temporaries_of_killed_runs_are_removed_but_not_a_live_runs(tmp_path, reference):
    """Temporaries named for a dead pid, or the old mkstemp names, are removed by the next run;
    files that are not ours are left alone."""
    scene, refs = reference
    out = tmp_path / "out"
    ok(run(scene, out))
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()  # a pid that has ended
    shot_dir = out / "frames" / SHOT
    planted = [
        shot_dir / f".{SHOT}_00004.png.previs-{dead}-0011aabb.tmp",
        shot_dir / f".{SHOT}_00005.png.a1b2c3d4.tmp",
        out / f".{SHOT}.mp4.previs-{dead}-99887766.tmp",
        out / ".sequence.mp4.zz_9yy8x.tmp",
    ]
    for p in planted:
        p.write_bytes(b"left by a killed run")
    mine = out / ".notes.txt.a1b2c3d4.tmp"
    mine.write_bytes(b"not previs'")
    ok(run(scene, out))
    assert temporaries(out) == [mine.name]
    mine.unlink()
    assert everything(out) == refs["burn-in"]


# ---------------------------------------------------------------- settings
def test_frames_of_other_settings_in_the_folder_are_never_kept(tmp_path, reference):
    """A folder holding frames of two settings (burn-in on and off), as two runs into one
    folder leave it: each run renders again exactly the frames that are not its own."""
    scene, refs = reference
    out = tmp_path / "out"
    ok(run(scene, out))  # every frame with burn-in
    ok(run(scene, out, "--no-burn-in"))  # every frame again, without
    assert everything(out) == refs["no-burn-in"]
    with_burn_in = {k: v for k, v in refs["burn-in"].items() if k.startswith("frames/")}
    for k in (0, 7, 8, 23):  # some frames of the other setting
        name = f"frames/{SHOT}/{SHOT}_{k:05d}.png"
        (out / name).write_bytes(with_burn_in[name])
    res = ok(run(scene, out, "--no-burn-in"))
    assert res.stdout.startswith("rendered 4 of 24 frames (20 already done)")
    assert everything(out) == refs["no-burn-in"]
    res = ok(run(scene, out))  # and back: none of these is kept
    assert res.stdout.startswith("rendered 24 of 24 frames (0 already done)")
    assert everything(out) == refs["burn-in"]


def test_a_run_of_other_settings_killed_midway_never_leaks_into_the_next(tmp_path, reference):
    scene, refs = reference
    out = tmp_path / "out"
    ok(run(scene, out))
    proc = start(scene, out, "--no-burn-in")
    try:
        wait_for(
            lambda: (
                sum(
                    p.read_bytes() != refs["burn-in"][str(p.relative_to(out))]
                    for p in frames_on_disk(out)
                )
                >= 2
            ),
            proc,
        )
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.communicate()
    ok(run(scene, out))
    assert temporaries(out) == [] and everything(out) == refs["burn-in"]


# ---------------------------------------------------------------- concurrent runs
def test_a_second_run_into_a_busy_folder_refuses_in_one_line(tmp_path, reference):
    """The first run waits inside a stand-in ffmpeg (holding the folder) until the test lets
    it go; a second run into the same folder refuses at once: one line naming the first run's
    pid, exit status 2, nothing touched. Once the first has finished, the folder is free again."""
    scene, refs = reference
    out = tmp_path / "out"
    go, waiting = tmp_path / "go", tmp_path / "waiting"
    real = __import__("imageio_ffmpeg").get_ffmpeg_exe()
    env = fake_ffmpeg(
        tmp_path,
        f'touch "{waiting}"; while [ ! -e "{go}" ]; do sleep 0.01; done; exec "{real}" "$@"',
    )
    first = start(scene, out, env=env)
    try:
        assert wait_for(waiting.exists, first), first.communicate()
        before = everything(out)
        second = run(scene, out, "--no-burn-in")
        assert second.returncode == 2 and second.stdout == ""
        assert second.stderr == (
            f"previs: {out} is being written by another previs animatic "
            f"(pid {first.pid}); wait for it or choose another -o\n"
        )
        assert everything(out) == before
    finally:
        go.touch()
        stdout, stderr = first.communicate(timeout=GUARD_S)
    assert first.returncode == 0, stderr
    assert everything(out) == refs["burn-in"]
    res = ok(run(scene, out))
    assert "(24 already done)" in res.stdout and everything(out) == refs["burn-in"]


def test_a_lock_held_by_another_process_refuses_and_a_killed_holder_frees_it(tmp_path, reference):
    scene, refs = reference
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom previs.export.animatic import animatic_lock\n"
            f"animatic_lock({str(out)!r}).acquire()\nprint('held', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        res = run(scene, out)
        assert res.returncode == 2 and res.stderr.count("\n") == 1
        assert f"being written by another previs animatic (pid {holder.pid})" in res.stderr
        assert not (out / "frames").exists()
    finally:
        holder.kill()  # SIGKILL: the kernel lets the lock go
        holder.communicate()
    ok(run(scene, out))
    assert everything(out) == refs["burn-in"]
