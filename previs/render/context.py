"""OpenGL contexts and shader sources. The only place that decides how a context is made."""

from __future__ import annotations

import functools
import os
import re
from importlib import resources

from previs.errors import RenderError

GL_VERSION = 330


def create_offscreen_context(device_index: int | None = None):
    """A standalone OpenGL context with no window: EGL first (Mesa llvmpipe or a GPU driver),
    then whatever moderngl's default backend finds. ``PREVIS_GL_BACKEND`` forces one.

    ``device_index`` (or ``PREVIS_EGL_DEVICE``) picks the EGL device (one GPU of several, for a
    batch worker per GPU); then only EGL is tried, and a missing device is one RenderError line."""
    import moderngl

    if device_index is None and os.environ.get("PREVIS_EGL_DEVICE", "").strip():
        raw = os.environ["PREVIS_EGL_DEVICE"].strip()
        if not raw.isdigit():
            raise RenderError(
                f"PREVIS_EGL_DEVICE must be an EGL device number (0, 1, ...), got {raw!r}"
            )
        device_index = int(raw)
    if device_index is not None:
        try:
            return moderngl.create_standalone_context(
                require=GL_VERSION, backend="egl", device_index=int(device_index)
            )
        except Exception as exc:  # glcontext: "requested device index N, but found M devices"
            raise RenderError(
                f"no OpenGL 3.3 context on EGL device {device_index}: " + " ".join(str(exc).split())
            ) from None
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


class ShaderSources:
    """``name -> GLSL source`` over ``read(name)`` (a file's text), cached, with
    ``#include "file.glsl"`` lines replaced by that file (GLSL itself has no includes).

    Each file is included once per program (a second ``#include`` of it, direct or through
    another file, is dropped: an include guard), and ``#line`` directives keep the compiler's
    line numbers true: GLSL 3.30 names a source by number, so :meth:`files` lists the files of a
    program by that number and :func:`compile_error` turns the driver's ``2:14(5): error`` into
    ``lighting.glsl:14: error``. The benchmarks use it for shaders from another commit."""

    def __init__(self, read):
        self._read = functools.cache(read)
        self._expanded = functools.cache(self._expand)

    def __call__(self, name: str) -> str:
        return self._expanded(name)[0]

    def files(self, name: str) -> tuple[str, ...]:
        """The files in ``name``'s expanded source, by GLSL source-string number."""
        return self._expanded(name)[1]

    def _expand(self, name: str) -> tuple[str, tuple[str, ...]]:
        files: list[str] = []
        out: list[str] = []

        def expand(file: str) -> None:
            number = len(files)
            files.append(file)
            for line_no, line in enumerate(self._read(file).splitlines(), 1):
                stripped = line.strip()
                if not stripped.startswith("#include"):
                    out.append(line)
                    continue
                inc = stripped.split('"')[1]
                if inc in files:
                    out.append(f"// {inc}: included above")
                    continue
                out.append(f"#line 1 {len(files)}")
                expand(inc)
                out.append(f"#line {line_no + 1} {number}")

        expand(name)
        return "\n".join(out) + "\n", tuple(files)


def shader_sources(read) -> ShaderSources:
    return ShaderSources(read)


# The GLSL files shipped inside the package (``previs/shaders``, from the top-level ``shaders/``).
shader_source = shader_sources(
    lambda name: resources.files("previs.shaders").joinpath(name).read_text(encoding="utf-8")
)


def _with_defines(source: str, defines: tuple[str, ...]) -> str:
    if not defines:
        return source
    head, _, rest = source.partition("\n")  # the #version line must stay first
    # ... and the line after the defines is still line 2 of file 0 for the compiler
    return head + "\n" + "".join(f"#define {d}\n" for d in defines) + "#line 2 0\n" + rest


# "0:12(5): error" (Mesa) and "0(12) : error" (NVIDIA): source-string number and line
_GLSL_WHERE = re.compile(r"\b(\d+):(\d+)\(\d+\)|\b(\d+)\((\d+)\)\s*:")


def compile_error(message: str, stages: dict[str, tuple[str, ...]]) -> str:
    """The driver's compile log in one line, its first error placed as ``file.glsl:LINE``.
    ``stages`` maps "vertex_shader" / "fragment_shader" to that stage's :meth:`files`."""
    stage = next(iter(stages))
    for line in message.splitlines():
        if line.strip() in stages:
            stage = line.strip()
            continue
        m = _GLSL_WHERE.search(line)
        if m is None or "error" not in line.lower():
            continue
        number, line_no = (m[1], m[2]) if m[1] is not None else (m[3], m[4])
        files = stages[stage]
        file = files[int(number)] if int(number) < len(files) else f"source {number}"
        return f"{file}:{line_no}: {line[m.end() :].strip(' :')}"
    return " ".join(message.split())[:500]


def compile_program(
    ctx, sources: ShaderSources, vertex: str, fragment: str, defines: tuple[str, ...] = ()
):
    """A program from two shader files of ``sources``; a compile error is one RenderError line
    naming the file and line."""
    try:
        return ctx.program(
            vertex_shader=_with_defines(sources(vertex), defines),
            fragment_shader=_with_defines(sources(fragment), defines),
        )
    except Exception as exc:
        where = compile_error(
            str(exc),
            {"vertex_shader": sources.files(vertex), "fragment_shader": sources.files(fragment)},
        )
        raise RenderError(f"shader {vertex}/{fragment} failed to compile: {where}") from None


def program(ctx, vertex: str, fragment: str, defines: tuple[str, ...] = ()):
    return compile_program(ctx, shader_source, vertex, fragment, defines)
