"""Depth of field: the display image blurred by each pixel's circle of confusion for the taking
lens (shaders/dof.frag): a tile pass finds the nearest blurred foreground, a gather pass blurs."""

from __future__ import annotations

from dataclasses import dataclass

from previs.render.context import program
from previs.render.gl import clamp_to_edge, uniform

DOF_TILE_PX = 16  # tile size of the near-field blur search
DOF_MAX_RADIUS = 0.04  # the largest blur radius, as a share of the image width


@dataclass(frozen=True)
class TakingLens:
    """The taking lens, for the depth of field and for how sharp the wall's LED grid is.
    ``sensor_width_mm``: the width the image spans on the sensor (desqueezed for anamorphics),
    which turns blur on the sensor into pixels."""

    focal_length_mm: float = 35.0
    f_number: float = 2.8
    focus_m: float = 5.0
    sensor_width_mm: float = 36.0


@dataclass
class _Programs:
    tiles: object
    tiles_vao: object
    gather: object
    gather_vao: object


class DepthOfFieldPass:
    def __init__(self, ctx):
        self.ctx = ctx
        self._programs: _Programs | None = None  # made on first use

    def draw(self, targets: dict, size: tuple[int, int], view, lens: TakingLens):
        """Blur ``targets["image"]`` by the depth in ``targets["depth"]``; returns the texture
        post should read (a target of the same size, made on first use)."""
        ctx, t = self.ctx, targets
        width, height = size
        if self._programs is None:
            tiles_prog = program(ctx, "fullscreen.vert", "dof_tiles.frag")
            gather_prog = program(ctx, "fullscreen.vert", "dof.frag")
            self._programs = _Programs(
                tiles_prog,
                ctx.vertex_array(tiles_prog, []),
                gather_prog,
                ctx.vertex_array(gather_prog, []),
            )
        p = self._programs
        tile_px = DOF_TILE_PX
        if "dof" not in t:
            tw, th = -(-width // tile_px), -(-height // tile_px)
            t["dof_tiles"] = ctx.texture((tw, th), 1, dtype="f4")
            t["dof_tiles"].filter = (ctx.NEAREST, ctx.NEAREST)
            clamp_to_edge(t["dof_tiles"])
            t["dof_tiles_fbo"] = ctx.framebuffer([t["dof_tiles"]])
            t["dof"] = ctx.texture((width, height), 4)
            t["dof"].filter = (ctx.LINEAR, ctx.LINEAR)
            clamp_to_edge(t["dof"])
            t["dof_fbo"] = ctx.framebuffer([t["dof"]])
        # Blur radius cap: 4 % of the width (about 51 px at 1280): enough for any preview, and it
        # bounds the gather's reach.
        lens_uniform = (
            lens.focal_length_mm,
            lens.f_number,
            lens.focus_m * 1000.0,
            width / lens.sensor_width_mm,
        )
        for prog in (p.tiles, p.gather):
            uniform(prog, "u_near_far", (float(view.near_m), float(view.far_m)))
            uniform(prog, "u_lens", lens_uniform)
            uniform(prog, "u_max_radius_px", DOF_MAX_RADIUS * width)
            uniform(prog, "u_tile_px", tile_px)
            uniform(prog, "u_depth", 1)
        t["depth"].use(1)
        t["dof_tiles_fbo"].use()
        p.tiles_vao.render(vertices=3)
        t["dof_fbo"].use()
        t["image"].use(0)
        t["dof_tiles"].use(2)
        uniform(p.gather, "u_image", 0)
        uniform(p.gather, "u_near_tiles", 2)
        p.gather_vao.render(vertices=3)
        return t["dof"]

    def release(self) -> None:
        if self._programs is not None:
            p = self._programs
            for obj in (p.tiles, p.tiles_vao, p.gather, p.gather_vao):
                obj.release()
            self._programs = None
