"""Shader sources: includes expanded once each, #line directives that keep the compiler's line
numbers true, compile errors that name the file and line, every program in shaders/."""

from __future__ import annotations

from pathlib import Path

import pytest

from previs.errors import RenderError
from previs.render.context import ShaderSources, compile_error, compile_program, shader_source

ROOT = Path(__file__).resolve().parents[1]

FILES = {
    "main.frag": '#version 330\n#include "common.glsl"\n#include "colour.glsl"\nout vec4 f;\n'
    "void main() { f = vec4(tint(half_of(1.0)), 1.0); }\n",
    "common.glsl": "float half_of(float x) { return 0.5 * x; }\n",
    "colour.glsl": '#include "common.glsl"\n// a comment\nvec3 tint(float x) { return vec3(half_of(x)); }\n',
    "quad.vert": "#version 330\nin vec2 p;\nvoid main() { gl_Position = vec4(p, 0.0, 1.0); }\n",
    "broken.glsl": "// line 1\n// line 2\nvec3 tint(float x) { return vec3(x) +; }\n",
    "broken.frag": '#version 330\n#include "common.glsl"\n#include "broken.glsl"\nout vec4 f;\n'
    "void main() { f = vec4(tint(1.0), 1.0); }\n",
}


def test_each_include_once_with_line_directives():
    src = ShaderSources(FILES.__getitem__)
    text = src("main.frag")
    assert text.count("float half_of") == 1  # included by main and by colour.glsl: once
    assert src.files("main.frag") == ("main.frag", "common.glsl", "colour.glsl")
    lines = text.splitlines()
    # after common.glsl, main.frag resumes at its line 3; colour.glsl's line 2 follows its guard
    assert lines[0] == "#version 330" and "#line 1 1" in lines and "#line 3 0" in lines
    i = lines.index("#line 1 2")
    assert lines[i + 1] == "// common.glsl: included above" and lines[i + 2] == "// a comment"


def test_the_drivers_error_is_placed_in_its_file():
    stages = {
        "vertex_shader": ("quad.vert",),
        "fragment_shader": ("broken.frag", "common.glsl", "broken.glsl"),
    }
    mesa = "GLSL Compiler failed\n\nfragment_shader\n===============\n2:3(40): error: syntax error, unexpected ';'\n"
    assert compile_error(mesa, stages) == "broken.glsl:3: error: syntax error, unexpected ';'"
    nvidia = "fragment_shader\n2(3) : error C0000: syntax error, unexpected ';'"
    assert compile_error(nvidia, stages).startswith("broken.glsl:3: error C0000")


def test_a_compile_error_names_the_included_file_and_line(gl_context):
    src = ShaderSources(FILES.__getitem__)
    compile_program(gl_context, src, "quad.vert", "main.frag").release()  # the good one compiles
    with pytest.raises(RenderError) as info:
        compile_program(gl_context, src, "quad.vert", "broken.frag", defines=("A 1", "B 2"))
    msg = str(info.value)
    assert "\n" not in msg and "broken.glsl:3:" in msg, msg


def test_every_glsl_program_lives_in_shaders():
    for py in (ROOT / "previs").rglob("*.py"):
        assert "#version 330" not in py.read_text(encoding="utf-8"), py
    for name in ("window_picture.frag", "window_lines.frag", "imgui.vert"):
        assert shader_source(name).startswith("#version 330")
