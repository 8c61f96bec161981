#version 330 core
// One triangle covering the viewport at the far plane (depth 1: the lighting passes depth-test
// it against the G-buffer); v_uv is 0..1 over the image. With RECTS the corners come from a
// buffer in uv, so a lighting pass can cover only some rectangles of the image.
out vec2 v_uv;
#ifdef RECTS
in vec2 in_uv;
#endif
void main() {
#ifdef RECTS
    vec2 p = in_uv;
#else
    vec2 p = vec2((gl_VertexID << 1) & 2, gl_VertexID & 2);
#endif
    v_uv = p;
    gl_Position = vec4(p * 2.0 - 1.0, 1.0, 1.0);
}
