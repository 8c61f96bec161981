"""Live tracking: FreeD and OpenTrackIO codecs on bytes (hand-made packets and checksums), the
stage mapping (axes, yaw, origin, pupil offset) as the inverse of what ``track send`` does, and
loopback UDP end to end: shots sent by ``previs track send`` and received (a Receiver thread, or
``previs track record`` as a real process) match the shot within each format's quantisation;
corrupted packets are dropped and counted by reason; a silent source is reported. Only
127.0.0.1 is used. No verdict depends on the clock: receivers count packets and the tests wait on
counts (timeouts only guard against a hang)."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from previs.core.frame import evaluate
from previs.io.scene_file import load_scene
from previs.track import freed
from previs.track import opentrackio as otio
from previs.track.mapping import LensMap, StageMapping
from previs.track.udp import Receiver, parse_url, received_take, send_packets, shot_packets

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared/reference/opentrackio/schema.json"
GUARD_S = 120.0  # a hang guard only: the tests wait on packet counts

TRACKING = """
tracking:                      # the stage's tracker: Z up, Y toward the wall, turned 3 deg
  axes: [x, z, -y]
  yaw_deg: 3
  origin_m: [0.5, 0.0, -1.0]   # where the tracker's origin is on the stage
  pupil_offset_m: [0.02, -0.11, -0.15]
  lenses:
    - focal_length_mm: 35
      focus: [[0, 0.35], [200000, 4.0], [1000000, 40.0]]
    - focal_length_mm: 40
      focus: [[0, 0.35], [300000, 6.0], [1000000, 40.0]]
