"""``previs`` commands: a thin front end over :mod:`previs.api`.

A user's mistake (any :class:`~previs.errors.PrevisError`) ends with one line on stderr and exit
status 2; a bug keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from pathlib import Path

from previs.errors import PrevisError, printable
from previs.export.paper import safe_name as _safe_name


def _cmd_presets(args) -> int:
    from previs.core.presets import format_presets_table

    print(format_presets_table())
    return 0


def _cmd_info(args) -> int:
    from previs.info import format_summary, scene_summary

    summary = scene_summary(load_scene_warning(args.scene))
    print(_json(summary) if args.json else format_summary(summary))
    return 0


def load_scene_warning(path, args=None):
    """The scene, its load-time warnings (a flat wall facing away from the set ...) on stderr;
    ``args``' --display/--view (see :func:`add_display_arguments`) override its ``output:``."""
    from previs import api

    scene = api.load_scene(path)
    for w in scene.warnings:
        print(f"previs: warning: {w}", file=sys.stderr)
    display, view = getattr(args, "display", None), getattr(args, "view", None)
    if display is not None or view is not None:
        import dataclasses

        from previs.batch.options import batch_wanted
        from previs.render.ocio import resolve

        if batch_wanted(args):  # workers load the scene file itself
            raise PrevisError(
                "--display/--view apply in this process only: with --workers or --scheduler "
                "set output: in the scene file"
            )
        out = scene.output
        out = dataclasses.replace(
            out,
            display=display or out.display,
            view=view if view is not None else (None if display else out.view),
        )
        resolve(out.display, out.view, out.config)  # a wrong name fails before any rendering
        scene = dataclasses.replace(scene, output=out)
    return scene


def add_display_arguments(p) -> None:
    """--display and --view: the output transform (previs.render.ocio), over the scene's."""
    p.add_argument(
        "--display",
        metavar="NAME",
        help="output display: filmic (previs's look, the default), srgb, rec709, rec2100-pq, or "
        "a display of the scene's OpenColorIO config (e.g. 'sRGB - Display')",
    )
    p.add_argument(
        "--view",
        metavar="NAME",
        help="OpenColorIO view of the display (e.g. 'Un-tone-mapped'); default: the display's own",
    )


def _json(doc) -> str:
    import json

    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)


def _output_folder(path: str) -> Path:
    """``-o``: refused in one line before any work when a file stands where the folder must."""
    from previs.export.atomic import make_folder

    out = Path(path)
    for p in (out, *out.parents):  # checked, not made: a refused run leaves nothing behind
        if p.exists() or p.is_symlink():
            if not p.is_dir():
                make_folder(out)  # raises its one line
            break
    return out


def _cmd_render(args) -> int:
    from previs import api
    from previs.check import plausibility_warnings
    from previs.core.frame import key_frames

    scene = load_scene_warning(args.scene, args)
    shots = [scene.shot(s) for s in args.shot] if args.shot else list(scene.shots)
    jobs = []  # (shot, frame, file suffix); every frame evaluated before any rendering
    for shot in shots:
        frames = [0] if shot.is_static or args.frames == "first" else key_frames(scene, shot)
        for f in frames:
            jobs.append((api.evaluate(scene, shot, f), "" if len(frames) == 1 else f"_f{f:04d}"))
        for w in plausibility_warnings(scene, shot):
            print(f"previs: warning: {shot.id}: {w}", file=sys.stderr)
    out_dir = _output_folder(args.output)
    stem = _safe_name(scene.source_path.stem if scene.source_path else scene.name)
    from previs.batch.options import batch_wanted

    if batch_wanted(args):  # on worker processes or a Dask cluster
        from previs.batch.run import render_storyboards

        if args.exr:
            raise PrevisError(
                "--exr renders in this process only (without --workers or --scheduler)"
            )

        with _writing(out_dir, "previs render") as written:
            written += render_storyboards(args, scene, jobs, out_dir, stem)
    else:
        written = _render_here(args, scene, jobs, out_dir, stem)
    print(
        f"wrote {len(written)} storyboard frame{'s' if len(written) != 1 else ''} to {out_dir.resolve()}"
    )
    for p in written:
        print(f"  {p}")
    return 0


