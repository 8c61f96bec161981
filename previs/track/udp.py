"""Live tracking over UDP: a receiver that counts and drops bad packets, and a sender that plays
a shot out as FreeD or OpenTrackIO packets (for demos and tests).

Sources are URLs: ``freed://HOST:PORT`` (default port 40000) or ``opentrackio://HOST:PORT``
(default 55555). A multicast group as HOST (224.0.0.0/4, e.g. OpenTrackIO's 239.135.1.N) is
joined on the interface ``?iface=ADDRESS`` (default: any). Port 0 lets the system choose (the
receiver's :attr:`Receiver.url` then names the port it got).

The receiver runs one thread that only reads and decodes datagrams: every packet is counted, a
bad one (wrong length, type or checksum, garbage, a sample off the schema) is counted by reason
and dropped, and nothing a sender does can raise out of it. Samples keep their arrival order and
arrival time; callers wait on counts (:meth:`Receiver.wait_for`), never on the clock.
"""

from __future__ import annotations

import collections
import ipaddress
import math
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from fractions import Fraction
from urllib.parse import parse_qs, urlsplit

import numpy as np

from previs.errors import PrevisError, printable
from previs.track import freed
from previs.track import opentrackio as otio

DEFAULT_PORTS = {"freed": 40000, "opentrackio": 55555}
MAX_DATAGRAM = 65535
MAX_SAMPLES = 1_000_000  # a receiver keeps at most this many (about 4.6 hours at 60 Hz)
_NS = uuid.UUID("6b0c61f2-0d5e-5d43-93c4-747261636b31")  # previs track send's sample ids


@dataclass(frozen=True)
class Endpoint:
    protocol: str  # "freed" | "opentrackio"
    host: str
    port: int
    iface: str = "0.0.0.0"

    @property
    def multicast(self) -> bool:
        try:
            return ipaddress.ip_address(self.host).is_multicast
        except ValueError:
            return False

    def url(self, port: int | None = None) -> str:
        return f"{self.protocol}://{self.host}:{self.port if port is None else port}"


def parse_url(url: str) -> Endpoint:
    """``freed://HOST:PORT`` or ``opentrackio://HOST:PORT[?iface=ADDR]``."""
    try:
        u = urlsplit(str(url))
        port = u.port
    except ValueError as exc:
        raise PrevisError(f"tracking source {printable(url, 80)}: {exc}") from None
    if u.scheme not in DEFAULT_PORTS:
        raise PrevisError(
            f"tracking source {printable(url, 80)}: use freed://HOST:PORT or "
            "opentrackio://HOST:PORT"
        )
    if not u.hostname:
        raise PrevisError(
            f"tracking source {printable(url, 80)}: no host (use 0.0.0.0 to listen on all)"
        )
    iface = parse_qs(u.query).get("iface", ["0.0.0.0"])[0]
    return Endpoint(u.scheme, u.hostname, DEFAULT_PORTS[u.scheme] if port is None else port, iface)


@dataclass
class Stats:
    packets: int = 0
    samples: int = 0
    bad: collections.Counter = field(default_factory=collections.Counter)
    first_s: float | None = None
    last_s: float | None = None
    longest_gap_s: float = 0.0
    senders: set = field(default_factory=set)

    @property
    def bad_total(self) -> int:
        return sum(self.bad.values())


