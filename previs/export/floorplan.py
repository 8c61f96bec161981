"""Floor plans to scale: the stage seen from above, as SVG and PNG, for the scene and per shot.

    prims = plan_primitives(scene)                 # every shot; or plan_primitives(scene, ["3A"])
    write_svg(prims, "plan.svg", title="Desert Diner - floor plan")
    write_png(prims, "plan.png", title="Desert Diner - floor plan", px_per_m=40)
    export_floorplans(scene, "out/plans")          # plan.svg/png + plan_<shot>.svg/png

**Plan convention.** Metres, seen from above: world +X to the right, world -Z up the page
(upstage), so the stage front (+Z, the open side of the volume) is at the bottom. A plan point is
simply the world ``(x, z)`` of a thing (its height dropped).

**One geometry, one drawing, two backends.** :func:`previs.core.plan.plan_geometry` works out what
the plan shows (walls, cameras, paths, the page); :func:`plan_primitives`
(:mod:`previs.export.plan_drawing`) draws it layer by layer as lines, polygons, circles and labels
in plan metres (line widths, dashes and text sizes in metres too); :func:`write_svg` and
:func:`write_png` only map them to pixels with the same affine map::

    px = (x_m - x0_m) * px_per_m        py = (z_m - z0_m) * px_per_m

where ``(x0_m, z0_m)`` is the world point at the page's top-left corner (the first primitive, of
kind ``"page"``, holds the page rectangle). The SVG's user unit is one pixel at ``px_per_m``
(default :data:`PX_PER_M` = 40 px/m); the root ``<svg>`` carries ``data-px-per-m``, ``data-x0-m``
and ``data-z0-m`` so a reader can map any coordinate back to metres. The PNG at the same
``px_per_m`` has exactly the viewBox's size (drawn at 2x and downsampled, for anti-aliasing).

Elements a script can find by id in the SVG: ``camera-<shot>`` (a circle at the camera's frame-0
position, with ``data-x-m``/``data-y-m``/``data-z-m``, ``data-hfov-deg``), ``frustum-<shot>``,
``path-<shot>`` (the sampled camera positions, every frame; ``data-length-m``),
``walk-<shot>-<stand-in>``, ``mark-<stand-in>-<n>`` (a floor mark's numbered disc, with
``data-number``, ``data-x-m``/``data-z-m`` of the mark, ``data-frame``, ``data-kind`` start/turn/
end), ``camera-label-<shot>`` (the shot and its lens, ``25mm`` or ``24–50mm`` for a zoom),
``track-<shot>`` (one rail of the dolly track under a dolly, truck, path, push-in, dolly zoom or
orbit: ``data-move``, ``data-length-m`` with the overrun, ``data-gauge-m``), ``crane-<shot>`` (the
arc the crane's arm can sweep: ``data-pivot-x-m``/``-z-m``, ``data-reach-m``, ``data-swing-deg``)
and ``crane-pivot-<shot>``, ``legend-<key>`` (each legend entry's words), ``wall-<section>`` (the lit face as built, one vertex per cabinet
column joint), ``ceiling``, ``set-<piece>``, ``standin-<name>``, ``light-<name>``, ``scale-bar``
(``data-length-m``) and ``scale-bar-label``. Ids are the names with anything outside
``[A-Za-z0-9_.-]`` replaced by ``-``.

**Labels** never overlap each other or a symbol (camera, stand-in, light, mark, crane column):
most important first, each takes the nearest free spot round its marker, with a leader line
when it had to move away. Stand-ins keep one colour on every plan: the scene's ``color`` for the
piece, else the next of a colour-blind-safe set (:data:`CHARACTER_COLOURS`); their walks, arrows
and numbered marks are drawn in it. The title block holds a legend of what the plan shows.

The title block carries the date: ``date=`` when given, else ``SOURCE_DATE_EPOCH`` when set (for
reproducible builds), else today.
"""

from __future__ import annotations

import io
from pathlib import Path

from previs.core.plan import camera_path
from previs.core.scene import Scene
from previs.export.atomic import write_atomic
from previs.export.plan_drawing import (
    CHARACTER_COLOURS,
    FRUSTUM_M,
    FRUSTUM_MAX_M,
    PX_PER_M,
    TITLE_BLOCK_M,
    WALL_THICKNESS_M,
    Primitive,
    _slug,
    footprint,
    page_size_px,
    plan_primitives,
    png_image,
    shot_colour,
    standin_colours,
    svg_bytes,
)

__all__ = [
    "Primitive",
    "plan_primitives",
    "write_svg",
    "write_png",
    "export_floorplans",
    "svg_bytes",
    "png_image",
    "page_size_px",
    "shot_colour",
    "standin_colours",
    "CHARACTER_COLOURS",
    "footprint",
    "camera_path",
    "PX_PER_M",
    "FRUSTUM_M",
    "FRUSTUM_MAX_M",
    "TITLE_BLOCK_M",
    "WALL_THICKNESS_M",
]


def write_svg(prims, path, *, title: str, px_per_m: float = PX_PER_M) -> Path:
    """Write the plan as SVG (one user unit = one pixel at ``px_per_m``), atomically."""
    write_atomic(path, svg_bytes(prims, title=title, px_per_m=px_per_m))
    return Path(path)


def write_png(prims, path, *, title: str, px_per_m: float = PX_PER_M) -> Path:
    """Write the plan as PNG at ``px_per_m`` (anti-aliased: drawn at 2x, downsampled), atomically."""
    from PIL import PngImagePlugin

    img = png_image(prims, px_per_m=px_per_m)
    info = PngImagePlugin.PngInfo()
    info.add_text("Title", title)
    info.add_text("Software", "previs")
    buf = io.BytesIO()
    img.save(buf, format="PNG", pnginfo=info)
    write_atomic(path, buf.getvalue())
    return Path(path)


def export_floorplans(
    scene: Scene, out_dir, *, px_per_m: float = PX_PER_M, date=None, shot_ids=None
) -> list[Path]:
    """``<out>/plan.svg`` and ``plan.png`` (every shot), then ``plan_<shot>.svg``/``.png`` for each
    shot (or the ones in ``shot_ids``), each written atomically. Returns the paths written."""
    out = Path(out_dir)
    written: list[Path] = []
    ids = [s.id for s in scene.shots] if shot_ids is None else [scene.shot(i).id for i in shot_ids]
    jobs = [("plan", None, f"{scene.name} \u2013 floor plan")]
    jobs += [(f"plan_{_slug(i)}", [i], f"{scene.name} \u2013 floor plan, shot {i}") for i in ids]
    for stem, sel, title in jobs:
        prims = plan_primitives(scene, sel, date=date)
        written.append(write_svg(prims, out / f"{stem}.svg", title=title, px_per_m=px_per_m))
        written.append(write_png(prims, out / f"{stem}.png", title=title, px_per_m=px_per_m))
    return written
