//! Headless Debian Chromium driven through chromedriver, with the flags that work on this machine.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: PathBuf,
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Browser {
    /// `webgpu`: expose Chromium's WebGPU (SwiftShader here, `--enable-unsafe-webgpu`); without it
    /// headless Chromium on Linux offers no adapter, as a browser without WebGPU would.
    pub async fn launch(webgpu: bool) -> Result<Browser, String> {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port().map_err(|e| e.to_string())?;
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("cannot start {chromedriver}: {e} (make test installs chromium-driver)")
            })?;
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                return Err("chromedriver did not start listening within 30 s".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile =
            std::env::temp_dir().join(format!("bertlab-e2e-profile-{}", std::process::id()));
        let profile = profile.with_extension(if webgpu { "webgpu" } else { "no-webgpu" });
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--window-size=1280,900".into(),
            format!("--user-data-dir={}", profile.display()),
        ];
        if webgpu {
            args.push("--enable-unsafe-webgpu".into());
        }
        let capabilities = json!({
            "goog:chromeOptions": { "binary": chromium, "args": args }
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            return Err("capabilities must be a JSON object".into());
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .map_err(|e| format!("cannot open a Chromium session: {e}"))?;
        Ok(Browser {
            client,
            driver,
            _profile: profile,
        })
    }

    pub async fn close(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self._profile);
    }
}
