// Shared by the depth-of-field passes (dof_tiles.frag, dof.frag): depth in metres and the thin
// lens's circle of confusion in pixels.
uniform vec2 u_near_far;         // the projection's near and far planes, m
uniform vec4 u_lens;             // focal length mm, f-number, focus distance mm, pixels per mm
uniform float u_max_radius_px;   // no blur is larger

float metres(float window_depth) {
    float n = u_near_far.x, f = u_near_far.y;
    return window_depth >= 1.0 ? 1e9 : n * f / (f - window_depth * (f - n));
}

// Signed blur radius in pixels: negative in front of the focus distance. The circle of
// confusion on the sensor is c = f^2 / (N (s - f)) * |d - s| / d.
float coc_radius_px(float depth_m) {
    float f = u_lens.x, N = u_lens.y, s = u_lens.z;
    float d = depth_m * 1000.0;
    float c_mm = f * f / (N * max(s - f, 1e-3)) * abs(d - s) / d;
    return sign(d - s) * min(0.5 * c_mm * u_lens.w, u_max_radius_px);
}
