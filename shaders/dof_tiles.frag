#version 330 core
// Depth of field, first pass: per tile of u_tile_px square pixels, the largest blur radius of
// anything in front of the focus distance (what may spread over neighbouring pixels).
uniform sampler2D u_depth;
uniform vec2 u_near_far;
uniform vec4 u_lens;
uniform float u_max_radius_px;
uniform int u_tile_px;
out vec4 frag_color;

float metres(float window_depth) {
    float n = u_near_far.x, f = u_near_far.y;
    return window_depth >= 1.0 ? 1e9 : n * f / (f - window_depth * (f - n));
}

void main() {
    ivec2 size = textureSize(u_depth, 0) - 1;
    ivec2 base = ivec2(gl_FragCoord.xy) * u_tile_px;
    float nearest = 1e9;
    for (int j = 0; j < u_tile_px; j += 2)
        for (int i = 0; i < u_tile_px; i += 2)
            nearest = min(nearest, texelFetch(u_depth, min(base + ivec2(i, j), size), 0).r);
    float d = metres(nearest) * 1000.0;
    float f = u_lens.x, N = u_lens.y, s = u_lens.z;
    float r = d < s ? min(0.5 * f * f / (N * max(s - f, 1e-3)) * (s - d) / d * u_lens.w, u_max_radius_px) : 0.0;
    frag_color = vec4(r, 0.0, 0.0, 1.0);
}
