//! The compute worker's entry point (wasm32, loaded in a Web Worker).

fn main() {
    #[cfg(target_arch = "wasm32")]
    bertlab_worker::runtime::start();
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("bertlab-worker runs inside the browser lab: use `make serve`.");
}
