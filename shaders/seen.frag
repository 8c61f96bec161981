#version 330 core
// 1 where this wall point is in this camera's frame and nothing of the set (the depth drawn so
// far) stands in front of it at any of nine taps u_reach_px apart; discarded elsewhere, so a
// hidden wall surface never clears what a seen one marked.
in vec3 v_world;
uniform mat4 u_clip_from_world;  // this camera
uniform sampler2D u_depth;       // its depth so far: the set without the wall
uniform float u_reach_px;
out vec4 seen;
void main() {
    vec4 c = u_clip_from_world * vec4(v_world, 1.0);
    if (c.w <= 0.0) discard;
    vec3 ndc = c.xyz / c.w;
    ivec2 size = textureSize(u_depth, 0);
    vec2 px = (ndc.xy * 0.5 + 0.5) * vec2(size);
    if (any(lessThan(px, vec2(-u_reach_px))) || any(greaterThan(px, vec2(size) + u_reach_px))) discard;
    float z = ndc.z * 0.5 + 0.5;
    float behind = 0.0;  // the deepest of the taps
    for (int i = -1; i <= 1; ++i) {
        for (int j = -1; j <= 1; ++j) {
            ivec2 p = clamp(ivec2(px + vec2(i, j) * u_reach_px), ivec2(0), size - 1);
            behind = max(behind, texelFetch(u_depth, p, 0).r);
        }
    }
    if (behind < z - 1e-6) discard;
    seen = vec4(1.0);
}
