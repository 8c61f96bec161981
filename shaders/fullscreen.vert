#version 330 core
// One triangle covering the viewport at the far plane (depth 1: the lighting passes depth-test
// it against the G-buffer); v_uv is 0..1 over the image.
out vec2 v_uv;
void main() {
    vec2 p = vec2((gl_VertexID << 1) & 2, gl_VertexID & 2);
    v_uv = p;
    gl_Position = vec4(p * 2.0 - 1.0, 1.0, 1.0);
}
