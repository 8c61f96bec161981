#version 330 core
// Lighting pass: one fragment per screen pixel, position rebuilt from depth.
uniform sampler2D u_albedo;
uniform sampler2D u_normal;
uniform sampler2D u_geom;
uniform sampler2D u_emissive;
uniform sampler2D u_depth;
in vec3 v_ray;                  // view ray at 1 m of view depth (fullscreen.vert, VIEW_RAY)
uniform vec2 u_near_far;         // the projection's near and far planes, m
uniform vec3 u_eye;
uniform vec2 u_full_px;          // one pixel of the G-buffer in uv (fetch.glsl)
// Compiled variants (defines): DISPLAY tone-maps and sRGB-encodes here (8-bit target), else
// linear HDR out; SKY_PASS shades the sky where nothing was drawn (a second pass; without a sky
// the clear is the dark stage), else the surfaces; LED_LIGHT lights with the wall; LIGHTS lists the lights (lighting.glsl);
// SRGB_TARGET (with DISPLAY) leaves the sRGB encoding to the framebuffer (GL_FRAMEBUFFER_SRGB).
// HALF_LIGHTING and RESOLVE are the two halves of lighting at half resolution (Renderer
// .half_res_lighting): the light reaching each surface (lights, shadows, the wall as a light,
// the ambient fill) at every other pixel of every other row, then every pixel's colour from its
// own base colour, metallic and emission and a blend of the samples around it that lie on its
// own surface.
#if defined(HALF_LIGHTING)
// Three texels per sample: kd (the diffuse share, lighting.glsl) with the view depth in m as
// alpha, ks (specular luminance) and the surface as the G-buffer has it: the geometric normal
// (octahedral), metallic and roughness. ks holds the sample's f0: textured-metal detail finer
// than two pixels is blended.
layout(location = 0) out vec4 o_kd;
layout(location = 1) out vec4 o_ks;
layout(location = 2) out vec4 o_surface;
uniform vec3 u_ray00;            // the view ray at uv (0, 0) and its change per unit of u and v
uniform vec3 u_ray_du;
uniform vec3 u_ray_dv;
#elif defined(RESOLVE)
out vec4 frag_color;
uniform sampler2D u_half_kd;
uniform sampler2D u_half_ks;
uniform sampler2D u_half_surface;
uniform vec2 u_half_px;          // one half-resolution sample in uv
#else
out vec4 frag_color;
#endif

#include "gbuffer_codec.glsl"
#include "lighting.glsl"
#include "display.glsl"
#include "sky.glsl"
#include "fetch.glsl"

float view_depth(float window_depth) {
    float near = u_near_far.x, far = u_near_far.y;
    return near * far / (far - window_depth * (far - near));
}

#if defined(HALF_LIGHTING) || defined(RESOLVE)
// What the samples' weights compare (RESOLVE's same_surface): the geometric normal (octahedral),
// metallic and roughness, as the G-buffer's 8-bit texels hold them, so a pixel and the sample on
// it match exactly.
vec4 surface_of(vec4 albedo, vec4 geom) {
    return vec4(geom.xy, albedo.a, geom.z);
}
#endif

#if defined(HALF_LIGHTING)
void main() {
    // This sample stands for the full-resolution pixel 2q (the lower left of its 2x2 block): its
    // surface and its exact view ray. Samples outside the image (the spare column and row) and
    // on empty pixels hold no surface: a depth no pixel has.
    ivec2 px = ivec2(gl_FragCoord.xy) * 2;
    bool inside = all(lessThan(px, textureSize(u_depth, 0)));
    float depth = inside ? fetch(u_depth, px, u_full_px).r : 1.0;
    if (depth >= 1.0) {
        o_kd = vec4(0.0, 0.0, 0.0, -1.0);
        o_ks = vec4(0.0);
        o_surface = vec4(0.0);
        return;
    }
    vec2 uv = (vec2(px) + 0.5) * u_full_px;
    float z = view_depth(depth);
    vec3 P = u_eye + (u_ray00 + uv.x * u_ray_du + uv.y * u_ray_dv) * z;
    vec3 n = decode_normal16(fetch(u_normal, px, u_full_px));
    vec4 g = fetch(u_geom, px, u_full_px);
    vec4 a = fetch(u_albedo, px, u_full_px);
    vec3 diffuse_color, f0, kd, ks;
    decode_albedo(a, diffuse_color, f0);
    shade_parts(P, n, oct_decode(g.xy * 2.0 - 1.0), normalize(u_eye - P), f0, g.z, g.w, kd, ks);
    o_kd = vec4(kd, z);
    o_ks = vec4(ks, 0.0);
    o_surface = surface_of(a, g);
}
#elif defined(RESOLVE)
// Weight of a half-resolution sample for this pixel: 1 on the same surface, falling to 0 at a
// view depth 4 % apart, geometric normals about 18 degrees apart (down to about 3 on glossy
// surfaces, whose reflections turn with the normal), or metallic or roughness a quarter of their
// range apart (a glossy metal trim's highlight stays off the paint beside it). It reaches 0: a
// light 300 times brighter on a pole must not leak into the wall behind it through a small weight.
float same_surface(float z, vec4 surface, float z_s, vec4 surface_s) {
    float rel = (z_s - z) / (0.04 * z);
    float normal_tol = 0.16 * clamp(1.5 * surface.w, 0.15, 1.0);
    vec4 d = (surface_s - surface) * vec4(vec2(1.0 / normal_tol), 4.0, 4.0);
    return max(1.0 - rel * rel, 0.0) * max(1.0 - dot(d.xy, d.xy), 0.0)
         * max(1.0 - d.z * d.z, 0.0) * max(1.0 - d.w * d.w, 0.0);
}

