// Gathers each token's word, position and segment rows and their sum, one workgroup per token.
// `parts` holds four [tokens, dim] blocks: word, position, segment (zeros without a segment table)
// and the sum, so the lessons' embedding parts come back from the GPU as they do from the CPU.

struct Params {
    tokens: u32,
    dim: u32,
    has_segments: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
// (token id, position id, segment id) per token
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> word: array<f32>;
@group(0) @binding(3) var<storage, read> position: array<f32>;
@group(0) @binding(4) var<storage, read> segment: array<f32>;
@group(0) @binding(5) var<storage, read_write> parts: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let t = group.x;
    let block = p.tokens * p.dim;
    let id = ids[3u * t];
    let pos = ids[3u * t + 1u];
    let seg = ids[3u * t + 2u];
    for (var c = lane; c < p.dim; c += 64u) {
        let wv = word[id * p.dim + c];
        let pv = position[pos * p.dim + c];
        var sv = 0.0;
        if (p.has_segments != 0u) {
            sv = segment[seg * p.dim + c];
        }
        let o = t * p.dim + c;
        parts[o] = wv;
        parts[block + o] = pv;
        parts[2u * block + o] = sv;
        // The CPU path's order: (word + segment) + position.
        parts[3u * block + o] = (wv + sv) + pv;
    }
}
