#version 330 core
// World-space vertices (the renderer pre-transforms static geometry), so no model matrix here.
uniform mat4 u_clip_from_world;

in vec3 in_position;
in vec3 in_normal;
in vec2 in_uv;
in vec4 in_color;

out vec3 v_world;
out vec3 v_normal;
out vec2 v_uv;
out vec4 v_color;

void main() {
    v_world = in_position;
    v_normal = in_normal;
    v_uv = in_uv;
    v_color = in_color;
    gl_Position = u_clip_from_world * vec4(in_position, 1.0);
}
