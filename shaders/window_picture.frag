#version 330
// The camera view's delivery frame lines, matte and safe areas are drawn here, at the window's
// resolution, not into the render (the renderer's post.frag does that for storyboard panels): at
// a draft render width its lines would be scaled up into soft bars several pixels thick. The
// rectangles are post.frag's, snapped to whole window pixels so a line is always 2 px (the frame)
// or 1 px (safe areas) wide and at full colour.
uniform sampler2D u_image;
uniform vec4 u_viewport;     // the picture in window pixels: x, y (GL, from the bottom), w, h
uniform ivec4 u_frame_px;    // delivery area in picture pixels, GL rows: x0, y0, x1, y1 (end
                             // exclusive); x1 <= x0: no frame lines
uniform ivec4 u_action_px;   // safe areas likewise (x1 <= x0: off)
uniform ivec4 u_title_px;
uniform float u_matte_opacity;
uniform vec3 u_line_color;
#ifdef FALSE_COLOUR
// False colour (the window's X key): each picture pixel's exposure in stops over (+) or under
// mid-grey, banded into a colour scale (previs.view.drawing.FALSE_COLOUR, shown as the panel's
// legend). The picture is display sRGB (the film curve of display.glsl after the exposure), so
// scene-linear light is got back by decoding sRGB and inverting the curve per channel; a pixel
// the curve clipped to white reads as its ceiling (~ +5.6 stops). Mid-grey is 0.18 after the
// exposure. Under an OCIO view the inverse is the built-in curve's, so it is approximate there.
uniform float u_fc_edges[FC_BANDS - 1];  // stops, rising: band i is below edge i
uniform vec3 u_fc_colours[FC_BANDS];
vec3 srgb_to_linear(vec3 c) {
    return mix(c / 12.92, pow((c + 0.055) / 1.055, vec3(2.4)), step(0.04045, c));
}
// The inverse of display.glsl's filmic(): y (a x² + b x) / (c x² + d x + e) solved for x,
// then the 0.8 undone.
vec3 filmic_inverse(vec3 y) {
    y = clamp(y, 0.0, 0.9999);
    vec3 A = 2.51 - 2.43 * y;
    vec3 B = 0.03 - 0.59 * y;
    vec3 x = (-B + sqrt(B * B + 4.0 * A * 0.14 * y)) / (2.0 * A);
    return x / 0.8;
}
vec3 false_colour(vec3 display_srgb) {
    vec3 lin = filmic_inverse(srgb_to_linear(display_srgb));
    float lum = dot(lin, vec3(0.2126, 0.7152, 0.0722));
    float stops = log2(max(lum, 1e-6) / 0.18);
    int band = 0;
    for (int i = 0; i < FC_BANDS - 1; ++i)
        if (stops >= u_fc_edges[i]) band = i + 1;
    return u_fc_colours[band];
}
#endif
in vec2 v_uv;
out vec4 f_color;
bool inside(ivec2 p, ivec4 r) { return all(greaterThanEqual(p, r.xy)) && all(lessThan(p, r.zw)); }
// The pixels within ``outer`` px outside and ``inner`` px inside the rectangle's edges.
float ring(ivec2 p, ivec4 r, int outer, int inner) {
    return (inside(p, r + ivec4(-outer, -outer, outer, outer))
            && !inside(p, r + ivec4(inner, inner, -inner, -inner))) ? 1.0 : 0.0;
}
void main() {
    vec3 c = texture(u_image, v_uv).rgb;
#ifdef FALSE_COLOUR
    c = false_colour(c);
#endif
    if (u_frame_px.z > u_frame_px.x) {
        ivec2 p = ivec2(floor(gl_FragCoord.xy - u_viewport.xy));
        if (!inside(p, u_frame_px)) c *= 1.0 - u_matte_opacity;
        c = mix(c, u_line_color, ring(p, u_frame_px, 1, 1));
        if (u_action_px.z > u_action_px.x)
            c = mix(c, u_line_color, 0.6 * ring(p, u_action_px, 0, 1));
        if (u_title_px.z > u_title_px.x)
            c = mix(c, u_line_color, 0.4 * ring(p, u_title_px, 0, 1));
    }
    f_color = vec4(c, 1.0);
}
