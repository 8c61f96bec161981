#version 330 core
// Lighting pass: one fragment per screen pixel, position rebuilt from depth.
in vec2 v_uv;
uniform sampler2D u_albedo;
uniform sampler2D u_normal;
uniform sampler2D u_geom;
uniform sampler2D u_emissive;
uniform sampler2D u_depth;
in vec3 v_ray;                  // view ray at 1 m of view depth (fullscreen.vert, VIEW_RAY)
uniform vec2 u_near_far;         // the projection's near and far planes, m
uniform vec3 u_eye;
uniform float u_exposure;
// Compiled variants (defines): DISPLAY tone-maps and sRGB-encodes here (8-bit target), else
// linear HDR out; SKY_PASS shades the sky where nothing was drawn (a second pass; without a sky
// the clear is the dark stage), else the surfaces; LED_LIGHT lights with the wall; LIGHTS lists the lights (lighting.glsl);
// SRGB_TARGET (with DISPLAY) leaves the sRGB encoding to the framebuffer (GL_FRAMEBUFFER_SRGB).
out vec4 frag_color;

#include "lighting.glsl"
#include "display.glsl"
#include "sky.glsl"
#include "gbuffer_codec.glsl"

vec4 finish(vec3 lum) {
    vec3 c = lum * u_exposure;
#if defined(DISPLAY) && defined(SRGB_TARGET)
    c = filmic(c);  // the sRGB framebuffer encodes on write
#elif defined(DISPLAY)
    c = linear_to_srgb(filmic(c));
#endif
    return vec4(c, 1.0);
}

void main() {
    vec3 lum;
#ifdef SKY_PASS
    // Only where nothing was drawn (the depth test keeps the rest).
    lum = sky_signal(normalize(v_ray)) / u_exposure;
#else
    // Only where something was drawn (the depth test keeps empty pixels out).
    ivec2 px = ivec2(gl_FragCoord.xy);
    float depth = texelFetch(u_depth, px, 0).r;
    float near = u_near_far.x, far = u_near_far.y;
    vec3 P = u_eye + v_ray * (near * far / (far - depth * (far - near)));  // view depth from window depth
    vec4 a = texelFetch(u_albedo, px, 0);
    vec3 n = decode_normal16(texelFetch(u_normal, px, 0));
    vec4 g = texelFetch(u_geom, px, 0);
    lum = shade(P, n, oct_decode(g.xy * 2.0 - 1.0), normalize(u_eye - P), a.rgb * a.rgb, a.a, g.z, g.w);
    lum += decode_rgbe(texelFetch(u_emissive, px, 0));
#endif
    frag_color = finish(lum);
}
