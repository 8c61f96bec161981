#version 330
// Lines behind what the picture shows are drawn dashed and faint (the hidden-line convention of
// modelling tools), so the rig and the frustum never seem to float in front of the set.
// HIDDEN_ALPHA is defined by the window (HIDDEN_LINE_ALPHA in previs/view/app.py).
uniform sampler2D u_depth;  // the picture's depth: metres along the view axis, rows top-down
uniform bool u_depth_test;
uniform vec4 u_viewport;
in vec3 v_col;
in float v_depth_m;
flat in vec2 v_anchor_px;
out vec4 f_color;
void main() {
    bool hidden = false;
    if (u_depth_test) {
        ivec2 size = textureSize(u_depth, 0);
        vec2 uv = (gl_FragCoord.xy - u_viewport.xy) / u_viewport.zw;
        ivec2 p = ivec2(uv.x * size.x, (1.0 - uv.y) * size.y);
        // The farthest of the 3x3 texels around: a line on a surface, or at a silhouette seen
        // at a lower render width, stays visible.
        float scene_m = 0.0;
        for (int dy = -1; dy <= 1; ++dy)
            for (int dx = -1; dx <= 1; ++dx)
                scene_m = max(scene_m, texelFetch(u_depth, clamp(p + ivec2(dx, dy), ivec2(0), size - 1), 0).r);
        hidden = v_depth_m > scene_m * 1.01 + 0.02;
    }
    if (hidden) {
        if (mod(distance(gl_FragCoord.xy, v_anchor_px), 8.0) >= 4.0)
            discard;
        f_color = vec4(v_col, HIDDEN_ALPHA);
    } else {
        f_color = vec4(v_col, 1.0);
    }
}
