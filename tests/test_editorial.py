"""Editorial exports: OTIO timeline, CMX 3600 EDL and FCP 7 XML, each read back with the reader an
editor's tool would use (the OTIO adapters) and, for the EDL and the XML, parsed by hand as well."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import opentimelineio as otio
import pytest

from previs import api
from previs.core.moves import Move
from previs.core.timecode import timecode_to_frames
from previs.errors import ExportError
from previs.export.editorial import (
    build_timeline,
    export_editorial,
    record_start_frames,
    reel_names,
)

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "scenes" / "led_stage.yaml"
SHOTS = ["1A", "1B", "1C", "1D", "1E", "1F", "2A", "2B", "3A", "3B", "3C"]
LENGTHS = [480, 288, 240, 240, 192, 144, 96, 168, 120, 144, 96]  # 1B: duration_s 12 at 24 fps

EVENT = re.compile(r"^(\d{3})\s+(\S+)\s+V\s+C\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$")


@pytest.fixture(scope="module")
def example():
    return api.load_scene(SCENE)


@pytest.fixture(scope="module")
def scene(example):
    """The example cut straight (its dissolve into 2A is tested on its own, below)."""
    shots = tuple(
        dataclasses.replace(s, transition="cut", transition_frames=0) for s in example.shots
    )
    return dataclasses.replace(example, shots=shots)


def _url_path(url: str) -> Path:
    u = urlparse(url)
    assert u.scheme == "file"
    return Path(unquote(u.path))


def _with_rate(scene, rate):
    return dataclasses.replace(scene, frame_rate=Fraction(rate))


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """A media folder: a (fake, empty) animatic for 1A, one panel for 1B, three key panels for 3A."""
    d = tmp_path_factory.mktemp("media")
    (d / "1A.mp4").write_bytes(b"")
    (d / "led_stage_1B.png").write_bytes(b"\x89PNG")
    for f in (120, 0, 60):
        (d / f"led_stage_3A_f{f:04d}.png").write_bytes(b"\x89PNG")
    return d


@pytest.fixture(scope="module")
def exported(scene, media, tmp_path_factory):
    out = tmp_path_factory.mktemp("editorial")
    paths = export_editorial(scene, out, media_dir=media)
    return {p.suffix: p for p in paths}


def parse_edl(text: str):
    """Our own reader: (edit, reel, src_in, src_out, rec_in, rec_out) per video cut event."""
    events = []
    for line in text.splitlines():
        m = EVENT.match(line)
        if m:
            events.append(m.groups())
    return events


# ---------------------------------------------------------------- OTIO
def test_otio_clips_rate_and_record_start(exported):
    tl = otio.adapters.read_from_file(str(exported[".otio"]))
    clips = tl.find_clips()
    assert [c.name for c in clips] == SHOTS
    assert [c.duration().value for c in clips] == LENGTHS
    assert all(c.duration().rate == 24 for c in clips)
    assert tl.global_start_time == otio.opentime.RationalTime(86400, 24)
    assert otio.opentime.to_timecode(tl.global_start_time, 24) == "01:00:00:00"
    # butted together in scene order, on one video track
    assert len(tl.tracks) == 1 and tl.tracks[0].kind == otio.schema.TrackKind.Video
    starts = [c.range_in_parent().start_time.value for c in clips]
    assert starts == list(np.cumsum([0, *LENGTHS[:-1]]))
    assert tl.duration().value == sum(LENGTHS)


def test_otio_metadata(exported):
    tl = otio.adapters.read_from_file(str(exported[".otio"]))
    meta = {c.name: c.metadata["previs"] for c in tl.find_clips()}
    a = meta["1A"]
    assert a["shot"] == "1A" and a["scene_number"] == "1"
    assert a["description"].startswith("WIDE MASTER")
    assert a["lens_mm"] == 25.0 and a["lens_mm_end"] == 25.0
    assert a["lens_kit"] == "arri-signature-prime" and a["camera_body"] == "alexa-35"
    assert a["sensor_mode"] == "4.6k-3-2-og" and list(a["sensor_mm"]) == [27.99, 19.22]
    assert a["t_stop"] == 4.0 and a["focus_m"] == 9.0
    assert a["movement"] == "static" and list(a["flags"]) == []
    assert a["record_in"] == "01:00:00:00" and a["record_out"] == "01:00:20:00"
    assert meta["1E"]["t_stop"] == 2.8
    assert meta["1B"]["record_in"] == "01:00:20:00"
    m3a = meta["3A"]
    assert "dolly" in m3a["movement"] and "rack focus" in m3a["movement"]
    assert [m["type"] for m in m3a["moves"]] == ["dolly", "rack_focus"]
    assert (
        m3a["focus_m"] == 5.2 and 3.0 < m3a["focus_m_end"] < 4.5
    )  # racked onto Mara after a 2 m dolly
    assert meta["3B"]["movement"] == "orbit"
    assert list(meta["3C"]["walks"]) == ["Attendant"] and meta["3C"]["light_cues"] == 1
    assert a["scene_file"] == str(SCENE) and a["scene_format_version"] == 2
    top = tl.metadata["previs"]
    assert (
        top["format_version"] == 1
        and top["frame_rate"] == "24/1"
        and top["record_start"] == "01:00:00:00"
    )
    assert top["drop_frame"] is False


def test_media_references(exported, media):
    tl = otio.adapters.read_from_file(str(exported[".otio"]))
    clips = {c.name: c for c in tl.find_clips()}
    ref = clips["1A"].media_reference
    assert isinstance(ref, otio.schema.ExternalReference)
    assert (
        _url_path(ref.target_url) == (media / "1A.mp4").resolve()
        and _url_path(ref.target_url).is_file()
    )
    assert (
        ref.available_range.duration.value == 480
    )  # an unreadable MP4: the shot's length is assumed
    assert clips["1A"].metadata["previs"]["media"]["kind"] == "animatic"
    panel = clips["1B"].media_reference
    assert _url_path(panel.target_url) == (media / "led_stage_1B.png").resolve()
    assert panel.available_range.duration.value == 288
    three = clips["3A"]
    assert _url_path(three.media_reference.target_url).name == "led_stage_3A_f0000.png"
    assert [p["frame"] for p in three.metadata["previs"]["media"]["panels"]] == [0, 60, 120]
    for name in ("1C", "2B", "3C"):
        assert isinstance(clips[name].media_reference, otio.schema.MissingReference)


def test_no_media_dir_means_missing_references(scene):
    tl = build_timeline(scene)
    assert all(isinstance(c.media_reference, otio.schema.MissingReference) for c in tl.find_clips())
    assert tl.name == scene.name


def test_a_media_folder_that_does_not_exist_is_an_error(scene, tmp_path):
    with pytest.raises(ExportError, match="media folder .*nowhere does not exist"):
        build_timeline(scene, media_dir=tmp_path / "nowhere")


def test_animatic_wins_and_subfolders_are_searched(scene, tmp_path):
    from previs.export.animatic import encode_mp4

    (tmp_path / "storyboard").mkdir()
    (tmp_path / "storyboard" / "led_stage_2A.png").write_bytes(b"\x89PNG")
    (tmp_path / "storyboard" / "led_stage_1C.png").write_bytes(b"\x89PNG")
    frames = [np.full((16, 16, 3), 40 * i, np.uint8) for i in range(5)]
    encode_mp4(frames, tmp_path / "animatic" / "2A.mp4", 24, preset="ultrafast", progress=False)
    tl = build_timeline(scene, media_dir=tmp_path, name="cut 1")
    clips = {c.name: c for c in tl.find_clips()}
    movie = clips["2A"].media_reference
    assert _url_path(movie.target_url) == (tmp_path / "animatic" / "2A.mp4").resolve()
    assert movie.available_range.duration.value == 5  # read from the MP4 itself
    assert (
        clips["2A"].metadata["previs"]["media"]["length_mismatch"] is True
    )  # 5 frames, shot has 96
    assert clips["2A"].duration().value == 96  # the cut keeps the shot's length
    assert _url_path(clips["1C"].media_reference.target_url).name == "led_stage_1C.png"
    assert tl.name == "cut 1"


def test_plausibility_flags_reach_the_metadata(scene):
    shot = scene.shot("3A")
    fast = dataclasses.replace(shot, moves=(Move("dolly", 0, 23, {"distance_m": 6.0}, "linear"),))
    sc = dataclasses.replace(scene, shots=(scene.shot("1A"), fast))
    tl = build_timeline(sc)  # keep it alive: the metadata below is a view into it
    meta = tl.find_clips()[1].metadata["previs"]
    assert "dolly_speed" in meta["flags"]  # 6 m in 23 frames = 6.3 m/s
    worst = next(w for w in meta["plausibility"] if w["kind"] == "dolly_speed")
    assert worst["value"] == pytest.approx(6 * 24 / 23, rel=1e-3) and worst["limit"] == 1.5
    assert list(worst["frames"]) == [0, 23]


# ---------------------------------------------------------------- EDL
def test_edl_read_by_the_cmx_adapter(exported):
    tl = otio.adapters.read_from_file(str(exported[".edl"]), rate=24)
    clips = tl.find_clips()
    assert [c.name for c in clips] == SHOTS
    assert [c.duration().value for c in clips] == LENGTHS
    assert [c.metadata["cmx_3600"]["reel"] for c in clips] == [s.upper() for s in SHOTS]
    assert _url_path(clips[0].media_reference.target_url).name == "1A.mp4"


def test_edl_events_by_hand(exported):
    text = exported[".edl"].read_text()
    lines = text.splitlines()
    assert (
        lines[0] == "TITLE: Desert Diner - LED stage previs" and lines[1] == "FCM: NON-DROP FRAME"
    )
    events = parse_edl(text)
    assert [int(e[0]) for e in events] == list(range(1, 12))
    assert [e[1] for e in events] == SHOTS  # reels: the shot ids (all ≤ 8 characters)
    tc = [[timecode_to_frames(t, 24) for t in e[2:]] for e in events]
    assert events[0][4] == "01:00:00:00"
    rec = 86400
    for (src_in, src_out, rec_in, rec_out), n in zip(tc, LENGTHS, strict=True):
        assert (src_in, src_out - src_in) == (0, n)
        assert (rec_in, rec_out) == (rec, rec + n)  # contiguous
        rec = rec_out
    assert events[-1][5] == "01:01:32:00"  # 2208 frames = 92 s at 24
    assert text.count("* FROM CLIP NAME:  ") == 11 and "* FROM CLIP NAME:  3A" in text
    assert "* PREVIS: SC 3 40MM T4 DOLLY, RACK FOCUS" in text


def test_edl_at_29_97_is_drop_frame(scene, tmp_path):
    sc = _with_rate(scene, Fraction(30000, 1001))
    (edl,) = export_editorial(sc, tmp_path, formats=("edl",))
    text = edl.read_text()
    assert "FCM: DROP FRAME" in text
    events = parse_edl(text)
    assert len(events) == 11 and all(";" in t for e in events for t in e[2:])
    assert events[0][4] == "01:00:00;00"
    rec = record_start_frames(sc.frame_rate)
    assert rec == 107892
    for e, n in zip(events, LENGTHS, strict=True):
        rec_in, rec_out = (timecode_to_frames(t, sc.frame_rate) for t in e[4:])
        assert (rec_in, rec_out) == (rec, rec + n)
        rec = rec_out
    back = otio.adapters.read_from_file(str(edl), rate=30000 / 1001)
    assert [c.duration().value for c in back.find_clips()] == LENGTHS


def test_23_976_rates_and_non_drop(scene, tmp_path):
    sc = _with_rate(scene, Fraction(24000, 1001))
    paths = {p.suffix: p for p in export_editorial(sc, tmp_path)}
    tl = otio.adapters.read_from_file(str(paths[".otio"]))
    assert tl.global_start_time.rate == 24000 / 1001 and tl.global_start_time.value == 86400
    assert all(c.duration().rate == 24000 / 1001 for c in tl.find_clips())
    assert tl.metadata["previs"]["frame_rate"] == "24000/1001"
    text = paths[".edl"].read_text()
    assert "FCM: NON-DROP FRAME" in text and ";" not in text
    assert parse_edl(text)[0][4] == "01:00:00:00"
    seq = ET.parse(paths[".xml"]).getroot().find("./project/children/sequence")
    assert seq.find("./rate/timebase").text == "24" and seq.find("./rate/ntsc").text == "TRUE"


def test_long_shot_ids_get_unique_8_char_reels(scene, tmp_path):
    ids = ["SC012_SH0010", "SC012_SH0020", "sc012-sh0030"]
    shots = tuple(
        dataclasses.replace(scene.shot(s), id=i)
        for s, i in zip(("1A", "1B", "1C"), ids, strict=True)
    )
    sc = dataclasses.replace(scene, shots=shots)
    (edl,) = export_editorial(sc, tmp_path, formats=["edl"])
    text = edl.read_text()
    reels = [e[1] for e in parse_edl(text)]
    assert reels == ["SC012SH0", "SC012SH2", "SC012SH3"]
    assert all(len(r) <= 8 for r in reels) and len(set(reels)) == 3
    for i in ids:
        assert f"* FROM CLIP NAME:  {i}" in text
    back = otio.adapters.read_from_file(str(edl), rate=24)
    assert [c.name for c in back.find_clips()] == ids


def test_reel_names():
    assert reel_names(["1A", "1a", "___", "ABCDEFGHIJ"]) == {
        "1A": "1A",
        "1a": "1A2",
        "___": "SH003",
        "ABCDEFGHIJ": "ABCDEFGH",
    }


# ---------------------------------------------------------------- FCP 7 XML
def test_fcp_xml_read_by_the_adapter(exported):
    tl = otio.adapters.read_from_file(str(exported[".xml"]))
    clips = tl.find_clips()
    assert [c.name for c in clips] == SHOTS
    assert [c.duration().value for c in clips] == LENGTHS
    assert tl.global_start_time.value == 86400


def test_fcp_xml_by_hand(exported, media):
    root = ET.parse(exported[".xml"]).getroot()
    assert root.tag == "xmeml"
    seq = root.find("./project/children/sequence")
    assert seq.find("./rate/timebase").text == "24" and seq.find("./rate/ntsc").text == "FALSE"
    assert seq.find("./timecode/string").text == "01:00:00:00"
    assert seq.find("./timecode/displayformat").text == "NDF"
    items = seq.findall("./media/video/track/clipitem")
    assert [i.find("name").text for i in items] == SHOTS
    pos = 0
    for item, n in zip(items, LENGTHS, strict=True):
        assert int(item.find("duration").text) == n
        assert (int(item.find("start").text), int(item.find("end").text)) == (pos, pos + n)
        assert (int(item.find("in").text), int(item.find("out").text)) == (0, n)
        pos += n
    assert _url_path(items[0].find("./file/pathurl").text) == (media / "1A.mp4").resolve()


def test_fcp_xml_drop_frame_sequence_timecode(scene, tmp_path):
    (xml,) = export_editorial(
        _with_rate(scene, Fraction(30000, 1001)), tmp_path, formats=("fcpxml",)
    )
    seq = ET.parse(xml).getroot().find("./project/children/sequence")
    assert seq.find("./timecode/string").text == "01:00:00;00"
    assert seq.find("./timecode/displayformat").text == "DF"
    assert seq.find("./timecode/frame").text == "107892"
    assert otio.adapters.read_from_file(str(xml)).global_start_time.value == 107892


# ---------------------------------------------------------------- files
def test_files_atomic_deterministic_and_named_after_the_scene(scene, media, exported, tmp_path):
    out = tmp_path / "ed"
    first = export_editorial(scene, out, media_dir=media, formats=("fcpxml", "otio"))
    assert [p.name for p in first] == ["led_stage.otio", "led_stage.xml"]  # fixed order
    assert sorted(p.name for p in out.iterdir()) == [
        "led_stage.otio",
        "led_stage.xml",
    ]  # no temporaries
    again = export_editorial(scene, out, media_dir=media)
    assert sorted(p.name for p in out.iterdir()) == [
        "led_stage.edl",
        "led_stage.otio",
        "led_stage.xml",
    ]
    for p in again:
        assert (
            p.read_bytes() == exported[p.suffix].read_bytes()
        )  # same scene, same media: same bytes
    with pytest.raises(ExportError, match="unknown editorial format 'aaf'"):
        export_editorial(scene, out, formats=("otio", "aaf"))


def test_unwritable_output_is_an_export_error(scene, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="not a folder"):
        export_editorial(scene, blocker / "sub", formats=("otio",))


# ---------------------------------------------------------------- one media reference per clip
def _file_ids(xml: Path) -> list[str]:
    """Each clipitem's <file> id, in cut order (a back-reference has the id and no children)."""
    seq = ET.parse(xml).getroot().find("./project/children/sequence")
    return [i.find("file").get("id") for i in seq.findall("./media/video/track/clipitem")]


