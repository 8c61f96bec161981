"""The latency the tracking receiver adds in ``previs view --track``: a shot played out as FreeD or
OpenTrackIO packets at 60 Hz on loopback (what ``previs track send`` does: the same packets, the
same pacing, the send instant of each stamped here), received by a headless view session's
:class:`~previs.view.tracking.TrackFollower`, polled the way the window's run loop polls it
(``app.TRACK_POLL_S`` between polls while nothing else happens).

Two figures per protocol, the median, 95th percentile and worst over the samples:

* ``receive``: send instant to the receiver thread's arrival stamp (socket and decode);
* ``to pose``: send instant to the poll that put the sample on the live camera (what the picture
  and the wall are rendered from next), the poll wait included.

The issue's bar: at most one frame at 60 Hz (16.7 ms) added. Not a test: nothing asserts a time.

    .venv/bin/python bench/bench_tracking.py [--protocols freed,opentrackio] [--seconds 5]
                                             [--rate 60] [--shot 3B] [--poll-ms 4]
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from run_bench import machine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from previs.io.scene_file import load_scene  # noqa: E402
from previs.track.udp import parse_url, sender_socket, shot_packets  # noqa: E402
from previs.view.app import TRACK_POLL_S  # noqa: E402
from previs.view.session import Session  # noqa: E402


def _send(frames, url, rate, count, sent_s):
    """``count`` frames of ``frames`` (looped) at ``rate`` a second, as track send paces them;
    each frame's send instant into ``sent_s``."""
    ep = parse_url(url)
    with sender_socket(ep) as sock:
        t0 = time.monotonic()
        for k in range(count):
            wait = t0 + k / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            sent_s.append(time.monotonic())
            for d in frames[k % len(frames)]:
                sock.sendto(d, (ep.host, ep.port))


def _pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


def run(scene_path: Path, protocol: str, shot: str, rate: float, seconds: float, poll_s: float):
    scene = load_scene(scene_path)
    frames = shot_packets(scene, shot, protocol)
    count = int(seconds * rate)
    s = Session(scene_path, autosave_s=1e9, track=f"{protocol}://127.0.0.1:0")
    t = s.tracker
    sent_s: list[float] = []
    to_pose: list[float] = []
    try:
        th = threading.Thread(target=_send, args=(frames, t.url, rate, count, sent_s), daemon=True)
        th.start()
        done = 0
        deadline = time.monotonic() + seconds + 10
        while done < count and time.monotonic() < deadline:
            new = t.poll()
            now = time.monotonic()
            if new:
                s.state()  # what the window renders from (the live camera, the lagged wall)
                to_pose += [now - sent_s[i] for i in range(done, done + new)]
                done += new
            time.sleep(poll_s)
        th.join(5)
        _, samples = t.rx.snapshot()
        receive = [arrived - sent_s[i] for i, (arrived, _) in enumerate(samples)]
        lost = count - len(samples)
    finally:
        t.stop()
    return receive, to_pose, lost


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--protocols", default="freed,opentrackio")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rate", type=float, default=60.0)
    ap.add_argument("--shot", default="3B")
    ap.add_argument("--poll-ms", type=float, default=TRACK_POLL_S * 1000)
    args = ap.parse_args(argv)
    m = machine()
    print(
        f"machine: {m['cpu']}, {m['cores']} cores, {m['os']}; "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC"
    )
    print(
        f"{args.rate:g} Hz for {args.seconds:g} s on 127.0.0.1, shot {args.shot}, "
        f"poll every {args.poll_ms:g} ms (one frame: {1000 / args.rate:.1f} ms)"
    )
    print("protocol | receive ms median / p95 / max | to pose ms median / p95 / max | lost")
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "scenes", Path(tmp) / "scenes")
        scene_path = Path(tmp) / "scenes/led_stage.yaml"
        for proto in args.protocols.split(","):
            rx, pose, lost = run(
                scene_path, proto, args.shot, args.rate, args.seconds, args.poll_ms / 1000
            )
            f = lambda v: (  # noqa: E731
                f"{statistics.median(v) * 1e3:6.2f} / {_pct(v, 0.95) * 1e3:6.2f} / "
                f"{max(v) * 1e3:6.2f}"
            )
            print(f"{proto:<11} | {f(rx)} | {f(pose)} | {lost}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
