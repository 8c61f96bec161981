#version 330 core
// The LED wall drawn from another camera (the inner frustum's) to find which of its pixels
// this camera sees (Renderer.seen_wall_tiles).
uniform mat4 u_other_clip_from_world;
uniform mat4 u_world_from_model;
in vec3 in_position;
out vec3 v_world;
void main() {
    v_world = (u_world_from_model * vec4(in_position, 1.0)).xyz;
    gl_Position = u_other_clip_from_world * vec4(v_world, 1.0);
}