def _render_here(args, scene, jobs, out_dir, stem) -> list[Path]:
    from tqdm import tqdm

    from previs import api

    with (
        _writing(out_dir, "previs render") as written,
        api.StageRenderer(
            scene,
            width=args.width,
            antialias=not args.no_aa,
            shadows=not args.no_shadows,
            dof=args.dof,
        ) as r,
    ):
        bar = tqdm(
            jobs, desc="rendering", unit="frame", disable=args.quiet or None, file=sys.stderr
        )
        for state, suffix in bar:
            bar.set_postfix_str(f"{state.shot_id} {state.frame}")
            frame = r.render(state, read_depth=False)
            path = out_dir / f"{stem}_{_safe_name(state.shot_id)}{suffix}.png"
            api.write_storyboard_frame(frame, state, scene, path)
            written.append(path)
            if args.exr:  # scene-linear colour and depth for compositing (previs.export.exr)
                from previs.export.exr import write_exr

                rgb, depth = r.render_linear(state)
                written.append(write_exr(path.with_suffix(".exr"), rgb, depth, state, scene.name))
    return written


def _cmd_check(args) -> int:
    from previs.check import format_table, report_dict, run_checks

    scene = load_scene_warning(args.scene)
    shot_ids = [scene.shot(s).id for s in args.shot] if args.shot else [s.id for s in scene.shots]
    out_dir = _output_folder(args.output)
    from previs.batch.options import batch_wanted

    with _writing(out_dir, "previs check"):
        if batch_wanted(args):  # a task per shot on worker processes or a Dask cluster
            from previs.batch import run

            results, written = run.run_checks(args, scene, shot_ids, out_dir)
        else:
            results, written = run_checks(
                scene, shot_ids, out_dir, width=args.width, progress=not args.quiet
            )
    failed = [r.shot for r in results if r.failed]
    if args.json:  # stdout is the report alone: the files written go to stderr
        print(_json(report_dict(scene, results)))
        out = sys.stderr
    else:
        print(format_table(results))
        print(
            f"{len(results) - len(failed)} of {len(results)} shots pass"
            + (f"; failing: {', '.join(failed)}" if failed else "")
        )
        out = sys.stdout
    if not (args.json and args.quiet):
        for p in written:
            print(f"  {p}", file=out)
    return 1 if failed else 0


EXPORTS = ("shotlist", "boards", "otio", "cameras", "plan", "review")


def _cmd_export(args) -> int:
    """Paperwork from one scene: every file written atomically; re-running replaces them."""

    if args.scene is None:
        if args.checks and Path(args.checks).suffix.lower() in (".yaml", ".yml"):
            print(
                f"previs export: --checks takes 'run' or a check.json report, not the scene file "
                f"{args.checks} (previs export SCENE --checks run)",
                file=sys.stderr,
            )
        else:
            print(
                "previs export: a scene file is required (see previs export --help)",
                file=sys.stderr,
            )
        return 2
    what = [w.strip() for w in args.what.split(",") if w.strip()]
    unknown = [w for w in what if w not in EXPORTS]
    if unknown:
        print(
            f"previs: unknown export '{unknown[0]}' (use any of: {', '.join(EXPORTS)})",
            file=sys.stderr,
        )
        return 2
    if args.checks is not None and "shotlist" not in what and "review" not in what:
        print(
            "previs: --checks fills the shot list's Stage checks column: add shotlist to --what",
            file=sys.stderr,
        )
        return 2
    scene = load_scene_warning(args.scene)
    shot_ids = [scene.shot(s).id for s in args.shot] if args.shot else [s.id for s in scene.shots]
    out = _output_folder(args.output)
    checks = source = None
    if (
        args.checks is not None
    ):  # before any file is written: a refused report leaves nothing behind
        from previs import check

        if args.checks != "run":
            checks, source = check.read_report(args.checks, scene, shot_ids), f"from {args.checks}"
        else:
            if not args.quiet:
                print(
                    f"previs: running the LED stage checks on {len(shot_ids)} "
                    f"shot{'s' if len(shot_ids) != 1 else ''}",
                    file=sys.stderr,
                )
            checks = {
                r.shot: r
                for r in check.run_checks(scene, shot_ids, None, progress=not args.quiet)[0]
            }
            source = "run at export"
    with _writing(out, "previs export", mark=True) as written:
        _export_into(args, scene, what, shot_ids, out, checks, source, written)
    print(f"wrote {len(written)} file{'s' if len(written) != 1 else ''} to {out.resolve()}")
    for p in written:
        print(f"  {p}")
    return 0


