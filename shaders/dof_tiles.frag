#version 330 core
// Depth of field, first pass: per tile of u_tile_px square pixels, the largest blur radius of
// anything in front of the focus distance (what may spread over neighbouring pixels).
uniform sampler2D u_depth;
uniform int u_tile_px;
out vec4 frag_color;

#include "dof_common.glsl"

void main() {
    ivec2 size = textureSize(u_depth, 0) - 1;
    ivec2 base = ivec2(gl_FragCoord.xy) * u_tile_px;
    float nearest = 1e9;
    for (int j = 0; j < u_tile_px; j += 2)
        for (int i = 0; i < u_tile_px; i += 2)
            nearest = min(nearest, texelFetch(u_depth, min(base + ivec2(i, j), size), 0).r);
    frag_color = vec4(max(-coc_radius_px(metres(nearest)), 0.0), 0.0, 0.0, 1.0);  // in front only
}
