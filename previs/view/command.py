"""``previs view SCENE``: the sub-command (``previs.cli.build_parser`` registers it)."""

from __future__ import annotations

import re

from previs.errors import PrevisError


def add_view_command(subparsers):
    p = subparsers.add_parser(
        "view",
        help="the blocking window: fly the camera, key shots, check the stage, save",
        description="Open a window on a scene: look through the shot camera (frame lines, the wall "
        "as the camera sees it), a stage overview or a plan; move the camera, change "
        "lenses, set keys, play shots, capture storyboard panels and save. Press H in "
        "the window for the keys.",
    )
    p.add_argument("scene", help="scene file (YAML)")
    p.add_argument("--shot", metavar="ID", help="shot to open at (default: the first)")
    p.add_argument(
        "--size", default="1280x720", metavar="WxH", help="window size (default 1280x720)"
    )
    rec = p.add_mutually_exclusive_group()
    rec.add_argument(
        "--recover",
        action="store_true",
        help="restore unsaved work from a recovery file without asking",
    )
    rec.add_argument(
        "--discard-recovery",
        action="store_true",
        help="delete a recovery file without asking and open the saved scene",
    )
    p.add_argument(
        "--boards",
        default="out/view",
        metavar="DIR",
        help="where captured storyboard panels go (default: out/view)",
    )
    p.add_argument(
        "--board-width",
        type=int,
        default=1920,
        metavar="PX",
        help="width of captured panels (default 1920)",
    )
    p.add_argument(
        "--autosave-s",
        type=float,
        default=60.0,
        metavar="S",
        help="seconds between autosaves to the recovery file (default 60)",
    )
    p.add_argument(
        "--no-adaptive",
        action="store_true",
        help="always render at full resolution (the frame rate drops instead)",
    )
    p.add_argument(
        "--track",
        metavar="URL",
        help="follow a live tracker: freed://0.0.0.0:40000 or opentrackio://239.135.1.1:55555 "
        "(R records a take as shot T1, T2 ...; Shift+R discards it)",
    )
    p.set_defaults(func=_cmd_view)
    return p


def parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not m or int(m[1]) < 320 or int(m[2]) < 240:
        raise PrevisError(
            f"--size must be WIDTHxHEIGHT, at least 320x240 (e.g. 1280x720), got '{text}'"
        )
    return int(m[1]), int(m[2])


def _cmd_view(args) -> int:
    from previs.view.app import ViewerApp

    size = parse_size(args.size)
    if args.board_width <= 0:
        raise PrevisError("--board-width must be positive")
    if not args.autosave_s > 0:
        raise PrevisError("--autosave-s must be positive")
    recover = True if args.recover else False if args.discard_recovery else None
    app = ViewerApp(
        args.scene,
        size=size,
        shot=args.shot,
        recover=recover,
        board_dir=args.boards,
        board_width=args.board_width,
        autosave_s=args.autosave_s,
        adaptive=not args.no_adaptive,
        track=args.track,
    )
    try:
        return app.run()
    finally:
        app.close()
