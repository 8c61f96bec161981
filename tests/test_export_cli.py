"""`previs export` end to end: every kind of paperwork from the example, each read back with the
reader its users use, and a shot-list column stated in the scene file wins over the derived one."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import opentimelineio as otio
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenes" / "led_stage.yaml"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "previs.cli",
            "export",
            str(EXAMPLE),
            "--shot",
            "1B",
            "--shot",
            "3A",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    return out, run.stdout


def test_every_export_is_written_and_listed(exported):
    out, stdout = exported
    for rel in (
        "shotlist/led_stage_shotlist.csv",
        "shotlist/led_stage_shotlist.pdf",
        "boards/led_stage_boards.pdf",
        "editorial/led_stage.otio",
        "editorial/led_stage.edl",
        "editorial/led_stage.xml",
        "cameras/3A.glb",
        "cameras/3A.opentrackio.json",
        "cameras/3A.chan",
        "plans/plan.svg",
        "plans/plan_3A.png",
    ):
        assert (out / rel).is_file(), rel
        assert str(out / rel) in stdout
    assert not list(out.rglob("*.tmp")) and not list(
        out.rglob(".*")
    )  # atomic writes leave nothing behind


def test_stated_shot_size_wins_and_derived_movement_reads_right(exported):
    out, _ = exported
    with open(out / "shotlist" / "led_stage_shotlist.csv", encoding="utf-8-sig", newline="") as f:
        rows = {r["Shot"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"1B", "3A"}  # the shot list keeps to --shot like every other export
    assert rows["1B"]["Shot size"] == "MS"  # stated in the scene file
    assert "dolly in" in rows["3A"]["Movement"] and "rack focus" in rows["3A"]["Movement"]
    assert rows["3A"]["Lens"].startswith("40 mm")


def test_editorial_and_plan_read_back(exported):
    out, _ = exported
    tl = otio.adapters.read_from_file(str(out / "editorial" / "led_stage.otio"))
    clips = list(tl.find_clips())
    assert [c.name for c in clips] == ["1B", "3A"]
    assert [round(c.duration().value) for c in clips] == [288, 120]
    svg = ET.parse(out / "plans" / "plan.svg").getroot()
    ids = {el.get("id") for el in svg.iter() if el.get("id")}
    assert {"camera-1B", "camera-3A"} <= ids


def test_rerun_replaces_cleanly(exported, tmp_path):
    out, _ = exported
    before = (out / "cameras" / "3A.chan").read_bytes()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "previs.cli",
            "export",
            str(EXAMPLE),
            "--shot",
            "3A",
            "--what",
            "cameras",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert (out / "cameras" / "3A.chan").read_bytes() == before  # deterministic, replaced in place


def test_unknown_export_kind_is_one_line(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "previs.cli",
            "export",
            str(EXAMPLE),
            "--what",
            "shotlist,bords",
            "-o",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "bords" in run.stderr


def test_stated_columns_in_the_scene_file(tmp_path):
    from previs.io.scene_file import load_scene

    text = EXAMPLE.read_text().replace("    shot_size: MS ", "    shot_sise: MS ")
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    (tmp_path / "geometry").symlink_to(ROOT / "scenes" / "geometry")
    from previs.errors import SceneError

    with pytest.raises(SceneError) as info:
        load_scene(p)
    assert "did you mean 'shot_size'" in str(info.value)


def test_without_checks_the_shot_list_says_they_did_not_run(exported):
    out, _ = exported
    md = (out / "shotlist" / "led_stage_shotlist.md").read_text(encoding="utf-8")
    assert "**LED stage checks not run:" in md


def _export(*args):
    return subprocess.run(
        [sys.executable, "-m", "previs.cli", "export", str(EXAMPLE), "--what", "shotlist", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_checks_run_at_export_and_reports_refused(tmp_path):
    """`--checks` alone runs the stage checks on the shots listed; `--checks REPORT` takes a
    check.json only when it is this scene's and has every shot; a refusal writes nothing."""
    run = _export("--shot", "1A", "--shot", "1E", "--checks", "run", "-o", str(tmp_path / "now"))
    assert run.returncode == 0, run.stderr
    assert "LED stage checks (run at export): 1 of 2 shots pass; failing 1A" in run.stdout
    with open(
        tmp_path / "now" / "shotlist" / "led_stage_shotlist.csv", encoding="utf-8-sig", newline=""
    ) as f:
        col = {r["Shot"]: r["Stage checks"] for r in csv.DictReader(f)}
    assert col["1A"].startswith("FAIL moiré: 0.") and "photosites/LED pitch at " in col["1A"]
    assert col["1E"] == "LED checks pass"

    chk = subprocess.run(
        [
            sys.executable,
            "-m",
            "previs.cli",
            "check",
            str(EXAMPLE),
            "--shot",
            "1E",
            "-o",
            str(tmp_path / "check"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert chk.returncode == 0, chk.stderr
    report = tmp_path / "check" / "check.json"
    short = _export(
        "--checks", str(report), "-o", str(tmp_path / "short")
    )  # every shot: 1E only checked
    doc = json.loads(report.read_text(encoding="utf-8"))
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps({**doc, "scene": "Another show"}), encoding="utf-8")
    other = _export("--shot", "1E", "--checks", str(foreign), "-o", str(tmp_path / "other"))
    for bad, says in ((short, "lacks shots 1A, 1B"), (other, "is for scene 'Another show'")):
        assert bad.returncode == 2 and "Traceback" not in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1 and says in bad.stderr
    assert not (tmp_path / "short").exists() and not (tmp_path / "other").exists()


def test_atomic_writes_keep_the_files_mode_and_never_leave_a_temporary(tmp_path):
    """Overwriting an export keeps the permissions the user gave it; a new file gets the usual
    mode (not mkstemp's 0600); a failed write leaves the old file and no temporary beside it."""
    import os
    import stat

    from previs.errors import ExportError
    from previs.export.atomic import file_umask
    from previs.export.atomic import write_atomic as atomic_write_bytes

    new = tmp_path / "new.csv"
    atomic_write_bytes(new, b"a")
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~file_umask()
    shared = tmp_path / "shared.csv"
    shared.write_bytes(b"old")
    os.chmod(shared, 0o640)
    atomic_write_bytes(shared, b"new")
    assert shared.read_bytes() == b"new" and stat.S_IMODE(shared.stat().st_mode) == 0o640
    blocked = tmp_path / "folder"
    blocked.mkdir()
    with pytest.raises(ExportError, match="cannot write"):
        atomic_write_bytes(blocked, b"x")  # a folder stands where the file would go
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "new.csv", "shared.csv"]