class Receiver:
    """Listens on a source URL in a thread; ``samples`` holds (arrival s, decoded sample):
    :class:`~previs.track.freed.FreeDSample` or :class:`~previs.track.opentrackio.OtioSample`."""

    def __init__(self, url: str):
        self.endpoint = parse_url(url)
        self.stats = Stats()
        self.samples: list[tuple[float, object]] = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._reassembler = otio.Reassembler()
        ep = self.endpoint
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            except OSError:
                pass  # the system's default buffer, then
            if ep.multicast:
                self.sock.bind(("", ep.port))
                mreq = struct.pack("4s4s", socket.inet_aton(ep.host), socket.inet_aton(ep.iface))
                self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
            else:
                self.sock.bind((ep.host, ep.port))
        except OSError as exc:
            self.sock.close()
            raise PrevisError(f"cannot listen on {ep.url()}: {exc.strerror or exc}") from None
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.05)
        self._thread = threading.Thread(target=self._run, name="previs-track-receiver", daemon=True)

    @property
    def url(self) -> str:
        return self.endpoint.url(self.port)

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.sock.close()

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_for(self, count: int, timeout_s: float) -> bool:
        """Wait until ``count`` samples have arrived (True) or ``timeout_s`` passed (False)."""
        with self._cond:
            return (
                self._cond.wait_for(
                    lambda: self.stats.samples >= count or self._stop.is_set(), timeout=timeout_s
                )
                and self.stats.samples >= count
            )

    def snapshot(self) -> tuple[Stats, list]:
        with self._cond:
            s = self.stats
            copy = Stats(
                s.packets,
                s.samples,
                collections.Counter(s.bad),
                s.first_s,
                s.last_s,
                s.longest_gap_s,
                set(s.senders),
            )
            return copy, list(self.samples)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, sender = self.sock.recvfrom(MAX_DATAGRAM)
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                continue
            now = time.monotonic()
            try:
                sample = self._decode(data, sender)
                reason = None
            except (freed.FreeDError, otio.OtioError) as exc:
                sample, reason = None, exc.reason
            except Exception:  # a decoder bug must not end the receiver: count it as garbage
                sample, reason = None, "garbage"
            with self._cond:
                st = self.stats
                st.packets += 1
                if st.last_s is not None:
                    st.longest_gap_s = max(st.longest_gap_s, now - st.last_s)
                if st.first_s is None:
                    st.first_s = now
                st.last_s = now
                if reason is not None:
                    st.bad[reason] += 1
                elif sample is not None and len(self.samples) < MAX_SAMPLES:
                    st.samples += 1
                    st.senders.add(sender[0])
                    self.samples.append((now, sample))
                self._cond.notify_all()

    def _decode(self, data: bytes, sender):
        if self.endpoint.protocol == "freed":
            return freed.decode(data)
        seg = otio.parse_packet(data)
        whole = self._reassembler.add(sender, seg)
        if whole is None:
            return None  # waiting for more segments: counted as a packet, not yet a sample
        encoding, payload = whole
        return otio.parse_sample(otio.decode_payload(payload, encoding), "packet")


# ---------------------------------------------------------------- samples -> a take
def received_take(
    samples: list,
    scene,
    endpoint: Endpoint,
    *,
    source_rate: Fraction | None = None,
    lens_mm: float | None = None,
):
    """The received samples as :class:`~previs.track.takes.TakeSamples` on the stage: the
    scene's ``tracking:`` axes, origin and pupil offset, and its encoder table for the lens.
    FreeD carries no time: its packets are taken as one a frame of ``source_rate`` (default the
    scene's; genlocked trackers send one a frame). OpenTrackIO samples carry their rate and
    sequence numbers."""
    from previs.track.mapping import LensMap, StageMapping
    from previs.track.takes import TakeSamples, otio_samples_take

    if not samples:
        raise PrevisError(f"no samples from {endpoint.url()}")
    mapping = StageMapping(scene.tracking, endpoint.protocol)
    lens = LensMap(scene, lens_mm)
    items = [s for _, s in samples]
    if endpoint.protocol == "opentrackio":
        return otio_samples_take(
            items,
            scene,
            source=endpoint.url(),
            mapping=mapping,
            lens_map=lens,
            focal_length_mm=lens_mm,
        )
    mats = np.empty((len(items), 4, 4))
    for k, s in enumerate(items):
        m = np.eye(4)
        m[:3, :3] = mapping.rotation(s.pan_deg, s.tilt_deg, s.roll_deg)
        m[:3, 3] = np.array([s.x_mm, s.y_mm, s.z_mm]) / 1000.0
        mats[k] = mapping.to_stage(m)
    return TakeSamples(
        source=endpoint.url(),
        frame_rate=Fraction(source_rate or scene.frame_rate),
        frames=np.arange(len(items), dtype=np.int64),
        world_from_camera=mats,
        focal_length_mm=np.array([lens.focal_mm(s.zoom) for s in items]),
        focus_m=np.array([lens.focus_m(s.focus) for s in items]),
    )


