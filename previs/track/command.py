"""``previs take import`` and ``previs track record|send`` (``previs.cli.build_parser`` registers
them through :func:`add_take_command` and :func:`add_track_command`)."""

from __future__ import annotations

import sys
from pathlib import Path

from previs.errors import PrevisError, printable


def add_take_command(subparsers):
    p = subparsers.add_parser(
        "take",
        help="recorded camera takes: import one as a shot",
        description="Turn a recorded camera track into a shot of the scene file.",
    )
    sub = p.add_subparsers(dest="take_command", required=True)
    q = sub.add_parser(
        "import",
        help="add a take (OpenTrackIO JSON/JSON lines/CBOR, Nuke .chan, glTF camera) as a shot",
        description="Read a recorded camera take and add it to the scene file as a new shot whose "
        "keys reproduce the take within 1 mm, 0.05 degrees and 0.1 mm of focal length "
        "(comments kept; the previous file goes to SCENE.bak).",
    )
    q.add_argument("scene", help="scene file (YAML)")
    q.add_argument("file", help="the take: .json/.jsonl/.cbor (OpenTrackIO), .chan, .glb/.gltf")
    q.add_argument("--shot-id", required=True, metavar="ID", help="id of the new shot")
    q.add_argument(
        "--format",
        choices=("opentrackio", "chan", "gltf"),
        help="the take's format (default: from the name and content)",
    )
    q.add_argument(
        "--frame-rate",
        metavar="FPS",
        help="the take's rate where the file gives none (.chan; default: the scene's)",
    )
    q.add_argument(
        "--focal-length-mm",
        type=float,
        metavar="MM",
        help="the lens where the file gives none (a .chan without its vfov column)",
    )
    q.add_argument(
        "--tracking",
        action="store_true",
        help="OpenTrackIO in the tracker's axes: map it through the scene's tracking: section "
        "(default: its axes are the stage's, as previs exports them)",
    )
    q.add_argument(
        "--scene-number", metavar="N", help="the shot's scene number (default: the last shot's)"
    )
    q.add_argument("--after", metavar="ID", help="insert after this shot (default: at the end)")
    q.set_defaults(func=_cmd_take_import)
    return p


def add_track_command(subparsers):
    p = subparsers.add_parser(
        "track",
        help="live camera tracking: record a take, or send a shot as packets",
        description="FreeD D1 (freed://HOST:PORT) and OpenTrackIO "
        "(opentrackio://HOST:PORT) over UDP.",
    )
    sub = p.add_subparsers(dest="track_command", required=True)
    r = sub.add_parser(
        "record",
        help="record a tracker into a new shot (no window)",
        description="Listen to a tracker and add what it sent as a new shot (keys "
        "reduced as for take import). Bad packets are counted and dropped.",
    )
    r.add_argument("scene", help="scene file (YAML)")
    r.add_argument(
        "--source",
        required=True,
        metavar="URL",
        help="freed://HOST:PORT or opentrackio://HOST:PORT (a multicast group joins it; "
        "?iface=ADDR picks the interface; port 0: any free port, printed)",
    )
    r.add_argument(
        "--seconds", type=float, required=True, metavar="S", help="listen this long at most"
    )
    r.add_argument("--frames", type=int, metavar="N", help="stop once N samples have arrived")
    r.add_argument("--shot-id", required=True, metavar="ID", help="id of the new shot")
    r.add_argument(
        "--lens",
        type=float,
        metavar="MM",
        help="the lens on the camera: picks the scene's tracking: encoder table (default: "
        "the first table)",
    )
    r.add_argument(
        "--source-rate",
        metavar="FPS",
        help="FreeD packets a second (FreeD carries no time; default: the scene's rate)",
    )
    r.add_argument(
        "--scene-number", metavar="N", help="the shot's scene number (default: the last shot's)"
    )
    r.set_defaults(func=_cmd_track_record)
    s = sub.add_parser("send", help="play a shot out as tracking packets (demos and tests)")
    s.add_argument("scene", help="scene file (YAML)")
    s.add_argument("--shot", required=True, metavar="ID", help="the shot to send")
    s.add_argument(
        "--to", required=True, metavar="URL", help="freed://HOST:PORT or opentrackio://HOST:PORT"
    )
    s.add_argument(
        "--rate",
        type=float,
        metavar="FPS",
        help="frames sent a second (default: the scene's rate, real time); each frame of "
        "the shot is one sample whatever the rate",
    )
    s.add_argument(
        "--encoding", choices=("json", "cbor"), default="json", help="OpenTrackIO payload"
    )
    s.add_argument(
        "--segment-bytes",
        type=int,
        default=1200,
        metavar="N",
        help="OpenTrackIO: largest payload a datagram carries (default 1200)",
    )
    s.add_argument("--repeat", type=int, default=1, metavar="N", help="send the shot N times")
    s.set_defaults(func=_cmd_track_send)
    return p


