// An analytic daylight sky in wall-signal units (about 1 = the brightest the sky gets away
// from the sun). Not a physical sky model: a plausible gradient, haze and sun for previs.
uniform vec3 u_sun_dir;        // towards the sun
uniform vec3 u_sun_color;      // linear, luminance 1
uniform float u_turbidity;     // 1 clear .. 10 hazy

vec3 sky_signal(vec3 d) {
    float up = clamp(d.y, 0.0, 1.0);
    float haze = clamp((u_turbidity - 1.0) / 9.0, 0.0, 1.0);
    float sun_el = clamp(u_sun_dir.y, -0.1, 1.0);
    vec3 zenith = mix(vec3(0.16, 0.34, 0.85), vec3(0.45, 0.55, 0.75), haze) * (0.35 + 0.65 * smoothstep(-0.1, 0.5, sun_el));
    vec3 horizon = mix(vec3(0.75, 0.82, 0.92), vec3(0.9, 0.88, 0.85), haze) * (0.4 + 0.6 * smoothstep(-0.1, 0.3, sun_el));
    horizon = mix(horizon, horizon * u_sun_color * 1.2, 1.0 - smoothstep(0.0, 0.4, sun_el));  // low sun warms the horizon
    vec3 c = mix(zenith, horizon, pow(1.0 - up, 3.0 + 3.0 * (1.0 - haze)));
    float cs = max(dot(d, u_sun_dir), 0.0);
    // cs^6 and cs^60 by multiplies (pow is exp2(log2) per call).
    float c2 = cs * cs, c4 = c2 * c2, c6 = c4 * c2, c12 = c6 * c6, c24 = c12 * c12;
    c += u_sun_color * (0.25 * c6 + (0.6 + haze) * (c24 * c24 * c12));
    if (cs > 0.99996) c += u_sun_color * 30.0;  // the disc: 0.5 deg across
    if (d.y < 0.0) c = mix(c, vec3(0.08, 0.07, 0.06), smoothstep(0.0, 0.05, -d.y));  // below the horizon
    return c;
}
