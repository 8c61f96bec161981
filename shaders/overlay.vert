#version 330 core
// Frame lines, matte and safe areas as rectangles over the finished image (Renderer._overlay).
in vec2 in_ndc;
void main() { gl_Position = vec4(in_ndc, 0.0, 1.0); }
