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


@functools.cache
def shader_source(name: str) -> str:
    """A GLSL file shipped inside the package (``previs/shaders``, from the top-level ``shaders/``),
    with ``#include "file.glsl"`` lines replaced by that file (GLSL itself has no includes)."""
    text = resources.files("previs.shaders").joinpath(name).read_text(encoding="utf-8")
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#include"):
            lines.append(shader_source(stripped.split('"')[1]))
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


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