void main() {
    ivec2 px = ivec2(gl_FragCoord.xy);
    float depth = fetch(u_depth, px, u_full_px).r;
    if (depth >= 1.0) {  // nothing drawn: as the cleared target, and nothing to mend
        frag_color = vec4(0.0, 0.0, 0.0, 1.0);
        gl_FragDepth = 1.0;
        return;
    }
    float z = view_depth(depth);
    vec4 a = fetch(u_albedo, px, u_full_px);
    vec4 g = fetch(u_geom, px, u_full_px);
    vec4 surface = surface_of(a, g);
    // The four samples around this pixel (sample q sits on pixel 2q; the half-resolution target
    // reaches past the image, so q0 + 1 is always inside it), bilinear weights times the
    // same-surface weight; a pixel on its own sample takes it whole.
    ivec2 q0 = px >> 1;
    vec2 f = vec2(px & 1) * 0.5;
    vec4 bw = vec4((1.0 - f.x) * (1.0 - f.y), f.x * (1.0 - f.y), (1.0 - f.x) * f.y, f.x * f.y);
    vec3 kd = vec3(0.0), ks = vec3(0.0);
    float wsum = 0.0, best = 0.0, spec_lo = 1e30, spec_hi = 0.0;
    for (int k = 0; k < 4; k++) {
        ivec2 q = q0 + ivec2(k & 1, k >> 1);
        vec4 skd = fetch(u_half_kd, q, u_half_px), sks = fetch(u_half_ks, q, u_half_px);
        float s = same_surface(z, surface, skd.a, fetch(u_half_surface, q, u_half_px));
        best = max(best, bw[k] > 0.0 ? s : 0.0);
        float w = bw[k] * s;
        float spec = w > 0.0 ? dot(sks.rgb, vec3(0.2126, 0.7152, 0.0722)) : 0.0;
        spec_lo = w > 0.0 ? min(spec_lo, spec) : spec_lo;
        spec_hi = max(spec_hi, spec);
        kd += w * skd.rgb;
        ks += w * sks.rgb;
        wsum += w;
    }
    // A glint: the samples' reflections differ by more than 5 % of white on screen and by half
    // again; blending would spread it over its 2x2 block, so it is lit in full.
    bool glint = (spec_hi - spec_lo) * u_exposure > 0.05 && spec_hi > 1.5 * spec_lo;
    vec3 diffuse_color, f0;
    decode_albedo(a, diffuse_color, f0);
    // (wsum is 0 only where no sample matched: such pixels are mended)
    vec3 lum = (diffuse_color * kd + ks) / max(wsum, 1e-20) + decode_rgbe(fetch(u_emissive, px, u_full_px));
    frag_color = finish(lum);
    // No sample on this surface (a thin or small object, a silhouette): depth 0 marks the pixel
    // for a full-resolution lighting pass over just such pixels (Renderer._draw).
    gl_FragDepth = best > 0.5 && !glint ? 1.0 : 0.0;
}
#else
void main() {
    vec3 lum;
#ifdef SKY_PASS
    // Only where nothing was drawn (the depth test keeps the rest).
    lum = sky_signal(normalize(v_ray)) / u_exposure;
#else
    // Only where something was drawn (the depth test keeps empty pixels out).
    ivec2 px = ivec2(gl_FragCoord.xy);
    vec3 P = u_eye + v_ray * view_depth(fetch(u_depth, px, u_full_px).r);
    vec3 n = decode_normal16(fetch(u_normal, px, u_full_px));
    vec4 g = fetch(u_geom, px, u_full_px);
    vec3 diffuse_color, f0;
    decode_albedo(fetch(u_albedo, px, u_full_px), diffuse_color, f0);
    lum = shade(P, n, oct_decode(g.xy * 2.0 - 1.0), normalize(u_eye - P), diffuse_color, f0, g.z, g.w);
    lum += decode_rgbe(fetch(u_emissive, px, u_full_px));
#endif
    frag_color = finish(lum);
}
#endif
