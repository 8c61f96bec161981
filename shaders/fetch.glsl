// The texel at integer coordinates p, as texelFetch(t, p, 0) returns it, read through the sampler
// instead: llvmpipe's nearest-filtered sampling path is faster than its texelFetch (the resolve
// pass of 3A a quarter faster; bench/bench_pass.py). The texture must be nearest-filtered,
// without depth comparison, and p inside it (outside, its wrap mode decides); texel_uv is the
// size of one texel in uv.
vec4 fetch(sampler2D t, ivec2 p, vec2 texel_uv) {
    return textureLod(t, (vec2(p) + 0.5) * texel_uv, 0.0);
}
