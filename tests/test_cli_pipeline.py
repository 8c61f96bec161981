"""The command line a pipeline expects (--version, --json, quiet runs, unambiguous options) and a
generated corpus of hostile command lines: each ends in one line on stderr and a non-zero exit,
before any rendering."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from previs import __version__
from previs.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenes" / "led_stage.yaml"


def run_cli(*args) -> tuple[int, str, str]:
    """``previs ARGS`` in this process: (exit status, stdout, stderr). A traceback fails the test
    (it escapes main); argparse's own exits are caught."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main([str(a) for a in args])
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 2
    return rc, out.getvalue(), err.getvalue()


def assert_one_line_refusal(rc: int, err: str, *needles: str) -> None:
    lines = err.strip().splitlines()
    assert rc not in (0, None), err
    assert len(lines) == 1 and "Traceback" not in err, err
    for n in needles:
        assert n in lines[0], (n, lines[0])


def test_version_names_the_package_version():
    rc, out, _ = run_cli("--version")
    assert rc == 0 and out.strip() == f"previs {__version__}"


def test_info_json_holds_what_the_table_shows():
    rc, out, err = run_cli("info", "--json", EXAMPLE)
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["format"] == "previs-info" and doc["scene_file"] == str(EXAMPLE)
    assert doc["frame_rate"] == {"num": 24, "den": 1, "fps": 24.0}
    # 94 x 12 curved + 28 x 24 ceiling panels of 176 px square (the example's BP2 volume)
    assert doc["stage"]["panels"] == 94 * 12 + 28 * 24
    assert doc["stage"]["pixels"] == (94 * 12 + 28 * 24) * 176 * 176
    shots = {s["id"]: s for s in doc["shots"]}
    assert len(shots) == 11 and shots["1A"]["focal_length_mm"] == 25
    _, table, _ = run_cli("info", EXAMPLE)
    for s in doc["shots"]:  # every shot's lens and field of view, as the table prints them
        assert f"{s['focal_length_mm']:>5g} mm  HFOV {s['hfov_deg']:5.1f}°" in table


def test_check_json_is_the_report_on_stdout(tmp_path):
    rc, out, err = run_cli("check", EXAMPLE, "--shot", "1E", "-o", tmp_path, "--json", "-q")
    assert rc == 0, err
    doc = json.loads(out)  # stdout is the JSON alone
    assert doc == json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))
    assert [s["shot"] for s in doc["shots"]] == ["1E"] and doc["shots"][0]["failed"] is False
    assert err == ""  # quiet, and no files beyond check.json to list


