#version 330
uniform mat4 u_clip_from_world;
uniform mat4 u_view_from_world;
uniform vec4 u_viewport;  // the picture in window pixels: x, y (GL, from the bottom), w, h
in vec3 in_pos;
in vec3 in_col;
out vec3 v_col;
out float v_depth_m;
flat out vec2 v_anchor_px;
void main() {
    v_col = in_col;
    v_depth_m = -(u_view_from_world * vec4(in_pos, 1.0)).z;  // the picture's depth_m convention
    vec4 c = u_clip_from_world * vec4(in_pos, 1.0);
    gl_Position = c;
    // One end of the segment in window pixels (the provoking vertex's): dashes count from it.
    v_anchor_px = u_viewport.xy + (c.xy / max(abs(c.w), 1e-6) * 0.5 + 0.5) * u_viewport.zw;
}