"""


def _rot_err_deg(a, b) -> float:
    c = (np.trace(a[:3, :3].T @ b[:3, :3]) - 1.0) / 2.0
    return math.degrees(math.acos(min(1.0, max(-1.0, c))))


@pytest.fixture()
def stage(tmp_path) -> Path:
    shutil.copytree(ROOT / "scenes", tmp_path / "scenes")
    p = tmp_path / "scenes/led_stage.yaml"
    p.write_text(p.read_text() + TRACKING)
    return p


def _cli(*args, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "previs.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kw,
    )


# ---------------------------------------------------------------- FreeD bytes
def test_freed_packet_by_hand():
    s = freed.FreeDSample(
        camera_id=7,
        pan_deg=90.0,
        tilt_deg=-45.0,
        roll_deg=0.5,
        x_mm=1000.0,
        y_mm=-2.0,
        z_mm=1500.015625,
        zoom=0x123456,
        focus=0xABCDEF,
        spare=0x0102,
    )
    b = freed.encode(s)
    assert len(b) == 29 and b[0] == 0xD1 and b[1] == 7
    assert b[2:5] == (90 * 32768).to_bytes(3, "big")  # 0x2D0000
    assert b[5:8] == ((-45 * 32768) & 0xFFFFFF).to_bytes(3, "big")
    assert b[11:14] == (1000 * 64).to_bytes(3, "big") and b[17:20] == (96001).to_bytes(3, "big")
    assert (
        b[20:23] == bytes.fromhex("123456")
        and b[23:26] == bytes.fromhex("abcdef")
        and b[26:28] == b"\x01\x02"
    )
    assert (sum(b[:28]) + b[28]) % 256 == 0x40
    assert freed.decode(b) == s


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda b: b[:28], "length"),
        (lambda b: b + b"\x00", "length"),
        (lambda b: b"\xd2" + b[1:28] + bytes([freed.checksum(b"\xd2" + b[1:28])]), "type"),
        (lambda b: b[:10] + bytes([b[10] ^ 1]) + b[11:], "checksum"),
    ],
)
def test_freed_bad_packets(mutate, reason):
    good = freed.encode(freed.FreeDSample(1, 10.0, 2.0, 0.0, 1.0, 2.0, 3.0, 100, 200))
    with pytest.raises(freed.FreeDError) as e:
        freed.decode(mutate(good))
    assert e.value.reason == reason


# ---------------------------------------------------------------- OpenTrackIO bytes
def test_fletcher16_and_header_by_hand():
    assert otio.fletcher16(b"abcde") == 0xC3EF  # sums mod 256: s1 239, s2 195
    payload = b'{"a":1}'
    (pkt,) = otio.encode_packets(payload, 0x1234, otio.ENCODING_JSON)
    assert pkt[:4] == b"OTrk" and pkt[4] == 0 and pkt[5] == 0x01 and pkt[6:8] == b"\x12\x34"
    assert pkt[8:12] == b"\x00\x00\x00\x00" and int.from_bytes(pkt[12:14], "big") == 0x8000 | len(
        payload
    )
    assert int.from_bytes(pkt[14:16], "big") == otio.fletcher16(pkt[:14], payload)
    assert pkt[16:] == payload
    seg = otio.parse_packet(pkt)
    assert (seg.sequence, seg.offset, seg.last, seg.payload) == (0x1234, 0, True, payload)


def test_segments_reassemble_in_any_order_and_a_lost_one_never_completes():
    payload = bytes(range(256)) * 10
    pkts = otio.encode_packets(payload, 9, otio.ENCODING_CBOR, segment_bytes=700)
    assert len(pkts) == 4 and [otio.parse_packet(p).last for p in pkts] == [
        False,
        False,
        False,
        True,
    ]
    r = otio.Reassembler()
    out = [r.add("a", otio.parse_packet(p)) for p in (pkts[3], pkts[1], pkts[0], pkts[2])]
    assert out[:3] == [None, None, None] and out[3] == (otio.ENCODING_CBOR, payload)
    r2 = otio.Reassembler()
    assert all(r2.add("a", otio.parse_packet(p)) is None for p in (pkts[0], pkts[1], pkts[3]))


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"OTrk\x00\x01", "length"),
        (b"XXXX" + bytes(12), "type"),
        (otio.encode_packets(b"{}", 1)[0][:-1], "length"),
    ],
)
def test_opentrackio_bad_packets(data, reason):
    with pytest.raises(otio.OtioError) as e:
        otio.parse_packet(data)
    assert e.value.reason == reason
    bad = bytearray(otio.encode_packets(b'{"x": 1}', 1)[0])
    bad[-1] ^= 0x20
    with pytest.raises(otio.OtioError, match="checksum"):
        otio.parse_packet(bytes(bad))


def test_sent_samples_validate_against_the_schema(stage):
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMA.is_file():
        pytest.skip(
            f"{SCHEMA} not found (the OpenTrackIO schema lives in ../shared, beside the checkout)"
        )
    schema = json.loads(SCHEMA.read_text())
    scene = load_scene(stage)
    frames = shot_packets(scene, "3A", "opentrackio")
    for k in (0, 60, 119):
        seg = otio.parse_packet(frames[k][0])
        sample = otio.decode_payload(seg.payload, seg.encoding)
        jsonschema.validate(sample, schema)
        assert sample["timing"]["sequenceNumber"] == k


# ---------------------------------------------------------------- the stage mapping
def test_mapping_default_is_opentrackio_axes_and_inverse_with_offsets(stage):
    m = StageMapping(None, "opentrackio")
    w = np.eye(4)
    w[:3, 3] = (1.0, 2.0, 3.0)  # OpenTrackIO: x right, y forward (toward the wall), z up
    p = m.to_stage(w)
    assert np.allclose(p[:3, 3], (1.0, 3.0, -2.0))  # previs: up is y, the wall is -z
    assert np.allclose(p[:3, :3], np.eye(3))  # looking along +Y there is looking down -Z here
    scene = load_scene(stage)
    for proto in ("freed", "opentrackio"):
        mp = StageMapping(scene.tracking, proto)
        for f in (0, 50, 143):
            want = evaluate(scene, "3B", f).world_from_camera
            assert np.allclose(mp.to_stage(mp.from_stage(want)), want, atol=1e-12)
    # FreeD's pan turns the other way round from OpenTrackIO's
    r_f = StageMapping(None, "freed").rotation(30.0, 0.0, 0.0)
    r_o = StageMapping(None, "opentrackio").rotation(-30.0, 0.0, 0.0)
    assert np.allclose(r_f, r_o)


def test_lens_table_and_its_inverse(stage):
    lm = LensMap(load_scene(stage), 35.0)
    assert lm.focus_m(200000) == pytest.approx(4.0) and lm.focus_m(100000) == pytest.approx(2.175)
    assert lm.focus_counts(4.0) == 200000 and lm.focal_mm(12345) == 35.0


# ---------------------------------------------------------------- loopback UDP
def _received_matches(
    scene, shot_id, url, proto_opts, pos_tol_m, ang_tol_deg, focus_tol_m, lens_mm
):
    shot = scene.shot(shot_id)
    with Receiver(url) as rx:
        sender = _cli(
            "track",
            "send",
            str(scene.source_path),
            "--shot",
            shot_id,
            "--to",
            rx.url,
            "--rate",
            "480",
            *proto_opts,
        )
        try:
            assert rx.wait_for(shot.length_frames, GUARD_S), rx.stats
        finally:
            out, err = sender.communicate(timeout=GUARD_S)
        assert sender.returncode == 0, err
        stats, samples = rx.snapshot()
    assert stats.bad_total == 0 and stats.samples == shot.length_frames
    take = received_take(samples, scene, rx.endpoint, lens_mm=lens_mm)
    assert len(take.frames) == shot.length_frames
    for f in range(shot.length_frames):
        st = evaluate(scene, shot, f)
        w = take.world_from_camera[f]
        assert np.linalg.norm(w[:3, 3] - st.position_m) <= pos_tol_m
        assert _rot_err_deg(w, st.world_from_camera) <= ang_tol_deg
        assert abs(take.focal_length_mm[f] - st.focal_length_mm) <= 0.005
        assert abs(take.focus_m[f] - st.focus_m) <= focus_tol_m
    return take


def test_freed_over_loopback_within_its_quantisation(stage):
    """1/64 mm per axis and 1/32768° per angle, rounded: half a unit each; focus through the
    lens's table at its count resolution (here 18 µm a count)."""
    scene = load_scene(stage)
    pos = math.sqrt(3) * 0.5 / 64 / 1000 + 1e-9
    ang = 3 * 0.5 / 32768 + 1e-9
    _received_matches(scene, "3B", "freed://127.0.0.1:0", [], pos, ang, 2e-5, 35.0)


