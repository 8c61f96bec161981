#version 330 core
// Display-referred (tone-mapped, sRGB-encoded) image -> FXAA on those perceptual values
// (compiled in with FXAA, else a copy). Frame lines go on top as rectangles (overlay.frag).
// With FXAA_MARK: a copy that also marks, in its depth, the pixels where FXAA does more than copy
// (depth 0; 1 elsewhere). FXAA then runs depth-tested against the marks: llvmpipe skips the
// blocks with none (most blocks hold no edge), where FXAA's early return would have run its every
// tap anyway (llvmpipe executes both sides of a branch). The picture is the same to the bit.
in vec2 v_uv;
uniform sampler2D u_image;
uniform vec2 u_px;              // one pixel in uv
out vec4 frag_color;
#if defined(OCIO)
// With OCIO: u_image holds linear light; OpenColorIO's display transform makes display values.
#include "ocio_display.glsl"
#endif

vec3 display(vec2 uv) { return texture(u_image, uv).rgb; }

// A neighbour at a whole-pixel offset: a plain fetch (clamped at the border, as the sampler
// would), much cheaper than a filtered sample in llvmpipe.
vec3 texel(ivec2 p, ivec2 o) { return texelFetch(u_image, clamp(p + o, ivec2(0), textureSize(u_image, 0) - 1), 0).rgb; }

float luma(vec3 c) { return dot(c, vec3(0.299, 0.587, 0.114)); }

struct Around { vec3 m; float l_nw, l_ne, l_sw, l_se, lo, hi; };

// The pixel and its diagonal neighbours' lumas; FXAA leaves the pixel as it is where they span
// too little contrast (flat).
Around around(ivec2 p) {
    Around a;
    a.m = texel(p, ivec2(0));
    a.l_nw = luma(texel(p, ivec2(-1, -1)));
    a.l_ne = luma(texel(p, ivec2(1, -1)));
    a.l_sw = luma(texel(p, ivec2(-1, 1)));
    a.l_se = luma(texel(p, ivec2(1, 1)));
    float l_m = luma(a.m);
    a.lo = min(l_m, min(min(a.l_nw, a.l_ne), min(a.l_sw, a.l_se)));
    a.hi = max(l_m, max(max(a.l_nw, a.l_ne), max(a.l_sw, a.l_se)));
    return a;
}

bool flat_area(Around a) { return a.hi - a.lo < max(0.0312, a.hi * 0.125); }

// FXAA (after Lottes' FXAA 3.11 "console" variant): blur along the local edge direction.
// Rows of the texture run bottom-up, so "north" (-1 in uv y) is the row below.
vec3 fxaa(vec2 uv) {
    Around s = around(ivec2(gl_FragCoord.xy));
    vec3 m = s.m;
    float l_nw = s.l_nw, l_ne = s.l_ne, l_sw = s.l_sw, l_se = s.l_se, lo = s.lo, hi = s.hi;
    if (flat_area(s)) return m;
    vec2 dir = vec2(-((l_nw + l_ne) - (l_sw + l_se)), (l_nw + l_sw) - (l_ne + l_se));
    float reduce = max((l_nw + l_ne + l_sw + l_se) * (0.25 / 8.0), 1.0 / 128.0);
    float rcp_min = 1.0 / (min(abs(dir.x), abs(dir.y)) + reduce);
    dir = clamp(dir * rcp_min, vec2(-8.0), vec2(8.0)) * u_px;
    vec3 a = 0.5 * (display(uv + dir * (1.0 / 3.0 - 0.5)) + display(uv + dir * (2.0 / 3.0 - 0.5)));
    vec3 b = a * 0.5 + 0.25 * (display(uv - dir * 0.5) + display(uv + dir * 0.5));
    float l_b = luma(b);
    return (l_b < lo || l_b > hi) ? a : b;
}

void main() {
#if defined(OCIO)
    vec3 c = OCIODisplay(vec4(texelFetch(u_image, ivec2(gl_FragCoord.xy), 0).rgb, 1.0)).rgb;
#elif defined(FXAA_MARK)
    Around s = around(ivec2(gl_FragCoord.xy));
    vec3 c = s.m;
    gl_FragDepth = flat_area(s) ? 1.0 : 0.0;
#elif defined(FXAA)
    vec3 c = fxaa(v_uv);
#else
    vec3 c = display(v_uv);
#endif
    frag_color = vec4(c, 1.0);
}
