"""``previs farm``: an Open Job Description job that openjd-model validates and ``openjd run``
runs here, to the same bytes as a one-process ``previs animatic``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytest.importorskip("openjd.model")
pytest.importorskip("imageio_ffmpeg")

from test_batch import SHOT, everything, ok, previs, small_scene  # noqa: E402

BIN = Path(sys.executable).parent
GUARD_S = 600.0


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    d = tmp_path_factory.mktemp("farm")
    scene = small_scene(d)
    ok(previs("animatic", str(scene), "-o", str(d / "reference"), "--width", "160", "-q"))
    res = ok(previs("farm", str(scene), "-o", str(d / "job"), "--width", "160", "--chunk", "12"))
    return scene, d, everything(d / "reference"), res


def test_the_template_validates_and_splits_shots_into_frame_chunks(job):
    from openjd.model import ParameterValue, ParameterValueType, create_job, decode_job_template

    scene, d, _, res = job
    doc = yaml.safe_load((d / "job" / "template.yaml").read_text())
    assert "2 render tasks, 1 encode, 1 sequence" in res.stdout
    template = decode_job_template(template=doc)
    params = {p["name"]: p for p in doc["parameterDefinitions"]}
    assert params["SceneFile"]["type"] == params["OutputDir"]["type"] == "PATH"
    assert "default" not in params["SceneFile"]  # outside the job's folder: a value, not a default
    assert params["OutputDir"]["default"] == "animatic"  # relative to the job's folder
    assert yaml.safe_load((d / "job" / "parameter_values.yaml").read_text())["parameterValues"][
        0
    ] == {"name": "SceneFile", "value": str(scene)}
    made = create_job(
        job_template=template,
        job_parameter_values={
            "OutputDir": ParameterValue(type=ParameterValueType.PATH, value=str(d / "elsewhere")),
            "SceneFile": ParameterValue(type=ParameterValueType.PATH, value=str(scene)),
        },
    )
    steps = {s.name: s for s in made.steps}
    assert list(steps) == ["Render", "Encode", "Sequence"]
    space = steps["Render"].parameterSpace
    assert space.combination == "(Shot, Frames)"
    assert space.taskParameterDefinitions["Frames"].range == ["0-11", "12-23"]
    assert space.taskParameterDefinitions["Shot"].range == [SHOT, SHOT]
    assert [dep.dependsOn for dep in steps["Encode"].dependencies] == ["Render"]
    assert [dep.dependsOn for dep in steps["Sequence"].dependencies] == ["Encode"]
    args = [str(a) for a in steps["Render"].script.actions.onRun.args]
    assert args[:4] == ["batch-task", "{{Param.SceneFile}}", "-o", "{{Param.OutputDir}}"]
    assert made.parameters["OutputDir"].value == str(d / "elsewhere")
    assert made.parameters["SceneFile"].value == str(scene)


def test_openjd_run_renders_the_same_bytes_as_one_process(job):
    scene, d, reference, _ = job
    out = d / "openjd-out"
    res = subprocess.run(
        [
            str(BIN / "openjd"),
            "run",
            str(d / "job" / "template.yaml"),
            "--step",
            "Sequence",
            "--run-dependencies",
            "-p",
            f"file://{d / 'job' / 'params.json'}",
            "-p",
            f"Previs={BIN / 'previs'}",
            "-p",
            f"OutputDir={out}",
        ],
        capture_output=True,
        text=True,
        timeout=GUARD_S,
        cwd=d,
    )
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert everything(out) == reference


def test_a_task_of_frames_outside_the_shot_or_before_its_frames_fails_in_one_line(job, tmp_path):
    scene, d, _, _ = job
    res = previs(
        "batch-task",
        str(scene),
        "-o",
        str(tmp_path),
        "--shot",
        SHOT,
        "--frames",
        "20-30",
        "--width",
        "160",
    )
    assert res.returncode == 2 and "has 24 frames; --frames 20-30 is outside it" in res.stderr
    res = previs(
        "batch-task", str(scene), "-o", str(tmp_path), "--shot", SHOT, "--encode", "--width", "160"
    )
    assert res.returncode == 2 and "24 of 24 frames missing" in res.stderr
    assert len(res.stderr.splitlines()) == 1 and not list(tmp_path.glob("*.mp4"))
