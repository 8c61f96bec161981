"""A review page: one self-contained folder a director, producer or VP supervisor opens in a
browser, offline (no network, no external fonts or scripts).

    export_review(scene, "out/export/review", checks=checks)   # -> review/index.html and its files

``index.html`` holds a contact sheet of every shot (a card each: first panel, size, lens, length,
the stage-check verdict), the scene's floor plan, then a section per shot (anchor ``#shot-<id>``,
previous/next links): its storyboard panels (:func:`previs.export.boards.panels_for_shot`), its
animatic when one was rendered (``<shot>.mp4`` found as the editorial export finds it: in
``media_dir``, or beside the export folder, and their ``animatic/`` sub-folders; copied into
``media/``), the shot-list fields (:func:`previs.export.shotlist.shot_rows`), its floor plan
(:mod:`previs.export.floorplan`), the stage checks' verdicts and remedies (``checks``: the
:class:`previs.check.ShotCheck` per shot id) and its notes. Every user string is escaped.

A tiny inline script checks the page once it has loaded and writes what it found into
``<body>``'s data attributes (``data-images-loaded="N/M"``, ``data-shot-cards``,
``data-shot-sections``, ``data-review-ok``), so a headless browser can assert them.
"""

from __future__ import annotations

import html
from pathlib import Path

from previs.core.scene import Scene
from previs.errors import ExportError
from previs.export.atomic import write_atomic, write_png
from previs.export.paper import build_date, safe_name

__all__ = ["export_review", "review_html", "verdict"]

PANEL_WIDTH_PX = 640


