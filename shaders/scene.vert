#version 330 core
// Static geometry arrives in world space (the renderer pre-transforms and merges it) with an
// identity model matrix; moving things (walking stand-ins) keep their own vertices and matrix.
uniform mat4 u_clip_from_world;
uniform mat4 u_world_from_model;
uniform mat3 u_normal_from_model;

in vec3 in_position;
in vec3 in_normal;
in vec2 in_uv;
in vec4 in_color;

out vec3 v_world;
out vec3 v_normal;
out vec2 v_uv;
out vec4 v_color;

void main() {
    v_world = (u_world_from_model * vec4(in_position, 1.0)).xyz;
    v_normal = u_normal_from_model * in_normal;
    v_uv = in_uv;
    v_color = in_color;
    gl_Position = u_clip_from_world * vec4(v_world, 1.0);
}