def test_fcp_xml_gives_every_clip_its_own_file_read_back_by_the_adapter(scene, tmp_path):
    """Every shot with its animatic: the adapter reads one distinct media reference per clip,
    each the shot's own MP4 (the XML used to link every clip to file-1)."""
    media = tmp_path / "media"
    media.mkdir()
    for s in SHOTS:
        (media / f"{s}.mp4").write_bytes(b"")
    (xml,) = export_editorial(scene, tmp_path, media_dir=media, formats=("fcpxml",))
    assert _file_ids(xml) == [f"file-{k}" for k in range(1, 12)]
    clips = otio.adapters.read_from_file(str(xml)).find_clips()
    assert [c.name for c in clips] == SHOTS
    urls = [c.media_reference.target_url for c in clips]
    assert len(set(urls)) == 11
    assert [_url_path(u) for u in urls] == [(media / f"{s}.mp4").resolve() for s in SHOTS]


def test_fcp_xml_offline_clips_are_distinct_files_named_after_their_animatic(scene, tmp_path):
    (xml,) = export_editorial(scene, tmp_path, formats=("fcpxml",))
    assert _file_ids(xml) == [f"file-{k}" for k in range(1, 12)]
    clips = otio.adapters.read_from_file(str(xml)).find_clips()
    refs = [c.media_reference for c in clips]
    assert all(isinstance(r, otio.schema.MissingReference) for r in refs)
    assert [r.name for r in refs] == [f"{s}.mp4" for s in SHOTS]
    assert len({r.metadata["fcp_xml"]["@id"] for r in refs}) == 11


