//! The compute worker's entry point (wasm32, loaded in a Web Worker).

fn main() {
    bertlab_worker::main();
}
