#version 330 core
// Geometry pass: materials are sampled once per covered pixel and written to the G-buffer;
// lighting runs afterwards, once per screen pixel (deferred.frag). On a software rasteriser
// this avoids shading hidden fragments and the 2x2-quad waste of dense, tiny triangles. With
// FORWARD (the wall's world under at most one light) the material is lit here instead.
in vec3 v_world;
in vec3 v_normal;
in vec2 v_uv;
in vec4 v_color;

uniform vec4 u_base_color;
uniform float u_metallic;
uniform float u_roughness;
uniform vec3 u_emissive;        // nits
uniform float u_alpha_cutoff;
// Which maps a material has is compiled in (HAS_BASE_TEX, HAS_MR_TEX, HAS_NORMAL_TEX,
// HAS_EMISSIVE_TEX, HAS_OCCLUSION_TEX): llvmpipe samples inside a branch even where it is not taken.
// NO_EMISSION: the material emits nothing.
uniform sampler2D u_base_tex;
uniform sampler2D u_mr_tex;
uniform sampler2D u_normal_tex;
uniform sampler2D u_emissive_tex;
uniform sampler2D u_occlusion_tex;
#ifdef LED_WALL
// The wall shows the virtual world as seen from a fixed stage point (the outer frustum):
// a cube map of wall signal (0..1 = black..full white), driven at u_wall_nits.
uniform samplerCube u_wall_content;
uniform vec3 u_wall_eye;
uniform float u_wall_nits;
// The inner frustum: the world rendered from the tracked camera (with overscan), projected back
// onto the wall, so parallax through the lens is right; blended into the outer frustum.
uniform int u_inner_on;
uniform sampler2D u_inner;
uniform mat4 u_inner_clip_from_world;
uniform float u_inner_soft;     // blend band, as a share of the frustum's half-size
uniform int u_inner_border;     // draw the frustum's outline where it lies on the wall
// What the lens sees of the panels: the LED grid (pitch, fill factor) where the wall is close
// and sharp, softened by the pixel footprint and by defocus; dimming and colour shift off axis.
uniform vec2 u_panel_px;        // LEDs per cabinet (width, height)
uniform vec3 u_falloff_k;       // per channel: L = L0 cos^k(angle)
uniform vec3 u_eye;
uniform vec3 u_lens_axis;       // the camera's viewing direction (unit)
uniform vec4 u_lens;            // focal length mm, f-number, focus m, LED pitch mm

// The LED pulse train (emitting where |fract - 0.5| < fill / 2) seen through a Gaussian blur of
// `width` cells (pixel footprint and defocus): its first harmonics, each damped by the blur, so
// it resolves when sharp, melts away when soft and never aliases. Mean 1: the grid redistributes
// the light, it does not remove it. u_led_harmonics holds each harmonic's amplitude,
// 2 sin(pi n fill) / (pi n fill), which depends only on the panel; the cosines come from one
// cosine by the Chebyshev recurrence and the damping exp(-2 pi^2 n^2 sigma^2) = e^(n^2) from one
// exponential (a third of the transcendental work of evaluating each term).
uniform vec4 u_led_harmonics;
float led_profile(float x, float width) {
    const float PI = 3.14159265;
    float sigma = 0.5 * width;
    float e1 = exp(-2.0 * PI * PI * sigma * sigma);
    float e2 = e1 * e1, e4 = e2 * e2;
    vec4 damp = vec4(e1, e4, e4 * e4 * e1, e4 * e4 * e4 * e4);  // e^1, e^4, e^9, e^16
    float c1 = cos(2.0 * PI * (x - 0.5));
    float c2 = 2.0 * c1 * c1 - 1.0;
    vec4 c = vec4(c1, c2, 2.0 * c1 * c2 - c1, 2.0 * c2 * c2 - 1.0);
    return max(1.0 + dot(u_led_harmonics * c, damp), 0.0);
}
uniform vec3 u_cdl_slope;       // ASC CDL on the wall signal (the LED processor's grade)
uniform vec3 u_cdl_offset;
uniform vec3 u_cdl_power;
uniform float u_cdl_saturation;

vec3 wall_signal(vec3 c) {
    c = pow(clamp(c * u_cdl_slope + u_cdl_offset, 0.0, 1.0), u_cdl_power);
    float luma = dot(c, vec3(0.2126, 0.7152, 0.0722));
    return clamp(luma + u_cdl_saturation * (c - luma), 0.0, 1.0);
}
#endif

#include "gbuffer_codec.glsl"

#ifdef FORWARD
// Forward shading (Renderer._draw: wall signal, the inner frustum and the content's cube faces):
// the material lit here, with the lighting passes' code and lights (lighting.glsl), straight
// into the one target; the sky follows in a lighting pass where nothing was drawn. It saves the
// G-buffer's four targets and their reads where a frame has at most one light (Renderer._draw
// decides). Not with LED_WALL.
out vec4 frag_color;
uniform vec3 u_eye;
#include "lighting.glsl"
#include "display.glsl"
#else
// Four RGBA8 targets (half-float targets cost llvmpipe about a third more per G-buffer pass):
layout(location = 0) out vec4 g_albedo;    // sqrt of linear base colour (8-bit friendly), metallic
layout(location = 1) out vec4 g_normal;    // shading normal: octahedral, 16 bits a component
layout(location = 2) out vec4 g_geom;      // geometric normal (octahedral, 8 bits), roughness, occlusion
layout(location = 3) out vec4 g_emissive;  // nits as RGBE: 8-bit mantissas, shared exponent
#endif

