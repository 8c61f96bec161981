#version 330 core
// glTF metallic-roughness shading in linear light. Output is scene-referred luminance (nits)
// times the camera's exposure scale; the post pass tone-maps and encodes sRGB.
#define MAX_LIGHTS 16
#define MAX_TILES 32
const float PI = 3.14159265358979;

in vec3 v_world;
in vec3 v_normal;
in vec2 v_uv;
in vec4 v_color;

uniform vec3 u_eye;
uniform float u_exposure;

uniform vec4 u_base_color;
uniform float u_metallic;
uniform float u_roughness;
uniform vec3 u_emissive;        // nits
uniform float u_alpha_cutoff;   // < 0: opaque
uniform int u_has_base_tex;
uniform int u_has_mr_tex;
uniform int u_has_normal_tex;
uniform int u_has_emissive_tex;
uniform int u_has_occlusion_tex;
uniform sampler2D u_base_tex;
uniform sampler2D u_mr_tex;
uniform sampler2D u_normal_tex;
uniform sampler2D u_emissive_tex;
uniform sampler2D u_occlusion_tex;

// Lights: type 0 directional (lux), 1 point (cd), 2 spot (cd).
uniform int u_light_count;
uniform vec4 u_light_pos_type[MAX_LIGHTS];     // xyz position, w type
uniform vec4 u_light_dir_range[MAX_LIGHTS];    // xyz direction of travel, w range (0 = none)
uniform vec4 u_light_color[MAX_LIGHTS];        // rgb linear * intensity, w soft size (m)
uniform vec4 u_light_cone[MAX_LIGHTS];         // x cos(beam/2), y cos(field/2), z first tile, w tile count
uniform mat4 u_tile_clip_from_world[MAX_TILES];
uniform vec4 u_tile_rect[MAX_TILES];           // atlas uv offset xy, scale zw
uniform sampler2DShadow u_shadow_atlas;
uniform vec2 u_atlas_texel;

// Ambient fill from the stage (wall and sky), hemispherical, in nits.
uniform vec3 u_ambient_up;
uniform vec3 u_ambient_down;

out vec4 frag_color;

float shadow_tile(int tile, vec3 world_pos, vec3 n, vec3 l) {
    // Normal offset against acne, scaled by how grazing the light is.
    float cos_nl = clamp(dot(n, l), 0.0, 1.0);
    vec3 p = world_pos + n * (0.02 * sqrt(1.0 - cos_nl * cos_nl) + 0.004);
    vec4 c = u_tile_clip_from_world[tile] * vec4(p, 1.0);
    vec3 ndc = c.xyz / c.w;
    if (c.w <= 0.0 || any(greaterThan(abs(ndc.xy), vec2(1.0)))) return 1.0;
    vec3 uvz = ndc * 0.5 + 0.5;
    vec4 r = u_tile_rect[tile];
    vec2 uv = r.xy + uvz.xy * r.zw;
    vec2 lo = r.xy + u_atlas_texel, hi = r.xy + r.zw - u_atlas_texel;
    float z = uvz.z - 0.0005;
    // Four bilinear comparison taps half a texel apart: a smooth 3x3-texel filter for 4 fetches.
    vec2 o = 0.5 * u_atlas_texel;
    float s = texture(u_shadow_atlas, vec3(clamp(uv + vec2(-o.x, -o.y), lo, hi), z))
            + texture(u_shadow_atlas, vec3(clamp(uv + vec2( o.x, -o.y), lo, hi), z))
            + texture(u_shadow_atlas, vec3(clamp(uv + vec2(-o.x,  o.y), lo, hi), z))
            + texture(u_shadow_atlas, vec3(clamp(uv + vec2( o.x,  o.y), lo, hi), z));
    return s * 0.25;
}

