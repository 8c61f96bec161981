"""``previs`` commands: a thin front end over :mod:`previs.api`.

A user's mistake (any :class:`~previs.errors.PrevisError`) ends with one line on stderr and exit
status 2; a bug keeps its traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from previs.errors import PrevisError


def _cmd_presets(args) -> int:
    from previs.core.presets import format_presets_table

    print(format_presets_table())
    return 0


def _cmd_info(args) -> int:
    from previs import api
    from previs.core import optics
    from previs.core.frame import evaluate

    scene = api.load_scene(args.scene)
    out = [f"scene   {scene.name}  ({scene.source_path})",
           f"rate    {float(scene.frame_rate):g} fps ({scene.frame_rate})  format v{scene.format_version}"]
    if scene.stage is not None:
        from previs.core.stage import wall_summary

        s = wall_summary(scene.stage)
        p = scene.stage.panel
        n_sec = len(scene.stage.sections)
        out.append(f"stage   {n_sec} wall section{'s' if n_sec != 1 else ''}"
                   f"{' + ceiling' if scene.stage.ceiling else ''}; panel {p.name}: {p.pixel_pitch_mm} mm pitch, "
                   f"{p.panel_width_mm:g}x{p.panel_height_mm:g} mm, {p.panel_width_px}x{p.panel_height_px} px, "
                   f"{p.peak_nits:g} nits peak")
        out.append(f"        {s['panels']} panels, {s['area_m2']:.1f} m², {s['pixels']:,} LED pixels in all")
        for sec in s["sections"]:
            arc = f", {sec['arc_deg']:.1f}° arc" if sec.get("arc_deg") else ""
            out.append(f"        {sec['name']:<18} {sec['kind']:<8} {sec['columns']} x {sec['rows']} panels "
                       f"= {sec['width_px']} x {sec['height_px']} px, {sec['width_m']:.2f} x {sec['height_m']:.2f} m{arc}")
    env = scene.environment
    shows = f"glTF {env.gltf_path}" if env.gltf_path else "no glTF"
    if env.sky:
        shows += f"; sky with sun at az {env.sky.sun_azimuth_deg:g}° el {env.sky.sun_elevation_deg:g}°"
    out.append(f"wall    shows {shows}; {env.wall_brightness_nits:g} nits")
    out.append(f"set     {len(scene.set_pieces)} pieces")
    for piece in scene.set_pieces:
        what = piece.mesh_path.name if piece.mesh_path else piece.kind
        pos = ", ".join(f"{v:.2f}" for v in piece.world_from_local[:3, 3])
        out.append(f"        {piece.name:<18} {what:<22} at ({pos})")
    out.append(f"lights  {len(scene.lights)}")
    for lt in scene.lights:
        unit = "lx" if lt.type == "directional" else "cd"
        col = f"{lt.kelvin:g} K" if lt.kelvin else "rgb"
        out.append(f"        {lt.name:<18} {lt.type:<11} {lt.intensity:g} {unit}, {col}, shadows {'on' if lt.shadows else 'off'}")
    cam = scene.camera
    out.append(f"camera  {cam.body} / {cam.mode}, {cam.lens_kit}; ISO {cam.iso:g}, {cam.shutter_angle_deg:g}°, "
               f"T{cam.t_stop:g}, delivery {cam.delivery_aspect}")
    out.append(f"shots   {len(scene.shots)}")
    for shot in scene.shots:
        st = evaluate(scene, shot)
        near, far = optics.dof_limits_m(st.focal_length_mm, st.t_stop, st.mode.coc_mm, st.focus_m)
        far_s = "inf" if math.isinf(far) else f"{far:.2f}"
        out.append(f"        {shot.id:<5} sc {shot.scene_number:<4} {st.focal_length_mm:>5g} mm  "
                   f"HFOV {st.hfov_deg:5.1f}°  T{st.t_stop:<4g} focus {st.focus_m:.2f} m (DOF {near:.2f}–{far_s} m)  "
                   f"{shot.length_frames} fr  {shot.description}")
    print("\n".join(out))
    return 0


def _cmd_render(args) -> int:
    from tqdm import tqdm

    from previs import api
    from previs.check import plausibility_warnings
    from previs.core.frame import key_frames

    scene = api.load_scene(args.scene)
    shots = [scene.shot(s) for s in args.shot] if args.shot else list(scene.shots)
    jobs = []  # (shot, frame, file suffix); every frame evaluated before any rendering
    for shot in shots:
        frames = [0] if shot.is_static or args.frames == "first" else key_frames(scene, shot)
        for f in frames:
            jobs.append((api.evaluate(scene, shot, f), "" if len(frames) == 1 else f"_f{f:04d}"))
        for w in plausibility_warnings(scene, shot):
            print(f"previs: warning: {shot.id}: {w}", file=sys.stderr)
    out_dir = Path(args.output)
    written = []
    stem = _safe_name(scene.source_path.stem if scene.source_path else scene.name)
    with api.StageRenderer(scene, width=args.width, antialias=not args.no_aa,
                           shadows=not args.no_shadows, dof=args.dof) as r:
        bar = tqdm(jobs, desc="rendering", unit="frame", disable=args.quiet or None, file=sys.stderr)
        for state, suffix in bar:
            bar.set_postfix_str(f"{state.shot_id} {state.frame}")
            frame = r.render(state, read_depth=False)
            path = out_dir / f"{stem}_{_safe_name(state.shot_id)}{suffix}.png"
            api.write_storyboard_frame(frame, state, scene, path)
            written.append(path)
    print(f"wrote {len(written)} storyboard frame{'s' if len(written) != 1 else ''} to {out_dir.resolve()}")
    for p in written:
        print(f"  {p}")
    return 0


def _cmd_check(args) -> int:
    from previs import api
    from previs.check import format_table, run_checks

    scene = api.load_scene(args.scene)
    shot_ids = [scene.shot(s).id for s in args.shot] if args.shot else [s.id for s in scene.shots]
    results, written = run_checks(scene, shot_ids, Path(args.output), width=args.width)
    print(format_table(results))
    failed = [r.shot for r in results if r.failed]
    print(f"{len(results) - len(failed)} of {len(results)} shots pass"
          + (f"; failing: {', '.join(failed)}" if failed else ""))
    for p in written:
        print(f"  {p}")
    return 1 if failed else 0


EXPORTS = ("shotlist", "boards", "otio", "cameras", "plan")


def _cmd_export(args) -> int:
    """Paperwork from one scene: every file written atomically; re-running replaces them."""
    from previs import api

    what = [w.strip() for w in args.what.split(",") if w.strip()]
    unknown = [w for w in what if w not in EXPORTS]
    if unknown:
        print(f"previs: unknown export '{unknown[0]}' (use any of: {', '.join(EXPORTS)})", file=sys.stderr)
        return 2
    if args.checks is not None and "shotlist" not in what:
        print("previs: --checks fills the shot list's Stage checks column: add shotlist to --what", file=sys.stderr)
        return 2
    scene = api.load_scene(args.scene)
    shot_ids = [scene.shot(s).id for s in args.shot] if args.shot else [s.id for s in scene.shots]
    out = Path(args.output)
    checks = source = None
    if args.checks is not None:  # before any file is written: a refused report leaves nothing behind
        from previs import check

        if args.checks:
            checks, source = check.read_report(args.checks, scene, shot_ids), f"from {args.checks}"
        else:
            print(f"previs: running the LED stage checks on {len(shot_ids)} shot{'s' if len(shot_ids) != 1 else ''}",
                  file=sys.stderr)
            checks = {r.shot: r for r in check.run_checks(scene, shot_ids, None)[0]}
            source = "run at export"
    written: list[Path] = []
    for w in what:
        if w == "shotlist":
            from previs.export.shotlist import export_shotlist, led_checks_note

            written += export_shotlist(scene, out / "shotlist", shot_ids=shot_ids if args.shot else None,
                                       checks=checks, checks_source=source)
            if checks is not None:
                print(led_checks_note({s: checks[s] for s in shot_ids}, source))
        elif w == "boards":
            from previs.export.boards import export_boards

            written += export_boards(scene, out / "boards", shot_ids=shot_ids, per_page=args.per_page,
                                     per_scene=args.per_scene)
        elif w == "otio":
            from previs.export.editorial import export_editorial

            media = Path(args.media) if args.media else None
            written += export_editorial(scene, out / "editorial", media_dir=media, shot_ids=shot_ids)
        elif w == "cameras":
            from previs.export.camera_data import export_camera_data

            written += export_camera_data(scene, shot_ids, out / "cameras")
        elif w == "plan":
            from previs.export.floorplan import export_floorplans

            written += export_floorplans(scene, out / "plans", shot_ids=shot_ids if args.shot else None)
    print(f"wrote {len(written)} file{'s' if len(written) != 1 else ''} to {out.resolve()}")
    for p in written:
        print(f"  {p}")
    return 0


def _safe_name(s: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in s)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="previs", description="Virtual-production previsualisation.")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("render", help="render a storyboard frame (PNG with caption) per shot")
    p.add_argument("scene", help="scene file (YAML)")
    p.add_argument("--shot", action="append", metavar="ID", help="shot id (repeatable); default: all shots")
    p.add_argument("-o", "--output", default="out/storyboard", help="output folder (default: out/storyboard)")
    p.add_argument("--width", type=int, default=1920, help="image width in pixels (height follows the recording mode)")
    p.add_argument("--no-aa", action="store_true", help="no anti-aliasing (FXAA is on by default)")
    p.add_argument("--frames", choices=("keys", "first"), default="keys",
                   help="moving shots: a frame at the first, every key and the last frame (keys, the default) "
                        "or the first frame only")
    p.add_argument("--no-shadows", action="store_true", help="render without shadow maps")
    p.add_argument("--dof", action="store_true",
                   help="depth of field as the lens gives it at its T-stop and focus (default: all sharp)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_render)
    from previs.export.animatic import add_animatic_command

    add_animatic_command(sub)
    p = sub.add_parser("check", help="stage checks per shot: moiré, wall distance, viewing angle, camera on stage, rig")
    p.add_argument("scene", help="scene file (YAML)")
    p.add_argument("--shot", action="append", metavar="ID", help="shot id (repeatable); default: all shots")
    p.add_argument("-o", "--output", default="out/check", help="folder for check.json and flagged frames")
    p.add_argument("--width", type=int, default=960, help="width of the flagged-frame PNGs")
    p.set_defaults(func=_cmd_check)
    p = sub.add_parser("export", help="shot list, storyboard sheets, editorial timeline, camera data, floor plans")
    p.add_argument("scene", help="scene file (YAML)")
    p.add_argument("--what", default=",".join(EXPORTS),
                   help=f"comma-separated, any of: {', '.join(EXPORTS)} (default: all)")
    p.add_argument("--shot", action="append", metavar="ID", help="shot id (repeatable); default: all shots")
    p.add_argument("-o", "--output", default="out/export", help="output folder (default: out/export)")
    p.add_argument("--per-page", type=int, choices=(4, 6, 8), default=6, help="storyboard panels per page")
    p.add_argument("--per-scene", action="store_true", help="one storyboard PDF per scene number")
    p.add_argument("--media", help="folder of animatic MP4s or storyboard panels for the editorial timeline "
                                   "(its animatic/ and storyboard/ subfolders are searched too)")
    p.add_argument("--checks", nargs="?", const="", metavar="REPORT",
                   help="fill the shot list's Stage checks column with the LED stage checks: run them now "
                        "(--checks alone; put it after the scene) or read the check.json previs check wrote "
                        "for this scene (--checks out/check/check.json); without it the column holds rig "
                        "plausibility only")
    p.set_defaults(func=_cmd_export)
    from previs.view.command import add_view_command

    add_view_command(sub)
    p = sub.add_parser("info", help="print the stage, set, lights, camera and shots of a scene")
    p.add_argument("scene")
    p.set_defaults(func=_cmd_info)
    p = sub.add_parser("presets", help="list camera bodies, recording modes and lens kits")
    p.set_defaults(func=_cmd_presets)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "width", 1) is not None and getattr(args, "width", 1) <= 0:
        print("previs: --width must be positive", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except PrevisError as exc:
        print(f"previs: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("previs: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
