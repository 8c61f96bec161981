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
