//! End-to-end tests: serve the built app (`dist/`, built by `trunk build` in `make test`) on
//! 127.0.0.1, drive headless Chromium through chromedriver, visit every route, assert on visible text,
//! exercise the worker round trip, and save a screenshot of each page under `target/screenshots/`.
//!
//! A custom harness (one browser session for every check, run in order) prints libtest's summary
//! line so `make test` can count these tests like the others.

mod browser;
mod checks;
#[path = "../../../../tests/support/model_folders.rs"]
mod model_folders;
mod server;

use std::path::PathBuf;
use std::time::Instant;

/// The sub-path of the hosting check (must match the `--public-url` in `tests/harness/run-all.sh`).
const SUB_PATH: &str = "/courses/nlp/bertlab";

#[tokio::main]
async fn main() {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let dist = root.join("dist");
    if !dist.join("index.html").exists() {
        eprintln!(
            "dist/index.html is missing: build the app first (`make test` runs `trunk build`)."
        );
        std::process::exit(1);
    }
    let server = match server::StaticServer::start(dist) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("cannot start the static server: {e}");
            std::process::exit(1);
        }
    };
    // The same app built for a sub-path (`make test` builds it into target/dist-subpath), on a plain
    // static host.
    let hosted_dir = root.join("target/dist-subpath");
    if !hosted_dir.join("404.html").exists() {
        eprintln!("target/dist-subpath/404.html is missing: build it first (`make test` runs `trunk build --public-url {SUB_PATH}/ --dist target/dist-subpath`).");
        std::process::exit(1);
    }
    let hosted = match server::StaticServer::start_plain(hosted_dir, SUB_PATH) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("cannot start the plain static server: {e}");
            std::process::exit(1);
        }
    };
    let browser = match browser::Browser::launch(true).await {
        Ok(browser) => browser,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let shots = root.join("target/screenshots");
    // Start from an empty folder so no screenshot from an earlier run is mistaken for this one's.
    let _ = std::fs::remove_dir_all(&shots);
    let _ = std::fs::create_dir_all(&shots);
    // libtest's arguments: a filter, and `--skip NAME` (repeatable).
    let (mut filter, mut skip) = (None, Vec::new());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--skip" => skip.extend(args.next()),
            a if !a.starts_with('-') => filter = filter.or(Some(arg)),
            _ => {}
        }
    }
    let ctx = checks::Ctx {
        client: &browser.client,
        server: &server,
        hosted: &hosted,
        shots,
        filter,
        skip,
    };

    let started = Instant::now();
    let mut failed = Vec::new();
    let mut passed = 0;
    let mut filtered_out = 0;
    for (name, result) in checks::run_all(&ctx).await {
        match result {
            None => filtered_out += 1,
            Some(Ok(())) => {
                passed += 1;
                println!("test {name} ... ok");
            }
            Some(Err(e)) => {
                println!("test {name} ... FAILED\n    {e}");
                failed.push(name);
            }
        }
    }
    let shots = ctx.shots.clone();
    browser.close().await;
    let status = if failed.is_empty() { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {status}. {passed} passed; {} failed; 0 ignored; 0 measured; {filtered_out} filtered out; finished in {:.2}s",
        failed.len(),
        started.elapsed().as_secs_f64()
    );
    println!("screenshots: {}", shots.display());
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