INCOMPLETE_NAME = "INCOMPLETE.txt"


@contextmanager
def _writing(out: Path, what: str, *, mark: bool = False):
    """One run writes ``out`` at a time (a second refuses in one line); what killed runs left
    there is cleaned up; with ``mark`` (an export: a set of files that belong together), until
    this run completes ``out/INCOMPLETE.txt`` says the folder may hold a mix of this run's files
    and an earlier one's. Yields the list of files written."""
    from previs.export.atomic import LOCK_NAME, FolderLock, remove_stale_temporaries, write_atomic

    made = not out.exists()
    with FolderLock(out, what):
        marker = out / INCOMPLETE_NAME
        if mark and marker.exists():
            print(
                f"previs: warning: the last {what} into {out} did not finish; writing it again",
                file=sys.stderr,
            )
        for folder in (out, *(p for p in out.iterdir() if p.is_dir() and not p.is_symlink())):
            remove_stale_temporaries(folder)
        if mark:
            write_atomic(
                marker,
                (
                    f"{what} is writing this folder, or was stopped before it "
                    "finished: its files may be a mix of that run and an earlier one. "
                    "Run it again; this file goes when a run completes.\n"
                ).encode(),
            )
        written: list[Path] = []
        try:
            yield written
        except BaseException:
            # Refused before a file was written (a width the GPU cannot draw ...): leave the
            # folder as it was, not marked.
            others = (p for p in out.rglob("*") if p.name not in (INCOMPLETE_NAME, LOCK_NAME))
            if next(others, None) is None:
                marker.unlink(missing_ok=True)
                if made:
                    (out / LOCK_NAME).unlink(missing_ok=True)
                    out.rmdir()
            raise
        if mark:
            marker.unlink()


def _export_into(args, scene, what, shot_ids, out, checks, source, written: list[Path]) -> None:
    for w in what:
        if w == "shotlist":
            from previs.export.shotlist import export_shotlist, led_checks_note

            written += export_shotlist(
                scene,
                out / "shotlist",
                shot_ids=shot_ids if args.shot else None,
                checks=checks,
                checks_source=source,
                paper=args.paper,
            )
            if checks is not None:
                print(led_checks_note({s: checks[s] for s in shot_ids}, source))
        elif w == "boards":
            from previs.export.boards import export_boards

            written += export_boards(
                scene,
                out / "boards",
                shot_ids=shot_ids,
                per_page=args.per_page,
                per_scene=args.per_scene,
                progress=not args.quiet,
                paper=args.paper,
                orientation=args.orientation,
                open_gate=args.open_gate,
            )
        elif w == "otio":
            from previs.export.editorial import export_editorial

            media = Path(args.media) if args.media else None
            written += export_editorial(
                scene, out / "editorial", media_dir=media, shot_ids=shot_ids
            )
        elif w == "cameras":
            from previs.export.camera_data import export_camera_data

            written += export_camera_data(scene, shot_ids, out / "cameras")
        elif w == "plan":
            from previs.export.floorplan import export_floorplans

            written += export_floorplans(
                scene, out / "plans", shot_ids=shot_ids if args.shot else None
            )
        elif w == "review":
            from previs.export.review import export_review

            written += export_review(
                scene,
                out / "review",
                shot_ids=shot_ids,
                checks=checks,
                checks_source=source,
                media_dir=args.media,
                progress=not args.quiet,
            )