def test_mixed_media_each_clip_its_own_file(exported, media):
    assert _file_ids(exported[".xml"]) == [f"file-{k}" for k in range(1, 12)]
    clips = {c.name: c for c in otio.adapters.read_from_file(str(exported[".xml"])).find_clips()}
    assert _url_path(clips["1A"].media_reference.target_url) == (media / "1A.mp4").resolve()
    assert _url_path(clips["3A"].media_reference.target_url).name == "led_stage_3A_f0000.png"
    assert (
        clips["1C"].media_reference.name == "1C.mp4"
        and clips["3C"].media_reference.name == "3C.mp4"
    )


# ---------------------------------------------------------------- names that are not text
BAD_IDS = [
    "1A\x1b[31m",
    "1B\x00x",
    "1C\nLEVEL 2\n002  AX V C 00:00:00:00",
    "1D\x7f\x85\ufffe",
    "1E\ud800é",
]


@pytest.fixture(scope="module")
def bad_names(scene, tmp_path_factory):
    shots = tuple(
        dataclasses.replace(
            scene.shot(s), id=i, description=f"line one\nline two\x1b{i}", notes="tab\there\x00"
        )
        for s, i in zip(SHOTS, BAD_IDS, strict=False)
    )
    sc = dataclasses.replace(scene, shots=shots, name="Diner \x07 cut\x00")
    out = tmp_path_factory.mktemp("bad")
    return {p.suffix: p for p in export_editorial(sc, out)}