@pytest.mark.parametrize("opts", [["--segment-bytes", "200"], ["--encoding", "cbor"]])
def test_opentrackio_over_loopback_segmented_and_cbor(stage, opts):
    """JSON numbers carry doubles: OpenTrackIO's only loss is float rounding."""
    scene = load_scene(stage)
    take = _received_matches(scene, "3A", "opentrackio://127.0.0.1:0", opts, 1e-9, 1e-7, 1e-9, 40.0)
    assert take.timecode == "00:00:00:00" and take.frame_rate == 24


@pytest.mark.parametrize("proto, shot, lens", [("freed", "3B", "35"), ("opentrackio", "3A", "40")])
def test_track_record_process_adds_the_take(stage, proto, shot, lens):
    """``track record`` (a process) adds what ``track send`` (another) plays: the new shot
    evaluates to the sent one within the take tolerances plus the format's quantisation."""
    from previs.track import takes as tk

    before = stage.read_text()
    rec = _cli(
        "track",
        "record",
        str(stage),
        "--source",
        f"{proto}://127.0.0.1:0",
        "--seconds",
        str(GUARD_S),
        "--frames",
        str(load_scene(stage).shot(shot).length_frames),
        "--shot-id",
        "T1",
        "--lens",
        lens,
    )
    line = rec.stderr.readline()
    m = re.search(r"listening on (\S+)", line)
    assert m, line
    send = _cli("track", "send", str(stage), "--shot", shot, "--to", m.group(1), "--rate", "480")
    assert send.wait(timeout=GUARD_S) == 0, send.stderr.read()
    out, err = rec.communicate(timeout=GUARD_S)
    assert rec.returncode == 0, err
    assert "0 bad dropped" in out and "added shot T1" in out
    assert stage.with_name("led_stage.yaml.bak").read_text() == before
    new = load_scene(stage)
    assert "# the stage's tracker" in stage.read_text()  # comments kept
    a, b = new.shot(shot), new.shot("T1")
    assert b.length_frames == a.length_frames and b.take.frame_rate == 24
    for f in range(a.length_frames):
        sa, sb = evaluate(new, a, f), evaluate(new, b, f)
        assert np.linalg.norm(sa.position_m - sb.position_m) <= tk.POSITION_TOL_M + 2e-5
        assert _rot_err_deg(sa.world_from_camera, sb.world_from_camera) <= tk.ANGLE_TOL_DEG + 1e-4
        assert abs(sa.focal_length_mm - sb.focal_length_mm) <= tk.FOCAL_TOL_MM
        assert abs(sa.focus_m - sb.focus_m) <= tk.FOCUS_TOL_M + 2e-5


def _send_raw(url: str, datagrams: list[bytes]) -> None:
    ep = parse_url(url)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for d in datagrams:
            s.sendto(d, (ep.host, ep.port))