def test_progress_is_quiet_off_a_terminal_and_with_q(tmp_path):
    """tqdm's bars go to a terminal only: a pipeline's log gets the result lines, no bars."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for extra in ((), ("-q",)):
        res = subprocess.run(
            [
                sys.executable,
                "-m",
                "previs.cli",
                "check",
                str(EXAMPLE),
                "--shot",
                "3A",
                "-o",
                str(tmp_path / "c"),
                *extra,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert res.returncode == 0, res.stderr
        assert "checking" not in res.stderr and "\r" not in res.stderr, res.stderr


def test_checks_takes_a_value_so_it_never_swallows_the_scene():
    rc, _, err = run_cli("export", "--checks", EXAMPLE)
    assert_one_line_refusal(
        rc, err, "--checks takes 'run' or a check.json report", "previs export SCENE --checks run"
    )
    rc, _, err = run_cli("export", EXAMPLE, "--checks")
    assert_one_line_refusal(rc, err, "--checks", "expected one argument")


def test_output_that_is_a_file_says_not_a_folder(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("keep me", encoding="utf-8")
    for cmd in ("render", "check", "export", "animatic"):
        rc, _, err = run_cli(cmd, EXAMPLE, "--shot", "1A", "-o", f)
        assert_one_line_refusal(rc, err, str(f), "not a folder")
        assert "File exists" not in err
    assert f.read_text(encoding="utf-8") == "keep me"


# ---------------------------------------------------------------- hostile command lines
NUMBERS = ["0", "-1", "nan", "inf", "-inf", "1e308", "99999999999999999999", "abc", "", "1.5e"]


def _hostile_cases(tmp: Path):
    """(label, argv, words the one line must hold). Generated: every numeric option of every
    command against every bad number; every command against bad scene paths; outputs in the way."""
    fifo = tmp / "fifo.yaml"
    os.mkfifo(fifo)
    (tmp / "dir.yaml").mkdir()
    (tmp / "zero.yaml").symlink_to("/dev/zero")
    long_name = tmp / ("x" * 300 + ".yaml")
    numeric = {
        "render": ["--width"],
        "check": ["--width"],
        "animatic": ["--width", "--scale", "--crf"],
        "export": ["--per-page"],
    }
    for cmd, opts in numeric.items():
        for opt, bad in itertools.product(opts, NUMBERS):
            if opt == "--crf" and bad == "0":
                continue  # lossless: a valid choice
            # 1A fails its checks: check's flagged frames are drawn at --width
            yield (
                f"{cmd} {opt}={bad!r}",
                [cmd, EXAMPLE, "--shot", "1A", "-o", tmp / "out", opt, bad],
                [],
            )
    bad_scenes = [
        (tmp / "missing.yaml", "missing.yaml"),
        (fifo, "fifo.yaml"),
        (tmp / "dir.yaml", "dir.yaml"),
        (tmp / "zero.yaml", "zero.yaml"),
        (long_name, "x" * 20),
    ]
    for cmd, (scene, word) in itertools.product(
        ("info", "render", "check", "export", "animatic"), bad_scenes
    ):
        yield (
            f"{cmd} {scene.name[:20]}",
            [cmd, scene, "-o", tmp / "out"] if cmd != "info" else [cmd, scene],
            [word],
        )
    for cmd in ("render", "check", "export", "animatic"):
        yield f"{cmd} unknown shot", [cmd, EXAMPLE, "--shot", "NOPE", "-o", tmp / "out"], ["NOPE"]
    bad_reports = {
        "garbage.json": b"\x00\xff not json",
        "list.json": b"[1, 2]",
        "nan.json": b'{"format": "previs-check", "version": NaN}',
    }
    for name, data in bad_reports.items():
        (tmp / name).write_bytes(data)
        yield (
            f"export --checks {name}",
            ["export", EXAMPLE, "--what", "shotlist", "--checks", tmp / name, "-o", tmp / "out"],
            [name],
        )
    yield (
        "export --checks fifo",
        ["export", EXAMPLE, "--what", "shotlist", "--checks", fifo, "-o", tmp / "out"],
        [],
    )
    yield (
        "export --what nonsense",
        ["export", EXAMPLE, "--what", "boards,nonsense", "-o", tmp / "out"],
        ["nonsense"],
    )
    yield "unknown command", ["frobnicate", EXAMPLE], ["frobnicate"]
    yield "unknown option", ["render", EXAMPLE, "--widht", "100"], ["--widht"]


def test_hostile_command_lines_end_in_one_line(tmp_path):
    cases = list(_hostile_cases(tmp_path))
    assert len(cases) > 60
    failures = []
    for label, argv, words in cases:
        rc, out, err = run_cli(*argv)
        lines = err.strip().splitlines()
        ok = rc not in (0, None) and len(lines) == 1 and all(w in lines[0] for w in words)
        made = sorted(p.name for p in (tmp_path / "out").rglob("*") if p.is_file())
        if not ok or made:
            failures.append(f"{label}: exit {rc}, stderr {err[-300:]!r}, wrote {made[:3]}")
        if made:
            shutil.rmtree(tmp_path / "out")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("report_bytes", [b"", b"{}" * 1, b'{"format": "previs-check"}'])
def test_a_report_that_is_not_this_scenes_is_refused_before_writing(tmp_path, report_bytes):
    report = tmp_path / "check.json"
    report.write_bytes(report_bytes)
    rc, _, err = run_cli(
        "export", EXAMPLE, "--what", "shotlist", "--checks", report, "-o", tmp_path / "o"
    )
    assert_one_line_refusal(rc, err, "check.json")
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------- killed and concurrent runs
_HOLD_LOCK = """
import sys, time
from previs.export.atomic import FolderLock
with FolderLock(sys.argv[1], "previs export"):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.mark.parametrize("cmd", ["export", "render", "check"])
def test_a_second_run_into_a_busy_folder_refuses_in_one_line(tmp_path, cmd):
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(out)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        rc, _, err = run_cli(cmd, EXAMPLE, "--shot", "1E", "-o", out, "-q")
        assert_one_line_refusal(
            rc, err, f"{out} is being written by another previs export (pid {holder.pid})"
        )
    finally:
        holder.kill()
        holder.wait()
    rc, _, err = run_cli(
        cmd, EXAMPLE, "--shot", "1E", "-o", out, "-q"
    )  # the lock went with its holder
    assert rc == 0, err


def test_an_unfinished_export_stays_marked_until_a_run_completes(tmp_path, monkeypatch):
    """An export stopped half-way (here a plan that cannot be written) leaves INCOMPLETE.txt
    beside what it wrote; the next complete run says so, cleans a killed run's temporaries and
    removes the mark."""
    from previs.errors import ExportError
    from previs.export import floorplan

    out = tmp_path / "out"

    def broken(*_a, **_k):
        raise ExportError("plans: disk full")

    monkeypatch.setattr(floorplan, "export_floorplans", broken)
    rc, _, err = run_cli("export", EXAMPLE, "--what", "shotlist,plan", "-o", out, "-q")
    assert_one_line_refusal(rc, err, "disk full")
    assert (out / "INCOMPLETE.txt").is_file() and (out / "shotlist").is_dir()
    stale = (
        out / "shotlist" / ".led_stage_shotlist.csv.previs-999999999-0a1b2c3d.tmp"
    )  # a dead pid's
    stale.write_bytes(b"half")
    monkeypatch.undo()
    rc, out_text, err = run_cli("export", EXAMPLE, "--what", "shotlist,plan", "-o", out, "-q")
    assert rc == 0, err
    assert "did not finish; writing it again" in err
    assert not (out / "INCOMPLETE.txt").exists() and not stale.exists()
    assert not (out / ".previs.lock").exists()


def test_a_run_refused_before_writing_leaves_no_folder(tmp_path):
    out = tmp_path / "never"
    rc, _, err = run_cli("render", EXAMPLE, "--shot", "1A", "-o", out, "--width", "99999")
    assert_one_line_refusal(rc, err, "99999")
    assert not out.exists()
