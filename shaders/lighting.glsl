// Shared lighting: glTF metallic-roughness BRDF, photometric lights, shadow-map atlas.
// Light units: directional in lux, point and spot in candela (inverse square to lux). A BRDF
// times illuminance gives luminance in nits.
// MAX_LIGHTS and MAX_TILES come from previs.core.scene (the renderer defines them when it
// compiles this), so the shader's arrays and the scene-file limits are one number each.
#if !defined(MAX_LIGHTS) || !defined(MAX_TILES)
#error "compile with MAX_LIGHTS and MAX_TILES defined (Renderer._lighting)"
#endif
const float PI = 3.14159265358979;

// type 0 directional, 1 point, 2 spot. Which lights exist, their types and shadow tiles are
// compiled in (LIGHTS, see shade); these arrays carry what may change every frame. Every value
// read here is a load per pixel block in llvmpipe, so the CPU folds what it can beforehand.
uniform vec4 u_light_pos_type[MAX_LIGHTS];     // xyz position (w unused: the type is compiled in)
uniform vec4 u_light_dir_range[MAX_LIGHTS];    // xyz direction of travel, w 1/range^2 (0 = no range)
uniform vec4 u_light_color[MAX_LIGHTS];        // rgb linear * intensity, w soft size (m)
uniform vec4 u_light_cone[MAX_LIGHTS];         // x cos(beam/2), y cos(field/2), z 1/(x - y), w 4/(1 - x)
uniform mat4 u_tile_atlas_from_world[MAX_TILES];  // world -> (atlas u, v, biased depth) * w
uniform vec4 u_tile_rect[MAX_TILES];           // atlas uv offset xy, scale zw (bounded tiles only)
uniform sampler2DShadow u_shadow_atlas;
uniform vec2 u_atlas_texel;
uniform vec3 u_ambient_up;                     // hemispherical fill (virtual-world captures), nits
uniform vec3 u_ambient_down;
// The LED wall and ceiling as a light (image-based, seen from the stage point): irradiance for
// the diffuse part, prefiltered radiance for reflections on glossy surfaces.
uniform samplerCube u_led_irradiance;          // lux
// The radiance's mip chain as octahedral maps (oct_encode, gbuffer_codec.glsl), level k in layer
// k of a 3D texture (previs.core.ledcheck.radiance_octahedral): one trilinear lookup, where
// llvmpipe samples a cube map with a per-pixel level of detail lane by lane.
uniform sampler3D u_led_radiance;              // nits
uniform float u_led_radiance_levels;           // its mip levels (layers)

vec3 env_brdf_approx(vec3 f0, float rough, float nv) {
    // Karis's analytic fit of the split-sum environment BRDF (no lookup table needed).
    const vec4 c0 = vec4(-1.0, -0.0275, -0.572, 0.022);
    const vec4 c1 = vec4(1.0, 0.0425, 1.04, -0.04);
    vec4 r = rough * c0 + c1;
    float a004 = min(r.x * r.x, exp2(-9.28 * nv)) * r.x + r.y;
    vec2 ab = vec2(-1.04, 1.04) * a004 + r.zw;
    return f0 * ab.x + ab.y;
}

// ``ortho``: the sun's map (no perspective divide). ``bounded``: the map does not cover every
// point the light reaches (the widest spots), so points outside it are lit and the taps are kept
// inside the tile; every other map covers its light's reach with a margin (Renderer).
// ``p``: the surface point already pushed along its normal (light_shadow).
float shadow_tile(int tile, const int ortho, const int bounded, vec3 p) {
    vec4 c = u_tile_atlas_from_world[tile] * vec4(p, 1.0);
    vec3 a = ortho == 1 ? c.xyz : c.xyz / c.w;
    if (bounded == 0) {
        // One bilinear comparison tap (the sampler's 2x2 PCF): a soft 2-texel edge for one fetch.
        return texture(u_shadow_atlas, a);
    }
    vec4 r = u_tile_rect[tile];
    float lit = texture(u_shadow_atlas, vec3(clamp(a.xy, r.xy + u_atlas_texel, r.xy + r.zw - u_atlas_texel), a.z));
    bool outside = c.w <= 0.0 || any(lessThan(a.xy, r.xy)) || any(greaterThan(a.xy, r.xy + r.zw));
    return outside ? 1.0 : lit;
}

float light_shadow(int i, const int type, const int tiles, const int first, const int bounded, vec3 world_pos, vec3 n, vec3 l) {
    if (tiles == 0) return 1.0;
    // Normal offset against acne, larger where the light grazes the surface (at most 2.4 cm;
    // the maps' margins allow for it).
    float cos_nl = clamp(dot(n, l), 0.0, 1.0);
    vec3 p = world_pos + n * (0.02 * sqrt(1.0 - cos_nl * cos_nl) + 0.004);
    if (tiles == 1) return shadow_tile(first, type == 0 ? 1 : 0, bounded, p);
    // Point light: six cube faces in the atlas; pick the one the pushed point falls in (the
    // face of the unpushed point could send the tap past that face's edge).
    vec3 d = p - u_light_pos_type[i].xyz;
    vec3 a = abs(d);
    int face;
    if (a.x >= a.y && a.x >= a.z) face = d.x > 0.0 ? 0 : 1;
    else if (a.y >= a.z) face = d.y > 0.0 ? 2 : 3;
    else face = d.z > 0.0 ? 4 : 5;
    return shadow_tile(first + face, 0, 0, p);
}

float d_ggx(float nh, float a) {
    float a2 = a * a;
    float d = nh * nh * (a2 - 1.0) + 1.0;
    return a2 / (PI * d * d);
}