float light_shadow(int i, vec3 world_pos, vec3 n, vec3 l) {
    int first = int(u_light_cone[i].z);
    int count = int(u_light_cone[i].w);
    if (count == 0) return 1.0;
    if (count == 1) return shadow_tile(first, world_pos, n, l);
    // Point light: six cube faces, pick the one the direction falls in.
    vec3 d = world_pos - u_light_pos_type[i].xyz;
    vec3 a = abs(d);
    int face;
    if (a.x >= a.y && a.x >= a.z) face = d.x > 0.0 ? 0 : 1;
    else if (a.y >= a.z) face = d.y > 0.0 ? 2 : 3;
    else face = d.z > 0.0 ? 4 : 5;
    return shadow_tile(first + face, world_pos, n, l);
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
    if (u_has_base_tex == 1) {
        vec4 t = texture(u_base_tex, v_uv);
        base *= vec4(srgb_to_linear(t.rgb), t.a);
    }
#ifdef ALPHA_MASK
    // Only the masked variant may discard: a shader that can discard loses early depth testing.
    if (base.a < u_alpha_cutoff) discard;
#endif

    float metallic = u_metallic, rough = u_roughness;
    if (u_has_mr_tex == 1) {
        vec4 mr = texture(u_mr_tex, v_uv);
        rough *= mr.g;
        metallic *= mr.b;
    }
    rough = clamp(rough, 0.045, 1.0);
    float alpha = rough * rough;

    vec3 v = normalize(u_eye - v_world);
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;  // double-sided and open meshes
    if (u_has_normal_tex == 1) {
        vec3 tn = texture(u_normal_tex, v_uv).xyz * 2.0 - 1.0;
        n = perturb_normal(n, v_world, v_uv, tn);
    }
    float nv = clamp(abs(dot(n, v)), 1e-4, 1.0);

    vec3 diffuse_color = base.rgb * (1.0 - metallic);
    vec3 f0 = mix(vec3(0.04), base.rgb, metallic);

    vec3 lum = vec3(0.0);
    for (int i = 0; i < u_light_count; ++i) {
        int type = int(u_light_pos_type[i].w);
        vec3 l;
        float atten = 1.0;
        if (type == 0) {
            l = -u_light_dir_range[i].xyz;
        } else {
            vec3 d = u_light_pos_type[i].xyz - v_world;
            float dist2 = max(dot(d, d), 1e-4);
            l = d * inversesqrt(dist2);
            atten = 1.0 / dist2;  // candela -> lux: inverse square
            float range = u_light_dir_range[i].w;
            if (range > 0.0) {
                float r = sqrt(dist2) / range;
                atten *= clamp(1.0 - r * r * r * r, 0.0, 1.0);
            }
            if (type == 2) {
                float cd = dot(-l, u_light_dir_range[i].xyz);
                // beam angle = 50 % intensity, field angle = 10 % (the spec-sheet definitions)
                float x = clamp((cd - u_light_cone[i].y) / max(u_light_cone[i].x - u_light_cone[i].y, 1e-4), 0.0, 1.0);
                atten *= 0.1 + 0.9 * smoothstep(0.0, 1.0, x);
                if (cd < u_light_cone[i].y) atten *= clamp(1.0 - (u_light_cone[i].y - cd) * 20.0, 0.0, 1.0);
            }
        }
        float nl = dot(n, l);
        if (nl <= 0.0 || atten <= 0.0) continue;
        float sh = light_shadow(i, v_world, normalize(v_normal) * (gl_FrontFacing ? 1.0 : -1.0), l);
        if (sh <= 0.0) continue;
        vec3 h = normalize(l + v);
        float nh = clamp(dot(n, h), 0.0, 1.0);
        float vh = clamp(dot(v, h), 0.0, 1.0);
        vec3 F = f0 + (1.0 - f0) * pow(1.0 - vh, 5.0);
        vec3 spec = F * (d_ggx(nh, alpha) * v_smith(nv, nl, alpha));
        vec3 diff = (1.0 - F) * diffuse_color / PI;
        lum += (diff + spec) * u_light_color[i].rgb * (atten * nl * sh);  // lux * BRDF = nits
    }

    float occlusion = 1.0;
    if (u_has_occlusion_tex == 1) occlusion = texture(u_occlusion_tex, v_uv).r;
    vec3 amb = mix(u_ambient_down, u_ambient_up, n.y * 0.5 + 0.5);
    lum += (diffuse_color + f0 * 0.5) * amb * occlusion;

    vec3 emissive = u_emissive;
    if (u_has_emissive_tex == 1) emissive *= srgb_to_linear(texture(u_emissive_tex, v_uv).rgb);
    lum += emissive;

    frag_color = vec4(lum * u_exposure, 1.0);
}