def test_control_characters_in_names_reach_no_writer(bad_names):
    xml = bad_names[".xml"].read_text(encoding="utf-8")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe]", xml)  # XML 1.0 text only
    clips = otio.adapters.read_from_file(str(bad_names[".xml"])).find_clips()
    assert [c.name for c in clips] == [
        "1A\ufffd[31m",
        "1B\ufffdx",
        "1C\ufffdLEVEL 2\ufffd002  AX V C 00:00:00:00",
        "1D\ufffd\ufffd\ufffd",
        "1E\ufffdé",
    ]
    assert len({c.media_reference.metadata["fcp_xml"]["@id"] for c in clips}) == 5
    tl = otio.adapters.read_from_file(str(bad_names[".otio"]))
    assert [c.name for c in tl.find_clips()] == [c.name for c in clips]
    assert tl.name == "Diner \ufffd cut\ufffd"
    meta = tl.find_clips()[0].metadata["previs"]
    assert (
        meta["description"] == "line one\nline two\ufffd1A\ufffd[31m"
        and meta["notes"] == "tab\there\ufffd"
    )


def test_a_line_break_in_a_name_never_starts_an_edl_event(bad_names):
    text = bad_names[".edl"].read_text(encoding="ascii")  # ASCII, no control characters
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f]", text)
    events = parse_edl(text)
    assert [int(e[0]) for e in events] == [1, 2, 3, 4, 5]  # the fake "002 AX ..." is no event
    assert "* FROM CLIP NAME:  1C LEVEL 2 002 AX V C 00:00:00:00" in text
    assert text.splitlines()[0] == "TITLE: Diner cut"
    back = otio.adapters.read_from_file(str(bad_names[".edl"]), rate=24)
    assert [c.name for c in back.find_clips()] == [
        "1A [31m",
        "1B x",
        "1C LEVEL 2 002 AX V C 00:00:00:00",
        "1D",
        "1E e",
    ]