float v_smith(float nv, float nl, float a) {
    float a2 = a * a;
    float gv = nl * sqrt(nv * nv * (1.0 - a2) + a2);
    float gl = nv * sqrt(nl * nl * (1.0 - a2) + a2);
    return 0.5 / max(gv + gl, 1e-5);
}

// One light's share of the light leaving P towards the eye, added to kd (diffuse, per unit of
// diffuse colour) and ks (specular luminance, nits); see shade_parts. ``type`` (0 directional,
// 1 point, 2 spot), ``tiles`` (shadow-map tiles: 0, 1 or 6), ``first`` (its first tile), ``ranged`` and
// ``bounded`` (see shadow_tile) are literals from the LIGHTS list, so each light compiles to only
// the code it needs (a software rasteriser runs both sides of every branch) and indexes the tile
// matrices with constants, not per-pixel gathers.
void light_term(int i, const int type, const int tiles, const int first, const int ranged, const int bounded,
                vec3 P, vec3 n, vec3 ng, vec3 v, float nv, vec3 f0, float alpha, inout vec3 kd, inout vec3 ks) {
    vec3 l;
    float atten = 1.0;
    if (type == 0) {
        l = -u_light_dir_range[i].xyz;
    } else {
        vec3 d = u_light_pos_type[i].xyz - P;
        float dist2 = max(dot(d, d), 1e-4);
        l = d * inversesqrt(dist2);
        atten = 1.0 / dist2;  // candela -> lux
        if (ranged == 1) {  // compiled in: most lights have no range
            float r2 = dist2 * u_light_dir_range[i].w;
            atten *= clamp(1.0 - r2 * r2, 0.0, 1.0);
        }
        if (type == 2) {
            // Beam angle = 50 % of peak intensity, field angle = 10 % (spec-sheet definitions);
            // the 10 % fades to nothing over 0.05 in the cosine past the field angle.
            vec4 cone = u_light_cone[i];
            float cd = dot(-l, u_light_dir_range[i].xyz);
            float x = clamp((cd - cone.y) * cone.z, 0.0, 1.0);
            float inside = 0.1 + 0.4 * x + 0.5 * smoothstep(0.0, 1.0, (cd - cone.x) * cone.w);
            atten *= cd >= cone.y ? inside : 0.1 * clamp(1.0 - (cone.y - cd) * 20.0, 0.0, 1.0);
        }
    }
    float nl = max(dot(n, l), 0.0);
    float sh = light_shadow(i, type, tiles, first, bounded, P, ng, l);
    vec3 h = normalize(l + v);
    float nh = clamp(dot(n, h), 0.0, 1.0);
    float vh = clamp(dot(v, h), 0.0, 1.0);
    float m = 1.0 - vh, m2 = m * m;  // Schlick's (1 - vh)^5 by multiplies: pow is exp2(log2)
    vec3 F = f0 + (1.0 - f0) * (m2 * m2 * m);
    vec3 e = u_light_color[i].rgb * (max(atten, 0.0) * nl * sh);  // illuminance, lux
    kd += (1.0 - F) * e * (1.0 / PI);
    ks += F * (d_ggx(nh, alpha) * v_smith(nv, nl, alpha)) * e;
}

// The light leaving P towards the eye in two parts: kd, the diffuse share per unit of diffuse
// colour (times the surface's diffuse colour it is luminance), and ks, the specular luminance in
// nits. Split so that the light can be evaluated at half resolution and the surface colour
// applied per pixel (deferred.frag, HALF_LIGHTING). n: shading normal, ng: geometric normal.
void shade_parts(vec3 P, vec3 n, vec3 ng, vec3 v, vec3 f0, float rough, float occlusion, out vec3 kd, out vec3 ks) {
    rough = clamp(rough, 0.045, 1.0);
    float alpha = rough * rough;
    float nv = clamp(abs(dot(n, v)), 1e-4, 1.0);
    kd = vec3(0.0);
    ks = vec3(0.0);
#ifdef LIGHTS
#define L(i, type, tiles, first, ranged, bounded) light_term(i, type, tiles, first, ranged, bounded, P, n, ng, v, nv, f0, alpha, kd, ks);
    LIGHTS
#undef L
#endif
#ifdef LED_LIGHT
    kd += texture(u_led_irradiance, n).rgb * (occlusion / PI);
    vec3 r = reflect(-v, n);
    vec3 rl = vec3(oct_encode(r) * 0.5 + 0.5, (rough * (u_led_radiance_levels - 1.0) + 0.5) / u_led_radiance_levels);
    vec3 reflected = textureLod(u_led_radiance, rl, 0.0).rgb;
    ks += reflected * env_brdf_approx(f0, rough, nv) * occlusion;
#endif
    // The hemispherical fill (virtual-world captures), nits per unit of (diffuse colour + f0 / 2).
    vec3 amb = mix(u_ambient_down, u_ambient_up, n.y * 0.5 + 0.5) * occlusion;
    kd += amb;
    ks += f0 * 0.5 * amb;
}

// Luminance (nits) leaving P towards the eye. n: shading normal, ng: geometric normal;
// diffuse_color and f0 from the base colour and metallic (decode_albedo, gbuffer_codec.glsl).
vec3 shade(vec3 P, vec3 n, vec3 ng, vec3 v, vec3 diffuse_color, vec3 f0, float rough, float occlusion) {
    vec3 kd, ks;
    shade_parts(P, n, ng, v, f0, rough, occlusion, kd, ks);
    return diffuse_color * kd + ks;
}