def test_corrupted_freed_stream_is_counted_and_dropped():
    good = [
        freed.encode(freed.FreeDSample(1, float(i), 0.0, 0.0, 0.0, 0.0, 1500.0, 0, 0))
        for i in range(10)
    ]
    bad_sum = bytearray(good[0])
    bad_sum[5] ^= 0xFF
    stream = []
    for i, g in enumerate(good):
        stream.append(g)
        stream += (
            [bytes(bad_sum), g[:20], b"\xd0" + g[1:], os.urandom(29)[:0] + b"\x00" * 40]
            if i % 2 == 0
            else []
        )
    with Receiver("freed://127.0.0.1:0") as rx:
        _send_raw(rx.url, stream)
        deadline_ok = rx.wait_for(10, GUARD_S)
        # the bad ones were sent before the last good one, on one socket: all counted by now
        stats, samples = rx.snapshot()
    assert deadline_ok
    assert stats.packets == len(stream)
    assert stats.samples == 10 and [round(s.pan_deg) for _, s in samples] == list(range(10))
    assert stats.bad == {"checksum": 5, "length": 10, "type": 5}


def test_corrupted_opentrackio_stream_is_counted_and_dropped():
    sample = otio.make_sample(
        translation_m=(0, -2, 1.5),
        pan_deg=0,
        tilt_deg=0,
        roll_deg=0,
        sequence=0,
        rate=24,
        timecode=(0, 0, 0, 0),
        focal_length_mm=35.0,
        source_id="urn:uuid:6b0c61f2-0d5e-5d43-93c4-747261636b31",
        sample_id="urn:uuid:6b0c61f2-0d5e-5d43-93c4-747261636b32",
    )
    good = otio.encode_packets(otio.encode_payload(sample), 1)[0]
    flipped = bytearray(good)
    flipped[40] ^= 0x01
    not_json = otio.encode_packets(b"{not json", 2)[0]
    off_schema = otio.encode_packets(b'{"transforms": [{"translation": {"x": "far"}}]}', 3)[0]
    stream = [good, bytes(flipped), b"hello", b"XXXX" + good[4:], not_json, off_schema, good]
    with Receiver("opentrackio://127.0.0.1:0") as rx:
        _send_raw(rx.url, stream)
        assert rx.wait_for(2, GUARD_S)
        stats, _ = rx.snapshot()
    assert stats.packets == len(stream) and stats.samples == 2
    assert stats.bad == {"checksum": 1, "length": 1, "type": 1, "garbage": 1, "schema": 1}


def test_silent_source_is_reported_and_nothing_added(stage):
    before = stage.read_text()
    rec = _cli(
        "track",
        "record",
        str(stage),
        "--source",
        "freed://127.0.0.1:0",
        "--seconds",
        "0.3",
        "--shot-id",
        "T1",
    )
    out, err = rec.communicate(timeout=GUARD_S)
    assert rec.returncode == 2
    assert "0 packets" in out and re.search(
        r"no packets from freed://127\.0\.0\.1:\d+ .*silent", err
    )
    assert stage.read_text() == before and not stage.with_name("led_stage.yaml.bak").exists()


def test_bad_urls_are_one_line(stage, capsys):
    from previs.cli import main

    assert main(["track", "send", str(stage), "--shot", "3A", "--to", "udp://127.0.0.1:9"]) == 2
    assert "use freed://HOST:PORT" in capsys.readouterr().err
    assert main(["track", "send", str(stage), "--shot", "3A", "--to", "freed://127.0.0.1:0"]) == 2
    assert "give the receiver's port" in capsys.readouterr().err
    with pytest.raises(Exception, match="rate"):
        send_packets([[b"x"]], "freed://127.0.0.1:9", 0.0)


def test_opentrackio_multicast_group_on_loopback(stage):
    """OpenTrackIO's multicast group 239.135.1.N, joined and sent on the loopback interface only."""
    from previs.errors import PrevisError

    scene = load_scene(stage)
    frames = shot_packets(scene, "3A", "opentrackio")[:12]
    try:
        rx = Receiver("opentrackio://239.135.1.7:0?iface=127.0.0.1").start()
    except PrevisError as exc:
        pytest.skip(f"no multicast on loopback here: {exc}")
    try:
        send_packets(frames, f"opentrackio://239.135.1.7:{rx.port}?iface=127.0.0.1", 1000.0)
        assert rx.wait_for(12, GUARD_S)
        stats, samples = rx.snapshot()
    finally:
        rx.stop()
    assert stats.bad_total == 0 and [s.sequence for _, s in samples] == list(range(12))