vec3 srgb_to_linear(vec3 c) {
    return mix(c / 12.92, pow((c + 0.055) / 1.055, vec3(2.4)), step(0.04045, c));
}

// Normal mapping without stored tangents: the cotangent frame from screen-space derivatives.
vec3 perturb_normal(vec3 n, vec3 p, vec2 uv, vec3 tn) {
    vec3 dp1 = dFdx(p), dp2 = dFdy(p);
    vec2 duv1 = dFdx(uv), duv2 = dFdy(uv);
    vec3 dp2perp = cross(dp2, n), dp1perp = cross(n, dp1);
    vec3 t = dp2perp * duv1.x + dp1perp * duv2.x;
    vec3 b = dp2perp * duv1.y + dp1perp * duv2.y;
    float invmax = inversesqrt(max(dot(t, t), dot(b, b)));
    if (isinf(invmax) || isnan(invmax)) return n;
    return normalize(mat3(t * invmax, b * invmax, n) * tn);
}

void main() {
    vec4 base = u_base_color * v_color;
#ifdef HAS_BASE_TEX
    vec4 t = texture(u_base_tex, v_uv);
    base *= vec4(srgb_to_linear(t.rgb), t.a);
#endif
#ifdef ALPHA_MASK
    // Only the masked variant may discard: a shader that can discard loses early depth testing.
    if (base.a < u_alpha_cutoff) discard;
#endif
    float metallic = u_metallic, rough = u_roughness;
#ifdef HAS_MR_TEX
    vec4 mr = texture(u_mr_tex, v_uv);
    rough *= mr.g;
    metallic *= mr.b;
#endif
    vec3 ng = normalize(v_normal);
    if (!gl_FrontFacing) ng = -ng;  // double-sided and open meshes
    vec3 n = ng;
#ifdef HAS_NORMAL_TEX
    n = perturb_normal(ng, v_world, v_uv, texture(u_normal_tex, v_uv).xyz * 2.0 - 1.0);
#endif
    float occlusion = 1.0;
#ifdef HAS_OCCLUSION_TEX
    occlusion = texture(u_occlusion_tex, v_uv).r;
#endif
    vec3 emissive = u_emissive;
#ifdef HAS_EMISSIVE_TEX
    emissive *= srgb_to_linear(texture(u_emissive_tex, v_uv).rgb);
#endif
#ifdef LED_WALL
    vec3 content = texture(u_wall_content, normalize(v_world - u_wall_eye)).rgb;
    if (u_inner_on == 1) {
        vec4 c = u_inner_clip_from_world * vec4(v_world, 1.0);
        if (c.w > 0.0) {
            vec2 ndc = c.xy / c.w;
            float edge = 1.0 - max(abs(ndc.x), abs(ndc.y));  // 0 on the frustum's outline, 1 at its centre
            float w = u_inner_soft > 0.0 ? clamp(edge / u_inner_soft, 0.0, 1.0) : step(0.0, edge);
            // Alpha is 0 where the inner frustum was not rendered (no camera pixel sees that
            // wall), so the filtered colour is premultiplied and such texels fall back to the outer.
            vec4 inner = texture(u_inner, ndc * 0.5 + 0.5);
            if (w > 0.0) content = content * (1.0 - w * inner.a) + w * inner.rgb;
            if (u_inner_border == 1 && abs(edge) < 1.5 * fwidth(edge)) content = vec3(1.0, 0.25, 0.1);
        }
    }
    emissive = wall_signal(content) * u_wall_nits;
    // Off-axis: panels dim (and shift colour) as the camera sees them at an angle.
    vec3 to_eye = u_eye - v_world;
    float dist = length(to_eye);
    float cos_view = clamp(dot(ng, to_eye / dist), 0.0, 1.0);
    emissive *= pow(vec3(max(cos_view, 1e-3)), u_falloff_k);
    // The LED grid: cell coordinates from the panel position; visible only while the pixel
    // footprint and the defocus blur (thin lens, in LED pitches) stay under a cell.
    vec2 cell = v_uv * u_panel_px;
    vec2 footprint = fwidth(cell);
    float f = u_lens.x, n_stop = u_lens.y, s_m = u_lens.z, pitch = u_lens.w;
    float depth_mm = max(dot(v_world - u_eye, u_lens_axis), 0.01) * 1000.0;
    float s_mm = s_m * 1000.0;
    float blur_mm = f * f * abs(depth_mm - s_mm) / (n_stop * depth_mm * max(s_mm - f, 1e-3));
    float pitch_img_mm = pitch * f / max(depth_mm - f, 1e-3);
    float defocus_cells = blur_mm / pitch_img_mm;
    vec2 width = sqrt(footprint * footprint + defocus_cells * defocus_cells);
    emissive *= led_profile(cell.x, width.x) * led_profile(cell.y, width.y);
#endif
#ifdef FORWARD
    // decode_albedo's split of the base colour (gbuffer_codec.glsl), without the G-buffer's
    // 8-bit steps.
    vec3 b = max(base.rgb, 0.0);
    vec3 lum = shade(v_world, n, ng, normalize(u_eye - v_world), b * (1.0 - metallic),
                     mix(vec3(0.04), b, metallic), rough, occlusion) + emissive;
    frag_color = finish(lum);
#else
    g_albedo = vec4(sqrt(max(base.rgb, 0.0)), metallic);
    g_normal = encode_normal16(n);
    g_geom = vec4(oct_encode(ng) * 0.5 + 0.5, rough, occlusion);
#ifdef NO_EMISSION
    g_emissive = vec4(0.0);  // most materials: no RGBE encoding (a log2 and an exp2) per pixel
#else
    g_emissive = encode_rgbe(emissive);
#endif
#endif
}
