//! The page's entry point (wasm32). Natively there is nothing to run: the app needs a browser.

fn main() {
    #[cfg(target_arch = "wasm32")]
    bertlab_app::mount();
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("bertlab-app runs in a browser: use `make serve`.");
}
