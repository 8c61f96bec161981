"""Dear ImGui (imgui-bundle) drawn with moderngl, so the window needs no PyOpenGL.

A port of ImGui's OpenGL 3 backend: one vertex and one index buffer streamed per draw list, a
scissor per command, and the textures ImGui asks for (the font atlas; ImGui >= 1.92 creates and
updates them through ``platform_io.textures``) kept as moderngl textures keyed by their GL name.
"""

from __future__ import annotations

import ctypes

import moderngl
import numpy as np
from imgui_bundle import imgui

from previs.render.context import program


class ImGuiRenderer:
    """Draws ``imgui.get_draw_data()`` into the current framebuffer of ``ctx``."""

    def __init__(self, ctx: moderngl.Context):
        self.ctx = ctx
        self.prog = program(ctx, "imgui.vert", "imgui.frag")
        self.prog["u_tex"].value = 0
        self._vbo = ctx.buffer(reserve=1 << 16, dynamic=True)
        self._ibo = ctx.buffer(reserve=1 << 16, dynamic=True)
        # ImDrawVert: pos (2 f4), uv (2 f4), col (4 u1, normalised).
        self._vao = ctx.vertex_array(
            self.prog,
            [(self._vbo, "2f 2f 4f1", "in_pos", "in_uv", "in_col")],
            index_buffer=self._ibo,
            index_element_size=imgui.INDEX_SIZE,
        )
        self._textures: dict[int, moderngl.Texture] = {}
        io = imgui.get_io()
        io.backend_flags |= imgui.BackendFlags_.renderer_has_textures
        pio = imgui.get_platform_io()
        size = int(ctx.info.get("GL_MAX_TEXTURE_SIZE", 4096))
        pio.renderer_texture_max_width = size
        pio.renderer_texture_max_height = size

    # -- textures ImGui owns (the font atlas)
    def _update_textures(self) -> None:
        for tex in imgui.get_platform_io().textures:
            if tex.status == imgui.ImTextureStatus.ok:
                continue
            if tex.status == imgui.ImTextureStatus.want_destroy:
                t = self._textures.pop(int(tex.tex_id), None)
                if t is not None:
                    t.release()
                tex.set_tex_id(0)
                tex.status = imgui.ImTextureStatus.destroyed
                continue
            pixels = np.ascontiguousarray(tex.get_pixels_array()).tobytes()
            if (
                tex.status == imgui.ImTextureStatus.want_create
                or int(tex.tex_id) not in self._textures
            ):
                t = self.ctx.texture((tex.width, tex.height), 4, pixels)
                t.filter = (moderngl.LINEAR, moderngl.LINEAR)
                t.repeat_x = t.repeat_y = False
                self._textures[t.glo] = t
                tex.set_tex_id(t.glo)
            else:  # want_updates: the atlas grew glyphs; uploading it whole is simplest and rare
                t = self._textures[int(tex.tex_id)]
                t.write(pixels)
            tex.status = imgui.ImTextureStatus.ok

    def render(self, draw_data, fb_size: tuple[int, int]) -> None:
        self._update_textures()
        fb_w, fb_h = fb_size
        if fb_w <= 0 or fb_h <= 0:
            return
        ctx = self.ctx
        disp_x, disp_y = draw_data.display_pos
        disp_w, disp_h = draw_data.display_size
        if disp_w <= 0 or disp_h <= 0:
            return
        sx, sy = fb_w / disp_w, fb_h / disp_h
        left, right, top, bottom = disp_x, disp_x + disp_w, disp_y, disp_y + disp_h
        proj = np.array(
            [
                [2 / (right - left), 0, 0, 0],
                [0, 2 / (top - bottom), 0, 0],
                [0, 0, -1, 0],
                [(right + left) / (left - right), (top + bottom) / (bottom - top), 0, 1],
            ],
            "f4",
        )
        self.prog["u_proj"].write(proj.tobytes())
        ctx.enable_only(moderngl.BLEND)
        ctx.blend_func = (
            moderngl.SRC_ALPHA,
            moderngl.ONE_MINUS_SRC_ALPHA,
            moderngl.ONE,
            moderngl.ONE_MINUS_SRC_ALPHA,
        )
        ctx.blend_equation = moderngl.FUNC_ADD
        ctx.viewport = (0, 0, fb_w, fb_h)
        for cmd_list in draw_data.cmd_lists:
            nv, ni = cmd_list.vtx_buffer.size(), cmd_list.idx_buffer.size()
            vbytes = ctypes.string_at(cmd_list.vtx_buffer.data_address(), nv * imgui.VERTEX_SIZE)
            ibytes = ctypes.string_at(cmd_list.idx_buffer.data_address(), ni * imgui.INDEX_SIZE)
            if len(vbytes) > self._vbo.size:
                self._vbo.orphan(len(vbytes) * 2)
            if len(ibytes) > self._ibo.size:
                self._ibo.orphan(len(ibytes) * 2)
            self._vbo.write(vbytes)
            self._ibo.write(ibytes)
            for cmd in cmd_list.cmd_buffer:
                if cmd.elem_count == 0:
                    continue
                tex = self._textures.get(int(cmd.tex_ref.get_tex_id()))
                if tex is None:
                    continue
                x0, y0, x1, y1 = cmd.clip_rect
                x0, y0 = (x0 - disp_x) * sx, (y0 - disp_y) * sy
                x1, y1 = (x1 - disp_x) * sx, (y1 - disp_y) * sy
                if x1 <= x0 or y1 <= y0:
                    continue
                ctx.scissor = (int(x0), int(fb_h - y1), int(x1 - x0), int(y1 - y0))
                tex.use(0)
                self._vao.render(moderngl.TRIANGLES, vertices=cmd.elem_count, first=cmd.idx_offset)
        ctx.scissor = None
        ctx.disable(moderngl.BLEND)

    def release(self) -> None:
        for t in self._textures.values():
            t.release()
        self._textures.clear()
        for tex in imgui.get_platform_io().textures:
            tex.set_tex_id(0)
            tex.status = imgui.ImTextureStatus.destroyed
        self._vao.release()
        self._vbo.release()
        self._ibo.release()
        self.prog.release()