class _Parser(argparse.ArgumentParser):
    """A command-line mistake is one line too (argparse's default is the usage and the error)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from previs import __version__
    from previs.batch.options import add_batch_arguments

    ap = _Parser(prog="previs", description="Virtual-production previsualisation.")
    ap.add_argument("--version", action="version", version=f"previs {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("render", help="render a storyboard frame (PNG with caption) per shot")
    p.add_argument("scene", help="scene file (YAML)")
    p.add_argument(
        "--shot", action="append", metavar="ID", help="shot id (repeatable); default: all shots"
    )
    p.add_argument(
        "-o", "--output", default="out/storyboard", help="output folder (default: out/storyboard)"
    )
    p.add_argument(
        "--width",
        type=int,
        default=1920,
        help="image width in pixels (height follows the recording mode)",
    )
    p.add_argument("--no-aa", action="store_true", help="no anti-aliasing (FXAA is on by default)")
    p.add_argument(
        "--frames",
        choices=("keys", "first"),
        default="keys",
        help="moving shots: a frame at the first, every key and the last frame (keys, the default) "
        "or the first frame only",
    )
    p.add_argument("--no-shadows", action="store_true", help="render without shadow maps")
    p.add_argument(
        "--dof",
        action="store_true",
        help="depth of field as the lens gives it at its T-stop and focus (default: all sharp)",
    )
    p.add_argument(
        "--exr",
        action="store_true",
        help="also an OpenEXR per frame: scene-linear colour (half) and depth Z (metres along the "
        "lens axis), the camera in its header, for compositing",
    )
    add_display_arguments(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_batch_arguments(p)
    p.set_defaults(func=_cmd_render)
    from previs.export.animatic import add_animatic_command

    add_display_arguments(add_animatic_command(sub))
    from previs.track.command import add_take_command, add_track_command

    add_take_command(sub), add_track_command(sub)
    p = sub.add_parser(
        "check",
        help="stage checks per shot: moiré, wall distance, viewing angle, camera on stage, rig",
    )
    p.add_argument("scene", help="scene file (YAML)")
    p.add_argument(
        "--shot", action="append", metavar="ID", help="shot id (repeatable); default: all shots"
    )
    p.add_argument(
        "-o", "--output", default="out/check", help="folder for check.json and flagged frames"
    )
    p.add_argument("--width", type=int, default=960, help="width of the flagged-frame PNGs")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the report (check.json's contents) on stdout instead of the table",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_batch_arguments(p)
    p.set_defaults(func=_cmd_check)
    p = sub.add_parser(
        "export", help="shot list, storyboard sheets, editorial timeline, camera data, floor plans"
    )
    p.add_argument(
        "scene", nargs="?", help="scene file (YAML)"
    )  # checked in _cmd_export: see --checks
    p.add_argument(
        "--what",
        default=",".join(EXPORTS),
        help=f"comma-separated, any of: {', '.join(EXPORTS)} (default: all)",
    )
    p.add_argument(
        "--shot", action="append", metavar="ID", help="shot id (repeatable); default: all shots"
    )
    p.add_argument(
        "-o", "--output", default="out/export", help="output folder (default: out/export)"
    )
    p.add_argument(
        "--per-page",
        type=int,
        choices=(1, 2, 3, 4, 6, 8),
        default=6,
        help="storyboard panels per page",
    )
    p.add_argument(
        "--orientation",
        choices=("portrait", "landscape"),
        help="storyboard pages (default: whichever gives the pictures more room)",
    )
    p.add_argument(
        "--open-gate",
        action="store_true",
        help="board panels show the whole sensor with the frame lines (default: the delivered frame)",
    )
    p.add_argument(
        "--paper",
        type=str.lower,
        choices=("a4", "letter"),
        help="paper for the boards and the shot list (default: letter in a US or Canadian "
        "locale, else A4)",
    )
    p.add_argument("--per-scene", action="store_true", help="one storyboard PDF per scene number")
    p.add_argument(
        "--media",
        help="folder of animatic MP4s or storyboard panels for the editorial timeline "
        "(its animatic/ and storyboard/ subfolders are searched too)",
    )
    p.add_argument(
        "--checks",
        metavar="run|REPORT",
        help="fill the shot list's Stage checks column with the LED stage checks: run them now "
        "(--checks run) or read the check.json previs check wrote for this scene "
        "(--checks out/check/check.json; a file named run: --checks ./run); without it "
        "the column holds rig plausibility only",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_export)
    from previs.view.command import add_view_command

    add_view_command(sub)
    p = sub.add_parser("info", help="print the stage, set, lights, camera and shots of a scene")
    p.add_argument("scene")
    p.add_argument("--json", action="store_true", help="the same as JSON on stdout, for pipelines")
    p.set_defaults(func=_cmd_info)
    p = sub.add_parser("presets", help="list camera bodies, recording modes and lens kits")
    p.set_defaults(func=_cmd_presets)
    from previs.batch.farm import add_farm_commands

    add_farm_commands(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    width = getattr(args, "width", None)
    if width is not None and width <= 0:  # the upper limit is the GPU's, checked by the renderer
        print(f"previs: --width must be a positive number of pixels, got {width}", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except PrevisError as exc:  # one line, whatever a message quoted
        print(f"previs: {printable(exc, 8192)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("previs: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `previs info | head`: the reader left; say nothing more
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
