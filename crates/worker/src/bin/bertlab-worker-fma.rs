//! The compute worker built with the core's fused multiply-add kernels (feature `relaxed-simd`);
//! the page starts it instead of `bertlab-worker` where the browser validates relaxed SIMD.

fn main() {
    bertlab_worker::main();
}