# ---------------------------------------------------------------- a shot -> packets
def shot_packets(
    scene,
    shot_id: str,
    protocol: str,
    *,
    encoding: int = otio.ENCODING_JSON,
    segment_bytes: int = otio.DEFAULT_SEGMENT_BYTES,
    camera_id: int = 1,
) -> list[list[bytes]]:
    """Per frame of the shot, the datagrams that carry it (FreeD: one; OpenTrackIO: one or more
    segments), through the scene's ``tracking:`` section backwards (what a tracker would send)."""
    from previs.core.timecode import frames_to_fields, is_drop_frame_rate
    from previs.export.camera_data import shot_states
    from previs.track.mapping import LensMap, StageMapping

    shot = scene.shot(shot_id)
    states = shot_states(scene, shot)
    mapping = StageMapping(scene.tracking, protocol)
    focal0 = states[0].focal_length_mm
    tables = scene.tracking.lenses if scene.tracking else ()
    has_table = any(math.isclose(c.focal_length_mm, focal0, abs_tol=0.01) for c in tables)
    lens = LensMap(scene, focal0) if has_table else LensMap(scene, tables=False)
    poses = [mapping.from_stage(s.world_from_camera) for s in states]
    angles = np.array([mapping.angles(p[:3, :3]) for p in poses])
    angles = np.degrees(np.unwrap(np.radians(angles), axis=0))
    out = []
    rate = Fraction(scene.frame_rate)
    source_id = uuid.uuid5(_NS, f"{scene.name}/{shot.id}")
    for s, pose, (pan, tilt, roll) in zip(states, poses, angles, strict=True):
        if protocol == "freed":
            pan_w, roll_w = ((a + 180.0) % 360.0 - 180.0 for a in (pan, roll))  # FreeD holds ±256°
            x, y, z = pose[:3, 3] * 1000.0
            pkt = freed.encode(
                freed.FreeDSample(
                    camera_id,
                    float(pan_w),
                    float(tilt),
                    float(roll_w),
                    float(x),
                    float(y),
                    float(z),
                    lens.zoom_counts(s.focal_length_mm),
                    lens.focus_counts(s.focus_m),
                )
            )
            out.append([pkt])
            continue
        h, mi, se, fr = frames_to_fields(s.frame, rate)
        sample = otio.make_sample(
            translation_m=pose[:3, 3],
            pan_deg=float(pan),
            tilt_deg=float(tilt),
            roll_deg=float(roll),
            sequence=s.frame,
            rate=rate,
            timecode=(h, mi, se, fr),
            drop_frame=is_drop_frame_rate(rate),
            focal_length_mm=s.focal_length_mm,
            focus_m=s.focus_m,
            t_stop=s.t_stop,
            source_id=source_id.urn,
            sample_id=uuid.uuid5(source_id, str(s.frame)).urn,
            slate=shot.id,
        )
        out.append(
            otio.encode_packets(
                otio.encode_payload(sample, encoding), s.frame, encoding, segment_bytes
            )
        )
    return out


def sender_socket(endpoint: Endpoint) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if endpoint.multicast:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        if endpoint.iface != "0.0.0.0":
            sock.setsockopt(
                socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(endpoint.iface)
            )
    return sock


def send_packets(frames: list[list[bytes]], url: str, rate_fps: float, *, repeat: int = 1) -> int:
    """Send each frame's datagrams at ``rate_fps`` frames a second; returns datagrams sent."""
    ep = parse_url(url)
    if not 0 < rate_fps <= 10_000:
        raise PrevisError(f"--rate must be within (0, 10000] frames a second, got {rate_fps:g}")
    if ep.port == 0:
        raise PrevisError(f"{printable(url, 80)}: give the receiver's port")
    sent = 0
    with sender_socket(ep) as sock:
        t0 = time.monotonic()
        tick = 0
        for _ in range(max(1, repeat)):
            for datagrams in frames:
                wait = t0 + tick / rate_fps - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                for d in datagrams:
                    try:
                        sock.sendto(d, (ep.host, ep.port))
                    except OSError as exc:
                        raise PrevisError(
                            f"cannot send to {ep.url()}: {exc.strerror or exc}"
                        ) from None
                    sent += 1
                tick += 1
    return sent
