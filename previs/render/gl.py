"""Small moderngl helpers every pass uses: uniforms set only when they change, the interleaved
vertex layout, texture settings, the material variant, and a GPU wait without the GIL."""

from __future__ import annotations

import ctypes
import functools

import numpy as np

from previs.core.mesh import Material

GL_SRGB8_ALPHA8 = 0x8C43
GL_FRAMEBUFFER_SRGB = 0x8DB9


@functools.cache
def gl_finish():
    """glFinish from libGL through ctypes, or None. moderngl holds the GIL while it waits for
    the driver, so a readback stalls every Python thread for the whole frame (the animatic's
    PNG writer included); a ctypes call lets the GIL go while llvmpipe finishes. Under glvnd
    libGL's glFinish dispatches to the context current on this thread, whichever API made it."""
    try:
        fn = ctypes.CDLL("libGL.so.1").glFinish
    except (OSError, AttributeError):
        return None
    fn.restype, fn.argtypes = None, []
    return fn


def finish_without_gil() -> None:
    """Wait for the GPU's queued work with the GIL released (then a readback only copies)."""
    fn = gl_finish()
    if fn is not None:
        fn()


def variant(m: Material) -> str:
    if m.led_wall:
        return "wall"
    return "masked" if m.alpha_cutoff is not None else "opaque"


VERTEX_LAYOUT = (
    ("in_position", 3),
    ("in_normal", 3),
    ("in_uv", 2),
    ("in_color", 4),
)  # float32 each


def write_cube(tex, faces) -> None:
    """Six (S, S, 3) faces, GL order (+X, -X, +Y, -Y, +Z, -Z), into a half-float cube map
    (float16 faces, as capture_cube(signal=True) gives them, go up without a copy)."""
    faces = np.ascontiguousarray(faces, dtype=np.float16)
    for i in range(6):
        tex.write(i, faces[i].tobytes())


def lights_define(lights: tuple) -> str:
    """The LIGHTS define of lighting.glsl: one L(index, type, tiles, first, ranged, bounded) each."""
    return "LIGHTS " + " ".join(
        f"L({i}, {t}, {n}, {f}, {r}, {b})" for i, (t, n, f, r, b) in enumerate(lights)
    )


def cube_texture(ctx, size: int):
    """An RGB half-float cube map of ``size`` texels a face, linearly filtered."""
    tex = ctx.texture_cube((size, size), 3, dtype="f2")
    tex.filter = (ctx.LINEAR, ctx.LINEAR)
    return tex


def clamp_to_edge(tex) -> None:
    """Clamp-to-edge wrapping for a texture the renderer makes (a target or a lookup table):
    nothing reads it past its edges on purpose, and llvmpipe samples it a little faster than with
    the default repeat."""
    tex.repeat_x = tex.repeat_y = False
    if hasattr(tex, "repeat_z"):
        tex.repeat_z = False


def vertex_array(ctx, prog, vbo, ibo):
    """A VAO over the interleaved vertex layout; attributes a shader variant compiled away are
    skipped as padding (GL drops unused inputs, and moderngl refuses to bind a missing one)."""
    fmt, names = [], []
    for name, n in VERTEX_LAYOUT:
        if name in prog:
            fmt.append(f"{n}f")
            names.append(name)
        else:
            fmt.append(f"{4 * n}x")
    return ctx.vertex_array(
        prog, [(vbo, " ".join(fmt), *names)], index_buffer=ibo, index_element_size=4
    )


def uniform(prog, name: str, value) -> None:
    # Variants compile some uniforms away; setting one that is gone is not an error.
    member = prog._members.get(name)
    if member is not None and not _same_as_last(prog, name, value):
        member.value = value
        _remember(prog, name, value)


def write(prog, name: str, data: bytes) -> None:
    member = prog._members.get(name)
    if member is not None and not _same_as_last(prog, name, data):
        member.write(data)
        _remember(prog, name, data)


def write_array(prog, name: str, arr: np.ndarray) -> None:
    """Write the leading entries of a uniform array: the compiler keeps only the entries a
    variant indexes (a light list of three keeps three)."""
    member = prog._members.get(name)
    if member is not None:
        data = np.ascontiguousarray(arr[: member.array_length]).tobytes()
        if not _same_as_last(prog, name, data):
            member.write(data)
            _remember(prog, name, data)


# What each program was last given (in its ``extra``; a program keeps its uniforms): most of a
# frame's few hundred uniform settings repeat the last frame's, and each costs the render thread,
# during which llvmpipe's threads wait. Every setting of the renderer's programs goes through
# uniform, write and write_array.
def _same_as_last(prog, name: str, value) -> bool:
    last = prog.extra
    if last is None or name not in last:
        return False
    old = last[name]
    return type(old) is type(value) and old == value


def _remember(prog, name: str, value) -> None:
    if prog.extra is None:
        prog.extra = {}
    if isinstance(value, (int, float, tuple, bytes)):
        prog.extra[name] = value
    else:  # an array would compare element-wise: not kept, and what was kept is stale now
        prog.extra.pop(name, None)
