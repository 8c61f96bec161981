#version 330 core
// Depth-of-field preview: a gather ("scatter as gather") over a disc of taps. Every pixel's
// circle of confusion comes from the thin lens, c = f^2 / (N (s - f)) * |d - s| / d on the
// sensor, in pixels by the image's pixels per sensor millimetre. A tap at offset o contributes
// when its own blur covers the centre (|c_tap| / 2 >= |o|); a tap behind the centre covers at
// most the centre's own blur, so a sharp subject never takes the blurred background over it,
// while a blurred foreground does spread over what is behind it.
in vec2 v_uv;
uniform sampler2D u_image;       // display-encoded colour
uniform sampler2D u_depth;       // window depth
uniform sampler2D u_near_tiles;  // per tile: the largest near-field blur radius (px)
uniform int u_tile_px;
out vec4 frag_color;

#define TAPS 40
const float GOLDEN_ANGLE = 2.39996323;

#include "dof_common.glsl"

void main() {
    ivec2 px = ivec2(gl_FragCoord.xy);
    float d0 = metres(texelFetch(u_depth, px, 0).r);
    float r0 = abs(coc_radius_px(d0));
    // How far to look: this pixel's own blur, or a blurred foreground nearby that spreads over it.
    ivec2 tile = px / u_tile_px;
    ivec2 tiles = textureSize(u_near_tiles, 0) - 1;
    float near_r = 0.0;
    for (int j = -1; j <= 1; ++j)
        for (int i = -1; i <= 1; ++i)
            near_r = max(near_r, texelFetch(u_near_tiles, clamp(tile + ivec2(i, j), ivec2(0), tiles), 0).r);
    float reach = max(r0, near_r);
    vec3 c0 = texelFetch(u_image, px, 0).rgb;
    vec3 sum = c0 * c0;  // averaged in (approximately) linear light: square in, root out
    float weight = 1.0;
    vec2 texel = 1.0 / vec2(textureSize(u_image, 0));
    for (int k = 0; k < TAPS; ++k) {
        float rho = reach * sqrt((float(k) + 0.5) / float(TAPS));
        float th = float(k) * GOLDEN_ANGLE;
        vec2 o = rho * vec2(cos(th), sin(th));
        vec2 uv = v_uv + o * texel;
        // texelFetch, not texture: a depth texture may have comparison on, which texture() applies.
        ivec2 tp = clamp(ivec2(floor(uv * vec2(textureSize(u_depth, 0)))), ivec2(0), textureSize(u_depth, 0) - 1);
        float d = metres(texelFetch(u_depth, tp, 0).r);
        float r = abs(coc_radius_px(d));
        if (d > d0) r = min(r, r0);  // behind the centre: no wider than the centre's own blur
        float w = clamp(r - rho + 0.5, 0.0, 1.0) * (reach > 0.5 ? 1.0 : 0.0);
        vec3 c = texelFetch(u_image, tp, 0).rgb;  // the same texel as the depth: no bleed by filtering
        sum += c * c * w;
        weight += w;
    }
    frag_color = vec4(sqrt(sum / weight), 1.0);
}
