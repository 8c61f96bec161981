"""The review page: written by `previs export --what review`, read back in a real browser
(headless Chromium, offline, file://): every image loads, the cards number the scene's shots,
the screenshot is not blank; every user string is escaped."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import previs
from previs.export.review import export_review

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = '<b>Mara & Dale</b> "at" the pumps'


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("headless Chromium not installed (bash run.sh test installs Debian's chromium)")
    return exe


def _browser(page: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={tmp}",
        "--virtual-time-budget=10000",
        *extra,
        page.resolve().as_uri(),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture(scope="module")
def review(gl_context, tmp_path_factory):
    scene = previs.load_scene(ROOT / "scenes" / "led_stage.yaml")
    shots = tuple(replace(s, description=HOSTILE) if s.id == "1A" else s for s in scene.shots)
    scene = replace(scene, name="Diner <v2> & co", shots=shots)
    base = tmp_path_factory.mktemp("review")
    media = base / "media" / "animatic"
    media.mkdir(parents=True)
    (media / "3A.mp4").write_bytes(
        b"\x00\x00\x00\x18ftypmp42" + bytes(64)
    )  # stands in for an animatic
    written = export_review(
        scene, base / "export" / "review", media_dir=base / "media", date="2025-06-01"
    )
    return scene, base / "export" / "review", written


def test_folder_is_self_contained(review):
    scene, out, written = review
    page = (out / "index.html").read_text(encoding="utf-8")
    assert written[-1] == out / "index.html"
    refs = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert refs and not [r for r in refs if re.match(r"[a-z]+:", r)]  # no http:, file:, data: ...
    for r in refs:
        if not r.startswith("#"):
            assert (out / r).is_file(), r
    assert "<link" not in page and "<script src" not in page and "@import" not in page
    # each shot's panels, its plan and the scene's plan are in the folder
    for s in scene.shots:
        assert f'id="shot-{s.id}"' in page
        assert (out / "plans" / f"plan_{s.id}.png").is_file()
        assert list((out / "panels").glob(f"{s.id}_p*.png"))
    # the animatic found under --media's animatic/ is copied in and played by a <video>
    assert (out / "media" / "3A.mp4").read_bytes().startswith(b"\x00\x00\x00\x18ftyp")
    assert page.count("<video") == 1 and 'src="media/3A.mp4"' in page


def test_user_strings_are_escaped(review):
    _, out, _ = review
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;Mara &amp; Dale&lt;/b&gt; &quot;at&quot; the pumps" in page
    assert "<b>Mara" not in page and "<v2>" not in page
    assert "Diner &lt;v2&gt; &amp; co" in page


def test_shot_fields_notes_and_links(review):
    scene, out, _ = review
    page = (out / "index.html").read_text(encoding="utf-8")
    sec = page[page.index('id="shot-2B"') : page.index('id="shot-3A"')]
    assert "watch the top of the wall and the ceiling seam" in sec  # 2B's notes
    assert (
        "21 mm" in sec and 'href="#shot-2A"' in sec and 'href="#shot-3A"' in sec
    )  # lens, prev, next
    assert "plans/plan_2B.png" in sec
    assert "LED stage checks not run" in page


def test_page_in_headless_chromium(review, tmp_path):
    from PIL import Image

    scene, out, _ = review
    page = out / "index.html"
    dom = _browser(page, tmp_path / "a", "--dump-dom").stdout
    body = re.search(r"<body[^>]*>", dom).group(0)
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body))
    n_img = len(re.findall(r"<img ", page.read_text(encoding="utf-8")))
    # panels (one or more a shot), a thumbnail a card, the scene's plan and one a shot
    assert n_img >= 3 * len(scene.shots) + 1
    assert attrs["images-loaded"] == f"{n_img}/{n_img}"
    assert attrs["shot-cards"] == str(len(scene.shots)) == attrs["shot-sections"]
    assert attrs["card-shots"] == ",".join(s.id for s in scene.shots)
    assert attrs["review-ok"] == "true"  # and every in-page link has its target

    shot = tmp_path / "review.png"
    _browser(page, tmp_path / "b", f"--screenshot={shot}", "--window-size=1280,2000")
    img = np.asarray(Image.open(shot).convert("RGB"), dtype=np.float64)
    assert img.shape == (2000, 1280, 3)
    assert img.std() > 25  # not one flat colour
    # the dark header band, then the cards' rendered panels: many distinct colours
    assert img[:60].mean() < 60
    assert len(np.unique(img[200:1200].reshape(-1, 3) // 16, axis=0)) > 200


def test_cli_writes_the_review(tmp_path, gl_context):
    from previs.cli import EXPORTS, main

    assert "review" in EXPORTS
    rc = main(
        [
            "export",
            str(ROOT / "scenes" / "led_stage.yaml"),
            "--what",
            "review",
            "--shot",
            "2A",
            "-o",
            str(tmp_path / "out"),
            "-q",
        ]
    )
    assert rc == 0
    page = (tmp_path / "out" / "review" / "index.html").read_text(encoding="utf-8")
    assert page.count('class="card"') == 1 and 'id="shot-2A"' in page
