// Inverted dropout from a counter-based hash: element i of site `stream` is kept when
// hash(seed, stream, i) >= threshold (p · 2³², the CPU's rule) and scaled by 1/(1 − p). Nothing is
// stored: the backward recomputes the same mask from the same seed, site and index. The seed (two
// u32 words of the step's u64) is a storage buffer the host rewrites every step, so the recorded
// launches stay valid.

struct Params {
    len: u32,
    src_offset: u32,
    dst_offset: u32,
    stream: u32,
    threshold: u32,
    scale: f32,
    _a: u32,
    _b: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> seed: array<u32>;

// Chris Wellons' lowbias32: a full-avalanche 32-bit integer hash.
fn mix(v: u32) -> u32 {
    var h = v;
    h ^= h >> 16u;
    h *= 0x7feb352du;
    h ^= h >> 15u;
    h *= 0x846ca68bu;
    h ^= h >> 16u;
    return h;
}

fn factor(i: u32) -> f32 {
    let key = mix(seed[0] ^ mix(seed[1] ^ mix(p.stream * 0x9e3779b9u + 0x632be5abu)));
    let r = mix(mix(i ^ key) + key);
    return select(p.scale, 0.0, r < p.threshold);
}