def _summary(shot, path: Path, shot_id: str, take) -> str:
    keys = ", ".join(f"{c} {len(rows)}" for c, rows in shot.keys.items()) or "none (a still camera)"
    tc = f", timecode {take.timecode}" if take.timecode else ""
    return (
        f"added shot {shot_id} to {printable(path)} (previous file: {printable(path.name)}.bak): "
        f"{shot.length_frames} frames from {len(take.frames)} samples at "
        f"{float(take.frame_rate):g} fps{tc}; keys: {keys}"
    )


def _cmd_take_import(args) -> int:
    from previs.track.takes import add_take, read_take
    from previs.view.document import SceneDocument

    doc = SceneDocument.open(args.scene)
    take = read_take(
        args.file,
        doc.scene,
        fmt=args.format,
        frame_rate=args.frame_rate,
        focal_length_mm=args.focal_length_mm,
        use_tracking=args.tracking,
    )
    take.source = args.file
    shot, path = add_take(
        args.scene, take, args.shot_id, scene_label=args.scene_number, after=args.after, doc=doc
    )
    print(_summary(shot, path, args.shot_id, take))
    for note in take.notes:
        print(f"  note: {note}")
    return 0


def _cmd_track_record(args) -> int:
    import time

    from previs.core.timecode import parse_rate
    from previs.io.scene_file import load_scene
    from previs.track.takes import add_take
    from previs.track.udp import Receiver, received_take

    if not 0 < args.seconds <= 24 * 3600:
        raise PrevisError(f"--seconds must be within (0, 86400], got {args.seconds:g}")
    if args.frames is not None and args.frames < 1:
        raise PrevisError(f"--frames must be at least 1, got {args.frames}")
    scene = load_scene(args.scene)
    source_rate = parse_rate(args.source_rate) if args.source_rate else None
    with Receiver(args.source) as rx:
        until = (
            f"{args.frames} samples or {args.seconds:g} s" if args.frames else f"{args.seconds:g} s"
        )
        print(f"previs: listening on {rx.url} (until {until})", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        try:
            rx.wait_for(args.frames if args.frames else 2**62, args.seconds)
        except KeyboardInterrupt:
            print("previs: stopped; keeping what arrived", file=sys.stderr)
        elapsed = time.monotonic() - t0
        stats, samples = rx.snapshot()
    bad = ", ".join(f"{k} {v}" for k, v in sorted(stats.bad.items())) or "none"
    print(
        f"{rx.url}: {stats.packets} packets in {elapsed:.1f} s, {stats.samples} samples, "
        f"{stats.bad_total} bad dropped ({bad}); longest silence between packets "
        f"{stats.longest_gap_s:.2f} s"
    )
    if stats.packets == 0:
        raise PrevisError(
            f"no packets from {rx.url} in {elapsed:.1f} s: the source was silent (is the "
            "tracker sending to this address and port?); nothing was added"
        )
    if not samples:
        raise PrevisError(
            f"{stats.packets} packets from {rx.url}, none of them usable; nothing was added"
        )
    take = received_take(samples, scene, rx.endpoint, source_rate=source_rate, lens_mm=args.lens)
    shot, path = add_take(
        args.scene,
        take,
        args.shot_id,
        scene_label=args.scene_number,
        description=f"TRACKED take from {rx.url}",
    )
    print(_summary(shot, path, args.shot_id, take))
    return 0


def _cmd_track_send(args) -> int:
    from previs.io.scene_file import load_scene
    from previs.track import opentrackio as otio
    from previs.track.udp import parse_url, send_packets, shot_packets

    ep = parse_url(args.to)
    scene = load_scene(args.scene)
    if not 1 <= args.segment_bytes <= otio.MAX_SEGMENT_PAYLOAD:
        raise PrevisError(f"--segment-bytes must be within 1..{otio.MAX_SEGMENT_PAYLOAD}")
    if not 1 <= args.repeat <= 10_000:
        raise PrevisError("--repeat must be within 1..10000")
    enc = otio.ENCODING_CBOR if args.encoding == "cbor" else otio.ENCODING_JSON
    frames = shot_packets(
        scene, args.shot, ep.protocol, encoding=enc, segment_bytes=args.segment_bytes
    )
    rate = args.rate if args.rate is not None else float(scene.frame_rate)
    sent = send_packets(frames, args.to, rate, repeat=args.repeat)
    print(
        f"sent shot {args.shot} to {ep.url()}: {len(frames) * args.repeat} frames, {sent} datagrams "
        f"at {rate:g} frames a second"
    )
    return 0