def _e(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def verdict(result) -> tuple[str, str]:
    """(badge class, words) of a shot's stage checks: ``fail``/``warn``/``pass``, or ``none``
    when the LED checks were not run for it."""
    if result is None:
        return "none", "not checked"
    if result.failed:
        return "fail", "FAIL"
    if result.warnings:
        return "warn", "WARN"
    return "pass", "PASS"


def _line_class(line: str) -> str:
    head = line.split(" ", 1)[0].upper()
    return {"FAIL": "fail", "WARN": "warn", "WARNING": "warn", "OK": "pass", "PASS": "pass"}.get(
        head, "info"
    )


def _remedies(result) -> list[tuple[str, str, str]]:
    """(check, verdict, remedy) of the light checks that prescribe a remedy, and any remedies
    the checks list of their own."""
    out = []
    for name in ("exposure", "banding", "white_point", "gamut", "frustum"):
        d = getattr(result, name, None) or {}
        if isinstance(d, dict) and (d.get("remedy") or d.get("verdict")):
            out.append(
                (name.replace("_", " "), str(d.get("verdict", "")), str(d.get("remedy", "")))
            )
    extra = getattr(result, "remedies", None) or getattr(result, "prescriptions", None) or []
    for r in extra:
        if isinstance(r, dict):
            out.append(
                (
                    str(r.get("check", "")),
                    str(r.get("verdict", "")),
                    str(r.get("remedy", r.get("text", ""))),
                )
            )
        else:
            out.append(("", "", str(r)))
    return out


def _media_dirs(media_dir, out_dir: Path) -> list[Path]:
    from previs.export.editorial import _search_dirs

    if media_dir is not None:
        return _search_dirs(media_dir)
    # no --media: the export folder and the folder beside it (out/animatic next to out/export)
    roots = [p for p in (out_dir.parent, out_dir.parent.parent) if p.is_dir()]
    return _search_dirs(roots)


CSS = """
:root { --ink:#1d2026; --muted:#6b707a; --line:#e3e4e8; --paper:#fff; --bg:#f4f5f7;
  --pass:#1b7f4b; --warn:#b26a00; --fail:#c0312b; --none:#7a808c; --accent:#2458a6; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header.top { background:#16181d; color:#fff; padding:22px 32px 18px; }
header.top h1 { margin:0 0 4px; font-size:24px; font-weight:650; letter-spacing:.2px; }
header.top .meta { color:#b9bec8; font-size:13px; }
header.top .summary { margin-top:10px; font-size:14px; }
nav.jump { position:sticky; top:0; z-index:5; background:#fff; border-bottom:1px solid var(--line);
  padding:8px 32px; display:flex; gap:6px; flex-wrap:wrap; align-items:center; }
nav.jump a { text-decoration:none; color:var(--ink); font-weight:600; font-size:12px; padding:3px 8px;
  border-radius:4px; border:1px solid var(--line); }
nav.jump a:hover { background:var(--bg); }
nav.jump .label { color:var(--muted); font-size:12px; margin-right:6px; }
main { padding:24px 32px 48px; max-width:1400px; margin:0 auto; }
h2 { font-size:18px; margin:28px 0 12px; font-weight:650; }
.grid { display:grid; grid-template-columns:repeat(auto-fill, minmax(250px, 1fr)); gap:16px; }
a.card { display:block; background:var(--paper); border-radius:8px; overflow:hidden; color:inherit;
  text-decoration:none; box-shadow:0 1px 2px rgba(0,0,0,.08), 0 0 0 1px var(--line); }
a.card:hover { box-shadow:0 2px 10px rgba(0,0,0,.14), 0 0 0 1px #c9ccd3; }
a.card img { display:block; width:100%; aspect-ratio: 640 / 439; object-fit:cover; background:#000; }
.card .body { padding:10px 12px 12px; }
.card .row { display:flex; align-items:center; justify-content:space-between; gap:8px; }
.card .id { font-weight:700; font-size:16px; }
.card .desc { margin:4px 0 6px; font-size:13px; color:#30343c; display:-webkit-box; -webkit-line-clamp:2;
  -webkit-box-orient:vertical; overflow:hidden; min-height:2.9em; }
.card .facts { color:var(--muted); font-size:12px; }
.badge { display:inline-block; font-size:11px; font-weight:700; letter-spacing:.4px; padding:2px 7px;
  border-radius:10px; color:#fff; background:var(--none); white-space:nowrap; }
.badge.pass { background:var(--pass); } .badge.warn { background:var(--warn); }
.badge.fail { background:var(--fail); } .badge.info { background:var(--accent); }
figure { margin:0; }
.plan-all img { width:100%; max-width:1120px; border:1px solid var(--line); border-radius:6px;
  background:#fff; }
section.shot { background:var(--paper); border-radius:10px; padding:20px 22px 24px; margin:28px 0;
  box-shadow:0 0 0 1px var(--line); scroll-margin-top:48px; }
section.shot > header { display:flex; align-items:baseline; gap:12px; flex-wrap:wrap;
  border-bottom:1px solid var(--line); padding-bottom:10px; margin-bottom:14px; }
section.shot > header h2 { margin:0; font-size:22px; }
section.shot > header .desc { font-size:15px; flex:1 1 400px; }
.pager { margin-left:auto; display:flex; gap:6px; font-size:12px; }
.pager a { color:var(--accent); text-decoration:none; border:1px solid var(--line); padding:2px 8px;
  border-radius:4px; }
.panels { display:grid; grid-template-columns:repeat(auto-fill, minmax(400px, 1fr)); gap:14px; }
.panels figure img { width:100%; display:block; border-radius:4px; background:#000; }
.panels figcaption { font-size:12px; color:var(--muted); margin-top:4px; }
video { width:100%; max-width:760px; border-radius:6px; background:#000; margin-top:12px; }
.cols { display:grid; grid-template-columns: minmax(320px, 1fr) minmax(320px, 1fr); gap:22px;
  margin-top:18px; }
@media (max-width: 900px) { .cols { grid-template-columns:1fr; } }
table.fields { border-collapse:collapse; width:100%; font-size:13px; }
table.fields th { text-align:left; color:var(--muted); font-weight:600; width:34%; padding:4px 10px 4px 0;
  vertical-align:top; border-bottom:1px solid var(--line); }
table.fields td { padding:4px 0; border-bottom:1px solid var(--line); vertical-align:top; }
.plan img { width:100%; border:1px solid var(--line); border-radius:6px; }
.checks ul { list-style:none; padding:0; margin:6px 0; }
.checks li { margin:4px 0; display:flex; gap:8px; align-items:baseline; }
.checks .remedy { color:#30343c; }
.checks .remedy b { color:var(--ink); }
.notes { background:#fffbe8; border-left:3px solid #e2b400; padding:8px 12px; border-radius:4px;
  margin-top:12px; white-space:pre-wrap; }
h3 { font-size:14px; margin:16px 0 6px; text-transform:uppercase; letter-spacing:.6px; color:var(--muted); }
.muted { color:var(--muted); }
footer { color:var(--muted); font-size:12px; text-align:center; padding:24px; }
"""

SCRIPT = """
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  var b = document.body;
  b.dataset.imagesLoaded = ok + '/' + imgs.length;
  b.dataset.shotCards = document.querySelectorAll('a.card').length;
  b.dataset.shotSections = document.querySelectorAll('section.shot').length;
  var cardIds = Array.prototype.map.call(document.querySelectorAll('a.card'),
    function (c) { return c.dataset.shot; }).join(',');
  b.dataset.cardShots = cardIds;
  var linksOk = Array.prototype.every.call(document.querySelectorAll('a[href^="#"]'),
    function (a) { return a.getAttribute('href') === '#top' || !!document.getElementById(a.getAttribute('href').slice(1)); });
  b.dataset.reviewOk = String(ok === imgs.length && imgs.length > 0 && linksOk);
});
"""


def review_html(
    scene: Scene,
    shots,
    rows: dict,
    panels: dict,
    movies: dict,
    plans: dict,
    checks,
    checks_note: str,
    date: str,
) -> str:
    """The page. ``panels``: shot id -> [(relative path, caption)]; ``movies``/``plans``: shot id
    -> relative path (``plans["*"]`` the scene's plan); ``rows``: shot id -> ShotRow."""
    from previs import __version__
    from previs.export.shotlist import COLUMNS

    total = sum(s.length_frames for s in shots)
    rate = float(scene.frame_rate)
    chk = checks or {}
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(scene.name)} \u2013 review</title>",
        f"<style>{CSS}</style></head>",
        '<body id="top">',
    ]
    src = scene.source_path.name if scene.source_path else ""
    out.append('<header class="top">')
    out.append(f"<h1>{_e(scene.name)}</h1>")
    out.append(
        f'<div class="meta">Review \u00b7 {len(shots)} shots \u00b7 {total} frames '
        f"({total / rate:.1f} s at {rate:g} fps) \u00b7 {_e(src)} \u00b7 {_e(date)} \u00b7 "
        f"previs {_e(__version__)}</div>"
    )
    out.append(f'<div class="summary">{_e(checks_note)}</div></header>')
    out.append(
        '<nav class="jump"><span class="label">Shots</span><a href="#contact">Contact sheet</a>'
        '<a href="#plan">Floor plan</a>'
    )
    for s in shots:
        out.append(
            f'<a href="#shot-{_e(safe_name(s.id))}" title="{_e(s.description)}">{_e(s.id)}</a>'
        )
    out.append("</nav><main>")

    # the contact sheet
    out.append('<h2 id="contact">Contact sheet</h2><div class="grid">')
    for s in shots:
        row = rows[s.id]
        cls, words = verdict(chk.get(s.id)) if checks is not None else ("none", "not checked")
        thumb = panels[s.id][0][0] if panels.get(s.id) else None
        anchor = f"shot-{safe_name(s.id)}"
        out.append(f'<a class="card" href="#{_e(anchor)}" data-shot="{_e(s.id)}">')
        if thumb:
            out.append(
                f'<img src="{_e(thumb)}" alt="Shot {_e(s.id)}, first panel" loading="eager">'
            )
        out.append(
            f'<div class="body"><div class="row"><span class="id">{_e(s.id)}</span>'
            f'<span class="badge {cls}">{_e(words)}</span></div>'
        )
        out.append(f'<div class="desc">{_e(s.description)}</div>')
        out.append(
            f'<div class="facts">Sc {_e(s.scene_number)} \u00b7 {_e(row.shot_size)} \u00b7 '
            f"{_e(row.lens)} \u00b7 {_e(row.movement)} \u00b7 {_e(row.duration_tc)}</div>"
        )
        out.append("</div></a>")
    out.append("</div>")
    if plans.get("*"):
        out.append(
            '<h2 id="plan">Floor plan, all shots</h2><figure class="plan-all">'
            f'<img src="{_e(plans["*"])}" alt="Floor plan of every shot"></figure>'
        )

    # a section per shot
    for i, s in enumerate(shots):
        row = rows[s.id]
        anchor = f"shot-{safe_name(s.id)}"
        cls, words = verdict(chk.get(s.id)) if checks is not None else ("none", "not checked")
        out.append(f'<section class="shot" id="{_e(anchor)}" data-shot="{_e(s.id)}"><header>')
        out.append(
            f'<h2>{_e(s.id)}</h2><span class="badge {cls}">{_e(words)}</span>'
            f'<span class="desc">{_e(s.description)}</span><span class="pager">'
        )
        if i > 0:
            out.append(
                f'<a href="#shot-{_e(safe_name(shots[i - 1].id))}">\u2190 {_e(shots[i - 1].id)}</a>'
            )
        out.append('<a href="#contact">contact sheet</a>')
        if i + 1 < len(shots):
            out.append(
                f'<a href="#shot-{_e(safe_name(shots[i + 1].id))}">{_e(shots[i + 1].id)} \u2192</a>'
            )
        out.append("</span></header>")
        out.append('<div class="panels">')
        for path, cap in panels.get(s.id, []):
            out.append(
                f'<figure><img src="{_e(path)}" alt="{_e(cap)}"><figcaption>{_e(cap)}</figcaption>'
                "</figure>"
            )
        out.append("</div>")
        if movies.get(s.id):
            out.append(f'<video controls preload="metadata" src="{_e(movies[s.id])}"></video>')
        else:
            out.append(
                '<p class="muted">No animatic rendered for this shot (previs animatic, then '
                "export again).</p>"
            )
        out.append('<div class="cols"><div>')
        for field in ("action", "dialogue"):
            text = getattr(s, field, None)
            if text:
                out.append(f"<h3>{field.title()}</h3><div>{_e(text)}</div>")
        out.append('<h3>Shot list</h3><table class="fields">')
        cells = row.cells()
        for key, title in COLUMNS:
            if key in ("scene", "shot", "description", "stage_checks", "notes") or not cells.get(
                key
            ):
                continue
            out.append(f"<tr><th>{_e(title)}</th><td>{_e(cells.get(key, ''))}</td></tr>")
        out.append("</table>")
        out.append('<div class="checks"><h3>Stage checks</h3>')
        res = chk.get(s.id)
        lines = list(res.summary) if res is not None else list(row.stage_checks)
        if checks is None:
            out.append(
                '<p class="muted">LED stage checks not run for this review (previs export '
                "--what review --checks run); the rig's plausibility:</p>"
            )
        out.append("<ul>")
        for line in lines or ["no problems found"]:
            lc = _line_class(line) if lines else "pass"
            word = {"fail": "FAIL", "warn": "WARN", "pass": "OK", "info": "NOTE"}[lc]
            text = (
                line.split(" ", 1)[1]
                if lc != "info"
                and " " in line
                and line.split(" ", 1)[0].upper() in ("FAIL", "WARN", "WARNING", "OK", "PASS")
                else line
            )
            out.append(f'<li><span class="badge {lc}">{word}</span><span>{_e(text)}</span></li>')
        out.append("</ul>")
        if res is not None:
            rem = _remedies(res)
            if rem:
                out.append("<ul>")
                for name, verd, remedy in rem:
                    body = f"<b>{_e(name)}</b>: {_e(verd)}" + (
                        f" \u2014 {_e(remedy)}" if remedy else ""
                    )
                    lc = _line_class(verd) if verd else "info"
                    out.append(
                        f'<li class="remedy"><span class="badge {lc}">{_e(name or "remedy")}</span>'
                        f"<span>{body}</span></li>"
                    )
                out.append("</ul>")
        out.append("</div>")
        if s.notes:
            out.append(f'<h3>Notes</h3><div class="notes">{_e(s.notes)}</div>')
        out.append("</div><div>")
        if plans.get(s.id):
            out.append(
                f'<h3>Floor plan</h3><figure class="plan"><img src="{_e(plans[s.id])}" '
                f'alt="Floor plan of shot {_e(s.id)}"></figure>'
            )
        out.append("</div></div></section>")
    out.append(
        f"</main><footer>Made by previs {_e(__version__)} from {_e(src)} on {_e(date)}. "
        "Everything on this page is in this folder; it needs no network.</footer>"
    )
    out.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(out) + "\n"