# ---------------------------------------------------------------- transitions
def test_the_examples_dissolve_reaches_every_format(example, tmp_path):
    """2A dissolves in from 1F over 12 frames: an OTIO SMPTE dissolve centred on the cut whose
    handles come from the shots' own frames, read back from the .otio, the EDL and the FCP XML."""
    assert (
        example.shot("2A").transition == "dissolve" and example.shot("2A").transition_frames == 12
    )
    paths = {p.suffix: p for p in export_editorial(example, tmp_path)}
    tl = otio.adapters.read_from_file(str(paths[".otio"]))
    items = list(tl.tracks[0])
    (i,) = [k for k, x in enumerate(items) if isinstance(x, otio.schema.Transition)]
    tr = items[i]
    assert (items[i - 1].name, items[i + 1].name) == ("1F", "2A")
    assert tr.transition_type == otio.schema.TransitionTypes.SMPTE_Dissolve
    assert (tr.in_offset.value, tr.out_offset.value) == (6, 6)
    f1, a2 = items[i - 1], items[i + 1]
    assert (f1.source_range.start_time.value, f1.source_range.duration.value) == (0, 144 - 6)
    assert (a2.source_range.start_time.value, a2.source_range.duration.value) == (6, 96 - 6)
    assert tl.tracks[0].duration().value == sum(LENGTHS) - 12  # the two shots overlap for 12 frames
    assert a2.metadata["previs"]["transition"] == {
        "type": "dissolve",
        "frames": 12,
        "applied": True,
    }
    # the EDL: a D event of 12 frames into 2A, read back by the cmx_3600 adapter
    text = paths[".edl"].read_text()
    assert re.search(r"^\d{3}\s+2A\s+V\s+D 012\s", text, re.M), text
    edl = otio.adapters.read_from_file(str(paths[".edl"]), rate=24)
    (back,) = [x for x in edl.tracks[0] if isinstance(x, otio.schema.Transition)]
    assert back.in_offset.value + back.out_offset.value == 12
    # the FCP XML: a transitionitem the fcp_xml adapter reads back as the same dissolve
    xml = otio.adapters.read_from_file(str(paths[".xml"]))
    (back,) = [x for x in xml.tracks[0] if isinstance(x, otio.schema.Transition)]
    assert (back.in_offset.value, back.out_offset.value) == (6, 6)
    assert [c.name for c in xml.find_clips()] == SHOTS


def test_a_dissolve_longer_than_its_shots_is_refused(example):
    shots = list(example.shots)
    shots[7] = dataclasses.replace(
        shots[7], transition="dissolve", transition_frames=180
    )  # 90 of 2A's 96 frames, and 6 for its own
    with pytest.raises(ExportError, match="too short for its dissolves"):
        build_timeline(dataclasses.replace(example, shots=tuple(shots)))
