#version 330 core
uniform mat4 u_clip_from_world;
uniform mat4 u_world_from_model;
in vec3 in_position;
void main() { gl_Position = u_clip_from_world * u_world_from_model * vec4(in_position, 1.0); }
