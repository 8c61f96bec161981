// G-buffer packing into RGBA8 targets (gbuffer.frag writes, deferred.frag reads).

// Octahedral unit-vector encoding (Cigolle et al. 2014): the sphere folded onto [-1, 1]^2.
vec2 oct_encode(vec3 n) {
    n /= abs(n.x) + abs(n.y) + abs(n.z);
    vec2 e = n.xy;
    if (n.z < 0.0) e = (1.0 - abs(n.yx)) * vec2(n.x >= 0.0 ? 1.0 : -1.0, n.y >= 0.0 ? 1.0 : -1.0);
    return e;
}

vec3 oct_decode(vec2 e) {
    vec3 n = vec3(e, 1.0 - abs(e.x) - abs(e.y));
    if (n.z < 0.0) n.xy = (1.0 - abs(n.yx)) * vec2(n.x >= 0.0 ? 1.0 : -1.0, n.y >= 0.0 ? 1.0 : -1.0);
    return normalize(n);
}

// The shading normal at 16 bits a component (high and low bytes): under 0.01 degrees of error,
// so glossy highlights keep their shape.
vec4 encode_normal16(vec3 n) {
    vec2 u = round(clamp(oct_encode(n) * 0.5 + 0.5, 0.0, 1.0) * 65535.0);
    vec2 hi = floor(u / 256.0);
    return vec4(hi.x, u.x - 256.0 * hi.x, hi.y, u.y - 256.0 * hi.y) / 255.0;
}

vec3 decode_normal16(vec4 t) {
    vec2 u = (round(t.xz * 255.0) * 256.0 + round(t.yw * 255.0)) / 65535.0;
    return oct_decode(u * 2.0 - 1.0);
}

// RGBE (Ward's shared exponent): 8-bit mantissas and one exponent byte for 2^-64 .. 2^63,
// about 0.4 % steps at the brightest channel: wide enough for LED walls and practicals in nits.
vec4 encode_rgbe(vec3 c) {
    c = max(c, 0.0);
    float m = max(max(c.r, c.g), c.b);
    if (m < 1e-19) return vec4(0.0);
    float e = clamp(floor(log2(m)) + 1.0, -63.0, 64.0);  // m / 2^e in [0.5, 1)
    return vec4(min(c * exp2(-e), 1.0), (e + 64.0) / 255.0);
}

vec3 decode_rgbe(vec4 t) {
    return t.a > 0.0 ? t.rgb * exp2(round(t.a * 255.0) - 64.0) : vec3(0.0);
}

// The albedo target (sqrt of the linear base colour, metallic) as glTF metallic-roughness colours:
// the diffuse colour and the reflectance at normal incidence.
void decode_albedo(vec4 t, out vec3 diffuse_color, out vec3 f0) {
    vec3 base = t.rgb * t.rgb;
    diffuse_color = base * (1.0 - t.a);
    f0 = mix(vec3(0.04), base, t.a);
}
