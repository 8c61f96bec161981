"""OpenGL contexts and shader sources. The only place that decides how a context is made."""

from __future__ import annotations

import functools
import os
from importlib import resources

from previs.errors import RenderError

GL_VERSION = 330


def create_offscreen_context():
    """A standalone OpenGL context with no window: EGL first (Mesa llvmpipe or a GPU driver),
    then whatever moderngl's default backend finds. ``PREVIS_GL_BACKEND`` forces one."""
    import moderngl

    wanted = os.environ.get("PREVIS_GL_BACKEND")
    backends = [wanted] if wanted else ["egl", None]
    errors = []
    for backend in backends:
        try:
            kwargs = {"backend": backend} if backend else {}
            return moderngl.create_standalone_context(require=GL_VERSION, **kwargs)
        except Exception as exc:  # each backend fails in its own way
            errors.append(f"{backend or 'default'}: {exc}")
    raise RenderError(
        "no OpenGL 3.3 context could be created (" + "; ".join(errors) + "). "
        "On Debian/Ubuntu install Mesa's EGL driver: apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri"
    )


def shader_sources(read):
    """A cached ``name -> GLSL source`` over ``read(name)`` (a file's text), with
    ``#include "file.glsl"`` lines replaced by that file (GLSL itself has no includes). The
    benchmarks use it for shaders from another commit."""

    @functools.cache
    def source(name: str) -> str:
        lines = []
        for line in read(name).splitlines():
            stripped = line.strip()
            lines.append(source(stripped.split('"')[1]) if stripped.startswith("#include") else line)
        return "\n".join(lines) + "\n"

    return source


# The GLSL files shipped inside the package (``previs/shaders``, from the top-level ``shaders/``).
shader_source = shader_sources(
    lambda name: resources.files("previs.shaders").joinpath(name).read_text(encoding="utf-8"))


def _with_defines(source: str, defines: tuple[str, ...]) -> str:
    if not defines:
        return source
    head, _, rest = source.partition("\n")  # the #version line must stay first
    return head + "\n" + "".join(f"#define {d}\n" for d in defines) + rest


def program(ctx, vertex: str, fragment: str, defines: tuple[str, ...] = ()):
    try:
        return ctx.program(vertex_shader=_with_defines(shader_source(vertex), defines),
                           fragment_shader=_with_defines(shader_source(fragment), defines))
    except Exception as exc:
        raise RenderError(f"shader {vertex}/{fragment} failed to compile: {exc}") from None
