#version 330 core
// Scene-referred linear light -> display: a filmic shoulder, sRGB encoding, then the
// delivery frame lines, matte and safe areas (drawn here so they cost one pass).
in vec2 v_uv;
uniform sampler2D u_hdr;
uniform int u_tonemap;          // 0: clamp, 1: filmic
uniform vec4 u_frame_rect;      // delivery area in uv: x0, y0, x1, y1 (x1 < x0: none)
uniform float u_matte_opacity;
uniform vec3 u_line_color;
uniform vec2 u_px;              // one pixel in uv
uniform vec2 u_safe;            // action, title safe as fractions of the delivery area (0: off)
out vec4 frag_color;

vec3 filmic(vec3 x) {
    // Narkowicz's ACES fit, scaled so mid-grey 0.18 stays near 0.18 after the curve.
    x *= 0.8;
    return clamp((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), 0.0, 1.0);
}

vec3 linear_to_srgb(vec3 c) {
    c = clamp(c, 0.0, 1.0);
    return mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(0.0031308, c));
}

float rect_line(vec2 uv, vec4 r, float width_px) {
    vec2 d0 = (uv - r.xy) / u_px, d1 = (r.zw - uv) / u_px;
    bool inside = all(greaterThanEqual(d0, vec2(-width_px))) && all(greaterThanEqual(d1, vec2(-width_px)));
    float edge = min(min(abs(d0.x), abs(d1.x)), min(abs(d0.y), abs(d1.y)));
    return (inside && edge < width_px) ? 1.0 : 0.0;
}

void main() {
    vec3 c = texture(u_hdr, v_uv).rgb;
    c = u_tonemap == 1 ? filmic(c) : clamp(c, 0.0, 1.0);
    c = linear_to_srgb(c);
    if (u_frame_rect.z > u_frame_rect.x) {
        bool outside = any(lessThan(v_uv, u_frame_rect.xy)) || any(greaterThan(v_uv, u_frame_rect.zw));
        if (outside) c *= 1.0 - u_matte_opacity;
        c = mix(c, u_line_color, rect_line(v_uv, u_frame_rect, 1.5));
        vec2 ctr = (u_frame_rect.xy + u_frame_rect.zw) * 0.5, half_size = (u_frame_rect.zw - u_frame_rect.xy) * 0.5;
        if (u_safe.x > 0.0) {
            vec4 r = vec4(ctr - half_size * u_safe.x, ctr + half_size * u_safe.x);
            c = mix(c, u_line_color, 0.6 * rect_line(v_uv, r, 1.0));
        }
        if (u_safe.y > 0.0) {
            vec4 r = vec4(ctr - half_size * u_safe.y, ctr + half_size * u_safe.y);
            c = mix(c, u_line_color, 0.4 * rect_line(v_uv, r, 1.0));
        }
    }
    frag_color = vec4(c, 1.0);
}
