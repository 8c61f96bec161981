"""What the window draws under its panels, and the GL resources for it: the rendered picture
(uploaded to a texture), the frame lines, matte and safe areas drawn at the window's own
resolution (so they stay crisp at any render width), the plan view's page, and the gizmo lines
(the rig, its frustum, the inner frustum) with the parts behind the set dashed and faint."""

from __future__ import annotations

import math

import numpy as np

from previs.render.context import program

HIDDEN_LINE_ALPHA = 0.4  # lines behind the picture: dashed at this opacity
NO_RECT = (0, 0, 0, 0)


def frame_line_rects(st, w: int, h: int) -> tuple[tuple[int, int, int, int], ...]:
    """The delivery area and the action and title safe areas (93 % and 90 % of it, as the
    renderer's post.frag has them) in a ``w`` x ``h`` picture's pixels: (x0, y0, x1, y1),
    rows from the bottom, ends exclusive; (0, 0, 0, 0) where there is none."""
    from previs.core.frame import frame_rect_uv

    x0, y0, x1, y1 = frame_rect_uv(w / h, st.delivery_aspect)
    if x1 <= x0:
        return NO_RECT, NO_RECT, NO_RECT

    def px(ax0, ay0, ax1, ay1):
        return (round(ax0 * w), round(ay0 * h), round(ax1 * w), round(ay1 * h))

    cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    safe = [
        px(cx - hx * f, cy - hy * f, cx + hx * f, cy + hy * f) if st.safe_areas else NO_RECT
        for f in (0.93, 0.90)
    ]
    return (px(x0, y0, x1, y1), *safe)


# The false-colour scale (X in the camera view): (lowest stops over mid-grey, colour, meaning),
# rising. A pixel from one band's lower edge up to the next band's is drawn in that colour (the
# shader's FALSE_COLOUR branch; the panel shows this table as the legend).
FALSE_COLOUR: tuple[tuple[float, tuple[float, float, float], str], ...] = (
    (-math.inf, (0.35, 0.0, 0.55), "black, no detail"),
    (-5.0, (0.1, 0.3, 1.0), "deep shadow"),
    (-2.0, (0.3, 0.3, 0.3), "shadow"),
    (-0.5, (0.1, 0.8, 0.2), "mid-grey (18 %) +-1/2 stop"),
    (0.5, (0.65, 0.65, 0.65), "bright"),
    (2.0, (1.0, 0.85, 0.0), "highlight"),
    (4.0, (1.0, 0.1, 0.1), "near clipping"),
)


def false_colour_band(stops: float) -> int:
    """The band of :data:`FALSE_COLOUR` that ``stops`` over mid-grey falls in."""
    return max(i for i, (lo, _, _) in enumerate(FALSE_COLOUR) if stops >= lo)


