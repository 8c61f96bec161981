// Scene-referred linear light to display values.
vec3 filmic(vec3 x) {
    // Narkowicz's fit of the ACES film curve; the 0.8 keeps mid-grey 0.18 near 0.18 after it.
    x *= 0.8;
    return clamp((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), 0.0, 1.0);
}

vec3 linear_to_srgb(vec3 c) {
    c = clamp(c, 0.0, 1.0);
    return mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(0.0031308, c));
}

// Light (nits) to what the target stores: times the exposure; with DISPLAY the film curve, and the
// sRGB encoding unless the target does it on write (SRGB_TARGET); without DISPLAY linear light.
uniform float u_exposure;
vec4 finish(vec3 lum) {
    vec3 c = lum * u_exposure;
#if defined(DISPLAY) && defined(SRGB_TARGET)
    c = filmic(c);  // the sRGB framebuffer encodes on write
#elif defined(DISPLAY)
    c = linear_to_srgb(filmic(c));
#endif
    return vec4(c, 1.0);
}
