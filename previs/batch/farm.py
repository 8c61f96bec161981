"""Farm jobs: ``previs farm SCENE -o JOBDIR`` writes an Open Job Description job template (the
format of AWS Deadline Cloud; ``openjd run`` runs it locally), and ``previs batch-task`` is the
command its tasks run.

The job has three steps: **Render** (a task per shot x frame chunk: two task parameters, Shot
and Frames, associated pairwise by the combination ``(Shot, Frames)``), **Encode** (a task per
shot: its MP4) and **Sequence** (the cut). The scene, the output folder and the previs command
are job parameters (the first two PATHs, so a farm maps them to its storage); the render
settings are fixed in the template, so every task derives the same frame key (the frames of
another setting are never cut in). JOBDIR is a Deadline Cloud job bundle (template.yaml).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from previs.batch.tasks import Task, chunk_frames, chunk_ranges, frame_seconds, parse_frames
from previs.errors import ExportError, PrevisError

TEMPLATE_NAME = "template.yaml"
FARM_TASK_SECONDS = 60.0  # a farm task pays a process start, a scene load and a GL context


def _animatic_options(p) -> None:
    # The settings that change the frames: as previs animatic takes them.
    p.add_argument("--width", type=int, default=1280, help="frame width in pixels (default 1280)")
    p.add_argument(
        "--scale", type=float, default=1.0, metavar="S", help="draft scale 0.25..1 (default 1)"
    )
    p.add_argument(
        "--full-res-lighting", action="store_true", help="evaluate the lights at every pixel"
    )
    p.add_argument("--no-burn-in", action="store_true", help="no shot, timecode and lens text")
    p.add_argument("--crf", type=int, default=18, help="H.264 quality, 0..51 (default 18)")
    p.add_argument("--no-aa", action="store_true", help="no anti-aliasing")
    p.add_argument("--no-shadows", action="store_true", help="render without shadow maps")


def _settings_args(args) -> list[str]:
    out = ["--width", str(args.width), "--scale", f"{args.scale:g}", "--crf", str(args.crf)]
    for flag in ("full_res_lighting", "no_burn_in", "no_aa", "no_shadows"):
        if getattr(args, flag):
            out.append("--" + flag.replace("_", "-"))
    return out


def add_farm_commands(sub) -> None:
    p = sub.add_parser(
        "farm",
        help="write an Open Job Description job (Deadline Cloud, openjd run) for the animatic",
        description="Write JOBDIR/template.yaml: an Open Job Description job that renders the "
        "animatic's frames in shot x frame-chunk tasks, encodes each shot and cuts the "
        "sequence. Run it with `openjd run JOBDIR/template.yaml --step Sequence "
        "--run-dependencies` or submit JOBDIR to Deadline Cloud as a job bundle.",
    )
    p.add_argument("scene", help="scene file (YAML)")
    p.add_argument(
        "-o", "--output", required=True, metavar="JOBDIR", help="folder for the job template"
    )
    p.add_argument(
        "--output-dir",
        metavar="DIR",
        help="the animatic's output folder, the job's OutputDir (default: JOBDIR/animatic)",
    )
    p.add_argument(
        "--shot", action="append", metavar="ID", help="shot id (repeatable); default: all shots"
    )
    p.add_argument(
        "--chunk",
        type=int,
        metavar="FRAMES",
        help="frames per render task (default: about a minute of work each)",
    )
    _animatic_options(p)
    p.set_defaults(func=_cmd_farm)

    # Hidden (no help): what a farm's tasks run.
    t = sub.add_parser(
        "batch-task", description="One task of a previs farm job (previs farm writes these)."
    )
    t.add_argument("scene")
    t.add_argument("-o", "--output", required=True, metavar="DIR")
    t.add_argument("--shot", action="append", metavar="ID")
    t.add_argument("--frames", metavar="A-B", help="render these frames of --shot")
    t.add_argument("--encode", action="store_true", help="encode --shot's MP4 from its frames")
    t.add_argument(
        "--sequence", action="store_true", help="cut the shots' frames into sequence.mp4"
    )
    t.add_argument("-q", "--quiet", action="store_true")
    _animatic_options(t)
    t.set_defaults(func=_cmd_batch_task)


def _check_settings(args) -> int:
    if not 0 <= args.crf <= 51:
        raise PrevisError(f"--crf must be within 0..51, got {args.crf}")
    if not 0.25 <= args.scale <= 1.0:
        raise PrevisError(f"--scale must be within 0.25..1, got {args.scale}")
    if args.width < 16:
        raise PrevisError(f"--width must be at least 16 pixels, got {args.width}")
    return max(16, round(args.width * args.scale))


# ---------------------------------------------------------------- the job template
def job_template(
    scene,
    shots,
    *,
    scene_path: Path | None,
    output_dir: Path | None,
    settings: list[str],
    chunk: int | None,
    previs_command: str = "previs",
) -> dict:
    """The OpenJD job template (a dict, spec ``jobtemplate-2023-09``). ``scene_path`` and
    ``output_dir`` are the PATH parameters' defaults, relative to the template's folder (OpenJD
    joins them to it and allows neither absolute paths nor ``..``); None: no default."""
    from previs.core.frame import evaluate

    shot_col, frames_col = [], []
    for shot in shots:
        if "{{" in shot.id or "}}" in shot.id:
            raise PrevisError(f"shot id {shot.id!r}: braces cannot travel in a job template")
        w, h = evaluate(scene, shot, 0).image_size(int(settings[settings.index("--width") + 1]))
        size = chunk or chunk_frames(frame_seconds(w, h), task_seconds=FARM_TASK_SECONDS)
        for a, b in chunk_ranges(shot.length_frames, size):
            shot_col.append(shot.id)
            frames_col.append(f"{a}-{b}")
    base = ["batch-task", "{{Param.SceneFile}}", "-o", "{{Param.OutputDir}}", *settings]

    def action(*extra):
        return {"actions": {"onRun": {"command": "{{Param.Previs}}", "args": [*base, *extra]}}}

    ids = [s.id for s in shots]

    def default(path):
        return {} if path is None else {"default": str(path)}

    return {
        "specificationVersion": "jobtemplate-2023-09",
        "name": f"previs animatic {scene.name}"[:128],
        "description": "Frames in shot x frame-chunk tasks, an MP4 per shot, the cut sequence "
        "(written by previs farm).",
        "parameterDefinitions": [
            {
                "name": "SceneFile",
                "type": "PATH",
                "objectType": "FILE",
                "dataFlow": "IN",
                **default(scene_path),
                "description": "The scene file (and the assets it names).",
            },
            {
                "name": "OutputDir",
                "type": "PATH",
                "objectType": "DIRECTORY",
                "dataFlow": "OUT",
                **default(output_dir),
                "description": "The animatic's folder: frames/, <shot>.mp4, sequence.mp4.",
            },
            {
                "name": "Previs",
                "type": "STRING",
                "default": previs_command,
                "minLength": 1,
                "description": "The previs command on the workers.",
            },
        ],
        "steps": [
            {
                "name": "Render",
                "parameterSpace": {
                    "taskParameterDefinitions": [
                        {"name": "Shot", "type": "STRING", "range": shot_col},
                        {"name": "Frames", "type": "STRING", "range": frames_col},
                    ],
                    "combination": "(Shot, Frames)",
                },
                "script": action(
                    "--shot", "{{Task.Param.Shot}}", "--frames", "{{Task.Param.Frames}}"
                ),
            },
            {
                "name": "Encode",
                "dependencies": [{"dependsOn": "Render"}],
                "parameterSpace": {
                    "taskParameterDefinitions": [{"name": "Shot", "type": "STRING", "range": ids}]
                },
                "script": action("--encode", "--shot", "{{Task.Param.Shot}}"),
            },
            {
                "name": "Sequence",
                "dependencies": [{"dependsOn": "Encode"}],
                "script": action("--sequence", *[a for i in ids for a in ("--shot", i)]),
            },
        ],
    }


def validate_template(doc: dict, values: dict[str, str]) -> int:
    """Decode the template with openjd-model and make its job with ``values`` (PATH parameters);
    the number of render tasks. A failure is a bug in this module, raised as is."""
    from openjd.model import ParameterValue, ParameterValueType, create_job, decode_job_template

    template = decode_job_template(template=doc)
    job = create_job(
        job_template=template,
        job_parameter_values={
            k: ParameterValue(type=ParameterValueType.PATH, value=v) for k, v in values.items()
        },
    )
    render = next(s for s in job.steps if s.name == "Render")
    return len(render.parameterSpace.taskParameterDefinitions["Shot"].range)


def _inside(path: Path, folder: Path) -> Path | None:
    """``path`` relative to ``folder`` when it lies inside it (an OpenJD default), else None."""
    try:
        return path.resolve().relative_to(folder.resolve())
    except ValueError:
        return None


def _cmd_farm(args) -> int:
    import yaml

    from previs.cli import load_scene_warning
    from previs.export.atomic import make_folder, write_atomic

    _check_settings(args)
    if args.chunk is not None and args.chunk < 1:
        raise PrevisError(f"--chunk must be at least 1 frame, got {args.chunk}")
    scene = load_scene_warning(args.scene)
    shots = [scene.shot(s) for s in args.shot] if args.shot else list(scene.shots)
    job_dir = Path(args.output)
    out = Path(args.output_dir) if args.output_dir else job_dir / "animatic"
    # OpenJD joins a PATH parameter's default to the template's folder and refuses absolute
    # ones: the paths of this run travel beside the template instead, as the job bundle's
    # parameter_values.yaml (Deadline Cloud) and params.json (openjd run -p file://...).
    values = {"SceneFile": str(Path(args.scene).resolve()), "OutputDir": str(out.resolve())}
    doc = job_template(
        scene,
        shots,
        scene_path=_inside(Path(args.scene), job_dir),
        output_dir=_inside(out, job_dir),
        settings=_settings_args(args),
        chunk=args.chunk,
    )
    n = validate_template(doc, values)
    make_folder(job_dir)
    path = job_dir / TEMPLATE_NAME
    write_atomic(path, yaml.safe_dump(doc, sort_keys=False, width=100).encode())
    write_atomic(
        job_dir / "parameter_values.yaml",
        yaml.safe_dump(
            {"parameterValues": [{"name": k, "value": v} for k, v in values.items()]},
            sort_keys=False,
        ).encode(),
    )
    write_atomic(job_dir / "params.json", (json.dumps(values, indent=2) + "\n").encode())
    print(f"wrote {path}: {n} render task{'s' if n != 1 else ''}, {len(shots)} encode, 1 sequence")
    print(
        f"  run here:  openjd run {path} --step Sequence --run-dependencies "
        f"-p file://{(job_dir / 'params.json').resolve()} -p Previs={sys.argv[0]}"
    )
    print(f"  Deadline Cloud:  deadline bundle submit {job_dir}")
    return 0


# ---------------------------------------------------------------- one task of the job
def _cmd_batch_task(args) -> int:
    from previs import api
    from previs.batch.local import InProcessRunner
    from previs.batch.run import _scene_sha
    from previs.batch.worker import JobSpec
    from previs.core.frame import evaluate
    from previs.export.animatic import (
        BurnIn,
        FrameSequence,
        animatic_cache_key,
        concat_mp4,
        encode_mp4,
        settings_key,
    )
    from previs.export.atomic import remove_stale_temporaries
    from previs.export.paper import safe_name

    render_width = _check_settings(args)
    modes = sum(bool(x) for x in (args.frames, args.encode, args.sequence))
    if modes != 1:
        raise PrevisError("previs batch-task takes one of --frames A-B, --encode or --sequence")
    scene = api.load_scene(args.scene)
    shots = [scene.shot(s) for s in args.shot] if args.shot else list(scene.shots)
    if (args.frames or args.encode) and len(shots) != 1:
        raise PrevisError("--frames and --encode take one --shot")
    flags = BurnIn.none() if args.no_burn_in else BurnIn()
    key = settings_key(
        args.width,
        flags,
        animatic_cache_key(
            scene,
            render_width=render_width,
            width=args.width,
            antialias=not args.no_aa,
            shadows=not args.no_shadows,
            full_res_lighting=args.full_res_lighting,
        ),
    )
    out = Path(args.output)
    firsts = [evaluate(scene, shot, 0) for shot in shots]
    seqs = [
        FrameSequence(
            out / "frames", shot.id, shot.length_frames, st.image_size(args.width), key=key
        )
        for shot, st in zip(shots, firsts, strict=True)
    ]
    if args.frames:
        try:
            a, b = parse_frames(args.frames)
        except ValueError as exc:
            raise PrevisError(str(exc)) from None
        shot, seq = shots[0], seqs[0]
        if b >= shot.length_frames:
            raise PrevisError(
                f"shot {shot.id} has {shot.length_frames} frames; --frames {args.frames} is outside it"
            )
        out.mkdir(parents=True, exist_ok=True)
        options = {
            "render": {
                "width": render_width,
                "antialias": not args.no_aa,
                "shadows": not args.no_shadows,
                "half_res_lighting": not args.full_res_lighting,
            },
            "output_width": args.width,
            "burn_in": flags,
            "key": key,
            "shots": {shot.id: (seq.frame_count, seq.size)},
        }
        spec = JobSpec(
            "animatic",
            str(Path(args.scene).resolve()),
            _scene_sha(scene),
            str(out.resolve()),
            options,
        )
        InProcessRunner().run(
            spec, [Task("animatic", shot.id, tuple(range(a, b + 1)))], lambda t, r: None
        )
        if not args.quiet:
            print(f"rendered {shot.id} frames {a}-{b} into {seq.folder}")
        return 0
    for seq in seqs:  # the render step is done: every frame must be there, under this key
        lost = seq.missing()
        if lost:
            raise ExportError(
                f"{seq.folder}: {len(lost)} of {seq.frame_count} frames missing or rendered "
                f"with other settings (first: {seq.path(lost[0]).name}); run the Render step"
            )
    if args.encode:
        seqs[0].prepare()  # the leftovers of killed render tasks; frames past the shot's end
        movie = out / f"{safe_name(shots[0].id)}.mp4"
        remove_stale_temporaries(out, lambda name: name == movie.name)
        encode_mp4(seqs[0].paths(), movie, firsts[0].frame_rate, crf=args.crf, progress=False)
        if not args.quiet:
            print(f"encoded {movie}")
        return 0
    rates = {st.frame_rate for st in firsts}
    if len(rates) > 1:
        raise ExportError("shots at different frame rates cannot be cut into one sequence")
    remove_stale_temporaries(out, lambda name: name == "sequence.mp4")
    concat_mp4(seqs, out / "sequence.mp4", firsts[0].frame_rate, crf=args.crf, progress=False)
    if not args.quiet:
        print(f"cut {out / 'sequence.mp4'}")
    return 0