def display_to_stops(srgb8) -> np.ndarray:
    """What the shader does to a display sRGB pixel (0..255): stops over mid-grey, through the
    film curve's inverse (the tests check the picture against this)."""
    c = np.asarray(srgb8, np.float64) / 255.0
    lin = np.where(c >= 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    y = np.clip(lin, 0.0, 0.9999)
    a, b = 2.51 - 2.43 * y, 0.03 - 0.59 * y
    x = (-b + np.sqrt(b * b + 4 * a * 0.14 * y)) / (2 * a) / 0.8
    lum = x @ np.array([0.2126, 0.7152, 0.0722])
    return np.log2(np.maximum(lum, 1e-6) / 0.18)


class Drawing:
    """The picture and its overlays in one window's GL context (``ctx``); owns their textures."""

    def __init__(self, ctx):
        self.ctx = ctx
        self._quad_prog = program(ctx, "window_picture.vert", "window_picture.frag")
        self._quad_vbo = ctx.buffer(np.array([-1, -1, 1, -1, -1, 1, 1, 1], "f4").tobytes())
        self._quad = ctx.vertex_array(self._quad_prog, [(self._quad_vbo, "2f", "in_pos")])
        self._fc_prog = program(
            ctx,
            "window_picture.vert",
            "window_picture.frag",
            defines=("FALSE_COLOUR", f"FC_BANDS {len(FALSE_COLOUR)}"),
        )
        self._fc_prog["u_fc_edges"].value = [float(lo) for lo, _, _ in FALSE_COLOUR[1:]]
        self._fc_prog["u_fc_colours"].value = [c for _, c, _ in FALSE_COLOUR]
        self._fc_quad = ctx.vertex_array(self._fc_prog, [(self._quad_vbo, "2f", "in_pos")])
        self._line_prog = program(
            ctx,
            "window_lines.vert",
            "window_lines.frag",
            defines=(f"HIDDEN_ALPHA {HIDDEN_LINE_ALPHA!r}",),
        )
        self._tex = None
        self._depth_tex = None  # the overview picture's depth, for hiding lines behind the set
        self._plan = None  # (key, texture, bounds)
        self._gizmo_cache = None

    def release(self) -> None:
        for tex in (self._tex, self._depth_tex, self._plan and self._plan[1]):
            if tex is not None:
                tex.release()

    @property
    def depth_texture(self):
        """The stage overview's depth (metres, float32; far where nothing is), or None."""
        return self._depth_tex

    @property
    def plan_bounds(self) -> tuple[float, float, float, float] | None:
        """The plan page's (x0, z0, x1, z1) in metres, once a plan has been made."""
        return None if self._plan is None else self._plan[2]

    # ------------------------------------------------------------ uploads
    def upload_picture(self, color: np.ndarray) -> None:
        import moderngl

        h, w = color.shape[:2]
        if self._tex is None or self._tex.size != (w, h):
            if self._tex is not None:
                self._tex.release()
            self._tex = self.ctx.texture((w, h), 3, alignment=1)
            self._tex.filter = (moderngl.LINEAR, moderngl.LINEAR)
            self._tex.repeat_x = self._tex.repeat_y = False
        self._tex.write(np.ascontiguousarray(color).tobytes(), alignment=1)

    def upload_depth(self, depth_m: np.ndarray | None) -> None:
        if depth_m is None:
            if self._depth_tex is not None:
                self._depth_tex.release()
            self._depth_tex = None
            return
        import moderngl

        h, w = depth_m.shape
        if self._depth_tex is None or self._depth_tex.size != (w, h):
            if self._depth_tex is not None:
                self._depth_tex.release()
            self._depth_tex = self.ctx.texture((w, h), 1, dtype="f4", alignment=4)
            self._depth_tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
        far = np.where(np.isfinite(depth_m), depth_m, 1e9)  # empty sky: nothing hides a line there
        self._depth_tex.write(np.ascontiguousarray(far, "f4").tobytes())

    def ensure_plan(self, scene, shot_id: str, revision) -> None:
        """The plan of this shot (core's plan geometry, drawn as the floor plans draw it), once per
        document revision and shot."""
        import moderngl

        from previs.core.plan import plan_geometry
        from previs.export.plan_drawing import PX_PER_M, plan_primitives, png_image

        key = (revision, shot_id)
        if self._plan is not None and self._plan[0] == key:
            return
        geo = plan_geometry(scene, [shot_id])
        x0, z0, x1, z1 = geo.bounds_m  # the plan without its title block
        img = png_image(plan_primitives(scene, geometry=geo), px_per_m=PX_PER_M)
        crop_h = int(round((z1 - z0) * PX_PER_M))
        img = np.asarray(img)[:crop_h]
        if self._plan is not None:
            self._plan[1].release()
        tex = self.ctx.texture(
            (img.shape[1], img.shape[0]), 3, np.ascontiguousarray(img).tobytes(), alignment=1
        )
        tex.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self._plan = (key, tex, (float(x0), float(z0), float(x1), z1))

    # ------------------------------------------------------------ drawing
    def clear(self, fb_size: tuple[int, int]) -> None:
        self.ctx.screen.use()
        self.ctx.viewport = (0, 0, *fb_size)
        self.ctx.clear(0.08, 0.08, 0.09)

    def read_screen(self, fb_size: tuple[int, int]) -> np.ndarray:
        """The window's back buffer: rows top-down, RGB."""
        fw, fh = fb_size
        raw = self.ctx.screen.read(components=3, alignment=1)
        return np.frombuffer(raw, np.uint8).reshape(fh, fw, 3)[::-1].copy()

    def draw(
        self,
        view: str,
        scene,
        st,
        view_st,
        rect: tuple[int, int, int, int],
        fb_h: int,
        selection=None,
        false_colour: bool = False,
    ) -> None:
        """The picture of ``view`` in ``rect`` (window pixels, y down): the camera view with its
        frame lines (in false colour when asked); the overview and the plan with the gizmo lines
        over them; ``selection`` (world segments with colours) outlined over every view."""
        import moderngl

        x, y, w, h = rect
        if self._tex is None and view != "plan":
            return
        self.ctx.viewport = (x, fb_h - y - h, w, h)
        self.ctx.disable(moderngl.BLEND | moderngl.DEPTH_TEST)
        tex = self._plan[1] if view == "plan" else self._tex
        tex.use(0)
        fc = false_colour and view == "camera"
        prog = self._fc_prog if fc else self._quad_prog
        prog["u_image"].value = 0
        prog["u_viewport"].value = (float(x), float(fb_h - y - h), float(w), float(h))
        rects = frame_line_rects(st, w, h) if view == "camera" else (NO_RECT,) * 3
        for name, r in zip(("u_frame_px", "u_action_px", "u_title_px"), rects, strict=True):
            prog[name].value = r
        from previs.render import Overlay

        ov = Overlay()  # the renderer's matte and line colour
        prog["u_matte_opacity"].value = float(ov.matte_opacity)
        prog["u_line_color"].value = tuple(float(v) for v in ov.line_rgb)
        (self._fc_quad if fc else self._quad).render(moderngl.TRIANGLE_STRIP)
        viewport = (x, fb_h - y - h, w, h)
        if view == "camera":
            if selection:
                self._draw_lines(selection, _perspective_clip(st, w / h), viewport)
            self.ctx.viewport = (0, 0, *self.ctx.screen.size)
            return
        segs = self.gizmos(scene, view, st) + list(selection or ())
        if view == "stage":
            clip = _perspective_clip(view_st, w / h)
            self._draw_lines(
                segs, clip, viewport, np.linalg.inv(view_st.world_from_camera), self._depth_tex
            )
        elif view == "plan":
            from previs.view.gizmos import plan_clip_from_world

            self._draw_lines(segs, plan_clip_from_world(*self._plan[2]), viewport)
        self.ctx.viewport = (0, 0, *self.ctx.screen.size)

    def gizmos(self, scene, view: str, st) -> list[tuple[np.ndarray, tuple]]:
        """World segments with colours: the rig, its frustum, the inner frustum on the wall (the
        plan: the lens's wedge)."""
        from previs.view import gizmos as gz

        key = (
            view,
            st.world_from_camera.tobytes(),
            st.focal_length_mm,
            None
            if st.tracked_world_from_camera is None
            else st.tracked_world_from_camera.tobytes(),
        )
        if self._gizmo_cache is not None and self._gizmo_cache[0] == key:
            return self._gizmo_cache[1]
        vol = scene.stage
        if view == "plan":
            out = [(gz.plan_wedge_segments(st.world_from_camera, st.hfov_deg), gz.BODY_RGB)]
        else:
            out = [
                (gz.camera_body_segments(st.world_from_camera), gz.BODY_RGB),
                (
                    gz.frustum_segments(vol, st.world_from_camera, st.yfov_rad, st.image_aspect),
                    gz.FRUSTUM_RGB,
                ),
            ]
            if (
                vol is not None
                and vol.inner_frustum.enabled
                and st.tracked_world_from_camera is not None
            ):
                out.append(
                    (
                        gz.inner_frustum_outline(
                            vol,
                            st.tracked_world_from_camera,
                            st.tracked_yfov_rad,
                            st.image_aspect,
                            vol.inner_frustum.overscan_pct,
                        ),
                        gz.INNER_RGB,
                    )
                )
        self._gizmo_cache = (key, out)
        return out

    def _draw_lines(
        self,
        segs,
        clip: np.ndarray,
        viewport,
        view_from_world: np.ndarray | None = None,
        depth_tex=None,
    ) -> None:
        """World segments over the picture; with the picture's depth, the parts behind what it
        shows dashed and faint."""
        import moderngl

        data = []
        for s, rgb in segs:
            if len(s) == 0:
                continue
            pts = np.asarray(s, "f4").reshape(-1, 3)
            data.append(np.hstack([pts, np.tile(np.asarray(rgb, "f4"), (len(pts), 1))]))
        if not data:
            return
        arr = np.vstack(data).astype("f4")
        vbo = self.ctx.buffer(arr.tobytes())
        vao = self.ctx.vertex_array(self._line_prog, [(vbo, "3f 3f", "in_pos", "in_col")])
        prog = self._line_prog
        prog["u_clip_from_world"].write(clip.T.astype("f4").tobytes())
        view = np.eye(4) if view_from_world is None else view_from_world
        prog["u_view_from_world"].write(view.T.astype("f4").tobytes())
        prog["u_viewport"].value = tuple(float(v) for v in viewport)
        prog["u_depth_test"].value = depth_tex is not None and view_from_world is not None
        if depth_tex is not None:
            depth_tex.use(1)
        prog["u_depth"].value = 1
        self.ctx.line_width = 1.0
        self.ctx.enable(moderngl.BLEND)
        self.ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        vao.render(moderngl.LINES)
        self.ctx.disable(moderngl.BLEND)
        vao.release()
        vbo.release()


def _perspective_clip(view_st, aspect: float) -> np.ndarray:
    """Clip from world for a FrameState's camera at ``aspect``."""
    from previs.core import transforms as tf

    return tf.perspective(view_st.yfov_rad, aspect, view_st.near_m, view_st.far_m) @ np.linalg.inv(
        view_st.world_from_camera
    )
