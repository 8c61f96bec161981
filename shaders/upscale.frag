#version 330 core
// The finished image scaled up to the output size (the animatic's draft render scale) with a
// Catmull-Rom bicubic, about as sharp as Lanczos-2. 16 plain fetches: in llvmpipe a texelFetch
// costs much less than a filtered sample, so this beats the 9-bilinear-tap variant.
uniform sampler2D u_image;
uniform vec2 u_scale;           // source pixels per output pixel (x, y)
out vec4 frag_color;

// Weights of the taps at -1, 0, +1, +2 around the sample, t in [0, 1).
vec4 catmull_rom(float t) {
    float t2 = t * t, t3 = t2 * t;
    return vec4(-0.5 * t3 + t2 - 0.5 * t, 1.5 * t3 - 2.5 * t2 + 1.0,
                -1.5 * t3 + 2.0 * t2 + 0.5 * t, 0.5 * t3 - 0.5 * t2);
}

void main() {
    vec2 src = gl_FragCoord.xy * u_scale - 0.5;  // in source texel-centre coordinates
    vec2 base = floor(src);
    vec4 wx = catmull_rom(src.x - base.x), wy = catmull_rom(src.y - base.y);
    ivec2 b = ivec2(base) - 1, hi = textureSize(u_image, 0) - 1;
    vec3 c = vec3(0.0);
    for (int j = 0; j < 4; j++) {
        int y = clamp(b.y + j, 0, hi.y);
        vec3 row = wx.x * texelFetch(u_image, ivec2(clamp(b.x, 0, hi.x), y), 0).rgb
                 + wx.y * texelFetch(u_image, ivec2(clamp(b.x + 1, 0, hi.x), y), 0).rgb
                 + wx.z * texelFetch(u_image, ivec2(clamp(b.x + 2, 0, hi.x), y), 0).rgb
                 + wx.w * texelFetch(u_image, ivec2(clamp(b.x + 3, 0, hi.x), y), 0).rgb;
        c += wy[j] * row;
    }
    frag_color = vec4(clamp(c, 0.0, 1.0), 1.0);
}
