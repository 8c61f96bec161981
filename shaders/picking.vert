#version 330 core
// The ID buffer (previs.render.passes.picking): positions only, each item with its own matrix.
uniform mat4 u_clip_from_world;
uniform mat4 u_world_from_model;
in vec3 in_position;
void main() { gl_Position = u_clip_from_world * u_world_from_model * vec4(in_position, 1.0); }