def export_review(
    scene: Scene,
    out_dir,
    *,
    shot_ids=None,
    checks=None,
    checks_source=None,
    media_dir=None,
    width: int = PANEL_WIDTH_PX,
    renderer=None,
    date=None,
    progress: bool = False,
) -> list[Path]:
    """Write the review folder ``out_dir`` (``index.html``, ``panels/``, ``plans/``, ``media/``),
    every file atomically; ``index.html`` last, so a page that exists has all its files.
    Returns the paths written."""
    from PIL import Image

    from previs.export.boards import panels_for_shot
    from previs.export.editorial import _find_media
    from previs.export.floorplan import plan_primitives
    from previs.export.floorplan import write_png as write_plan_png
    from previs.export.shotlist import led_checks_note, shot_rows

    shots = [scene.shot(s) for s in shot_ids] if shot_ids else list(scene.shots)
    if not shots:
        raise ExportError(f"{scene.source_path or scene.name} has no shots to review")
    out = Path(out_dir)
    written: list[Path] = []
    all_rows = {r.shot: r for r in shot_rows(scene, checks=checks)}
    dirs = _media_dirs(media_dir, out)
    day = build_date(date).isoformat()

    panels: dict[str, list[tuple[str, str]]] = {}
    own = renderer is None
    if own:
        from previs.api import StageRenderer

        renderer = StageRenderer(scene, width=width)
    try:
        it = shots
        if progress:
            import sys

            from tqdm import tqdm

            it = tqdm(shots, desc="review", unit="shot", file=sys.stderr, disable=None)
        for s in it:
            panels[s.id] = []
            for p in panels_for_shot(scene, s, renderer, width=width):
                rel = f"panels/{safe_name(s.id)}_p{p.index:02d}.png"
                write_png(Image.fromarray(p.image), out / rel)
                written.append(out / rel)
                panels[s.id].append(
                    (
                        rel,
                        f"{s.id}-{p.index} \u00b7 fr {p.frame} \u00b7 "
                        f"{p.state.timecode} \u00b7 {p.caption[-1]}",
                    )
                )
    finally:
        if own:
            renderer.release()

    plans: dict[str, str] = {}
    for key, sel in [("*", None)] + [(s.id, [s.id]) for s in shots]:
        rel = "plans/plan.png" if sel is None else f"plans/plan_{safe_name(key)}.png"
        title = f"{scene.name} \u2013 floor plan" + ("" if sel is None else f", shot {key}")
        write_plan_png(plan_primitives(scene, sel, date=date), out / rel, title=title)
        written.append(out / rel)
        plans[key] = rel

    movies: dict[str, str] = {}
    for s in shots:
        kind, found = _find_media(scene, s, dirs) if dirs else ("missing", None)
        if kind == "animatic":
            rel = f"media/{safe_name(s.id)}.mp4"
            write_atomic(out / rel, Path(found).read_bytes())
            written.append(out / rel)
            movies[s.id] = rel

    note = (
        led_checks_note({s.id: checks[s.id] for s in shots if s.id in checks}, checks_source)
        if checks is not None
        else "LED stage checks not run (previs export --what review --checks run)"
    )
    page = review_html(scene, shots, all_rows, panels, movies, plans, checks, note, day)
    write_atomic(out / "index.html", page.encode("utf-8"))
    written.append(out / "index.html")
    return written
