"""The window shell: one glfw window with an OpenGL 3.3 core context, its input callbacks, event
waiting and buffer swaps. Nothing about scenes or drawing: the app connects handlers to it."""

from __future__ import annotations

from collections.abc import Callable

from previs.errors import RenderError


class Window:
    """A glfw window and its moderngl context (``ctx``), made current on creation."""

    def __init__(self, size: tuple[int, int], title: str, visible: bool = True):
        import glfw
        import moderngl

        glfw.ERROR_REPORTING = "ignore"  # a failure becomes the one line below, not a warning dump
        if not glfw.init():
            raise RenderError(
                "previs view needs a display: no window system could be opened "
                "(set DISPLAY, or run under xvfb-run)"
            )
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
        glfw.window_hint(glfw.VISIBLE, bool(visible))
        w, h = (int(v) for v in size)
        self.handle = glfw.create_window(w, h, title, None, None)
        if not self.handle:
            glfw.terminate()
            raise RenderError("previs view: the window system refused an OpenGL 3.3 window")
        glfw.make_context_current(self.handle)
        glfw.swap_interval(0)  # the frame rate is ours to hold, not the monitor's
        self.ctx = moderngl.create_context()
        self.gl_renderer = self.ctx.info.get("GL_RENDERER", "unknown")

    def connect(
        self,
        *,
        key: Callable,
        char: Callable,
        mouse_move: Callable,
        mouse_button: Callable,
        scroll: Callable,
        close: Callable,
    ) -> None:
        """Route glfw's callbacks to handlers with plain arguments (tests call the same ones)."""
        import glfw

        w = self.handle
        glfw.set_key_callback(w, lambda _w, k, _s, a, m: key(k, a, m))
        glfw.set_char_callback(w, lambda _w, c: char(c))
        glfw.set_cursor_pos_callback(w, lambda _w, x, y: mouse_move(x, y))
        glfw.set_mouse_button_callback(w, lambda _w, b, a, m: mouse_button(b, a, m))
        glfw.set_scroll_callback(w, lambda _w, dx, dy: scroll(dx, dy))
        glfw.set_window_close_callback(w, lambda _w: close())

    def make_current(self) -> None:
        import glfw

        glfw.make_context_current(self.handle)

    def poll_events(self) -> None:
        import glfw

        glfw.poll_events()

    def wait_events(self, timeout_s: float) -> None:
        import glfw

        glfw.wait_events_timeout(timeout_s)

    def framebuffer_size(self) -> tuple[int, int]:
        import glfw

        return glfw.get_framebuffer_size(self.handle)

    def swap(self) -> None:
        import glfw

        glfw.swap_buffers(self.handle)

    def close_requested(self) -> bool:
        """Whether the window system asked to close (the title bar's button)."""
        import glfw

        return bool(glfw.window_should_close(self.handle))

    def keep_open(self) -> None:
        """Refuse the window system's close request: the app asks about unsaved work first."""
        import glfw

        glfw.set_window_should_close(self.handle, False)

    def destroy(self) -> None:
        import glfw

        glfw.destroy_window(self.handle)
        self.handle = None
