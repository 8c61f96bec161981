#version 330 core
uniform mat4 u_clip_from_world;
in vec3 in_position;
void main() { gl_Position = u_clip_from_world * vec4(in_position, 1.0); }
