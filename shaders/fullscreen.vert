#version 330 core
// One triangle covering the viewport at the far plane (depth 1: the lighting passes depth-test
// it against the G-buffer); v_uv is 0..1 over the image. With RECTS the corners come from a
// buffer in uv, so a lighting pass can cover only some rectangles of the image.
out vec2 v_uv;
#ifdef RECTS
in vec2 in_uv;
#endif
#ifdef VIEW_RAY
// The camera ray of each pixel, scaled to 1 m of view depth (world space): linear over the image,
// so the rasteriser interpolates it and the lighting pass rebuilds a position as eye + ray * depth
// (a matrix of uniforms per pixel costs llvmpipe more).
uniform vec3 u_ray00;    // at uv (0, 0)
uniform vec3 u_ray_du;   // per unit of u
uniform vec3 u_ray_dv;   // per unit of v
out vec3 v_ray;
#endif
void main() {
#ifdef RECTS
    vec2 p = in_uv;
#else
    vec2 p = vec2((gl_VertexID << 1) & 2, gl_VertexID & 2);
#endif
    v_uv = p;
#ifdef VIEW_RAY
    v_ray = u_ray00 + p.x * u_ray_du + p.y * u_ray_dv;
#endif
    gl_Position = vec4(p * 2.0 - 1.0, 1.0, 1.0);
}
