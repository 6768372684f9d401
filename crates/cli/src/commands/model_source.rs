//! `--model PATH|URL`: a model folder on disk, or the URL of a Hugging Face model folder (a static
//! host's folder, or the hub's `https://huggingface.co/ORG/NAME/resolve/main/`), downloaded once
//! into a cache folder.

use bertlab_protocol::model_key::url_key;
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// What `--model` names.
#[derive(Clone, Debug)]
pub enum ModelSource {
    Folder(PathBuf),
    Url(String),
}

// An `OsString` rather than a `String` so folder paths that are not UTF-8 keep working.
impl From<OsString> for ModelSource {
    fn from(arg: OsString) -> ModelSource {
        match arg.to_str() {
            Some(s) if is_url(s) => ModelSource::Url(s.to_string()),
            _ => ModelSource::Folder(arg.into()),
        }
    }
}

fn is_url(s: &str) -> bool {
    ["http://", "https://"].iter().any(|scheme| {
        s.get(..scheme.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(scheme))
    })
}

impl ModelSource {
    /// The folder to load: the path as given, or the URL's folder in the download cache.
    pub fn local_folder(self) -> Result<PathBuf> {
        match self {
            ModelSource::Folder(dir) => Ok(dir),
            ModelSource::Url(url) => download(&url),
        }
    }
}

/// Written after every file is in, so its presence alone lets a later run skip the network
/// (the optional files that were 404 are not asked for again). It holds the URL, for people.
const COMPLETE: &str = "bertlab-source-url.txt";
/// Network errors while a file comes in are retried this many times, resuming each time.
const RETRIES: u32 = 3;

fn download(url: &str) -> Result<PathBuf> {
    if url.contains(['?', '#']) {
        bail!("{url}: give the model folder's URL without a query (?…) or fragment (#…)");
    }
    // The lab's own reading of an address: a file's URL means its folder, a hub repository page
    // means its `resolve/main/` files; the result ends with `/`.
    let base = url_key(url).map_err(anyhow::Error::msg)?;
    let dir = cache_root()?.join(folder_name(&base));
    if dir.join(COMPLETE).is_file() {
        eprintln!("{base}: using the cached copy in {}", dir.display());
        return Ok(dir);
    }
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating the download cache folder {}", dir.display()))?;
    let fetched = fetch_folder(&base, &dir);
    if fetched.is_err() {
        // A typo'd URL leaves no trace; a folder holding some files or a `.part` stays, to resume.
        let _ = std::fs::remove_dir(&dir);
    }
    fetched.map(|()| dir)
}

fn fetch_folder(base: &str, dir: &Path) -> Result<()> {
    let fetcher = Fetcher {
        agent: ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(30))
            // A stalled transfer fails (and is retried) rather than hanging forever.
            .timeout_read(Duration::from_secs(60))
            .build(),
        base,
        dir,
    };
    if !fetcher.fetch("config.json")? {
        bail!(
            "{base}config.json: not found (HTTP 404); is {base} a Hugging Face model folder? \
             (on the hub its files are under https://huggingface.co/ORG/NAME/resolve/main/)"
        );
    }
    if !fetcher.fetch("model.safetensors")? {
        if fetcher.exists("pytorch_model.bin")? {
            bail!(
                "{base}model.safetensors: not found (HTTP 404); the folder only has PyTorch weights \
                 (pytorch_model.bin), which the lab cannot read. Convert them to safetensors with \
                 Python: python -c \"from transformers import AutoModel; \
                 AutoModel.from_pretrained('DIR').save_pretrained('DIR', safe_serialization=True)\" \
                 (DIR: the model's hub name or a local copy), then give the converted folder to --model"
            );
        }
        bail!("{base}model.safetensors: not found (HTTP 404); the lab needs the weights as model.safetensors");
    }
    if !fetcher.fetch("tokenizer.json")? {
        // Older folders describe a WordPiece tokenizer by its vocabulary and settings instead.
        if !fetcher.fetch("vocab.txt")? {
            bail!("{base}: neither tokenizer.json nor vocab.txt was found (HTTP 404); the lab needs one of them");
        }
        fetcher.fetch("tokenizer_config.json")?;
    }
    std::fs::write(dir.join(COMPLETE), format!("{base}\n"))
        .with_context(|| format!("writing {}", dir.join(COMPLETE).display()))
}

/// `$BERTLAB_CACHE`, else `$XDG_CACHE_HOME/bertlab/models`, else `~/.cache/bertlab/models`.
fn cache_root() -> Result<PathBuf> {
    let var = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var("BERTLAB_CACHE") {
        return Ok(dir);
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return Ok(dir.join("bertlab").join("models"));
    }
    if let Some(home) = var("HOME") {
        return Ok(home.join(".cache").join("bertlab").join("models"));
    }
    bail!("no folder to download models into: set BERTLAB_CACHE to one")
}

/// A readable slug of the URL plus a hash of all of it: the slug alone is cut short and folds
/// punctuation, so two URLs could share it.
fn folder_name(base: &str) -> String {
    let rest = base.split_once("://").map_or(base, |(_, rest)| rest);
    let mut slug = String::new();
    for c in rest.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            c
        } else {
            '-'
        };
        if !(c == '-' && (slug.is_empty() || slug.ends_with('-'))) {
            slug.push(c);
        }
        if slug.len() == 64 {
            break;
        }
    }
    // FNV-1a: stable across Rust releases, unlike std's hasher, so the cache survives upgrades.
    let hash = base.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{}-{hash:016x}", slug.trim_end_matches('-'))
}

struct Fetcher<'a> {
    agent: ureq::Agent,
    base: &'a str,
    dir: &'a Path,
}

/// Why one try at a file stopped short.
enum Failure {
    /// The connection broke; another try resumes from what is in the `.part` file.
    Network(String),
    /// Trying again would not help (an HTTP error status, a bad URL, a full disk).
    Fatal(anyhow::Error),
}

impl Fetcher<'_> {
    /// Brings `name` into the cache folder unless it is there already; false when the server has
    /// no such file (HTTP 404).
    fn fetch(&self, name: &str) -> Result<bool> {
        let dest = self.dir.join(name);
        if dest.is_file() {
            return Ok(true);
        }
        // Written under another name until complete, so a broken download is never taken for
        // the file, and the next run resumes it.
        let part = self.dir.join(format!("{name}.part"));
        let url = format!("{}{name}", self.base);
        let mut retries = 0;
        loop {
            match self.try_fetch(&url, &part, name) {
                Ok(true) => break,
                Ok(false) => return Ok(false),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Network(e)) if retries < RETRIES => {
                    retries += 1;
                    eprintln!(
                        "{url}: {e}; retrying ({retries} of {RETRIES}) from byte {}",
                        part_len(&part)
                    );
                    std::thread::sleep(Duration::from_millis(500 * u64::from(retries)));
                }
                Err(Failure::Network(e)) => bail!(
                    "{url}: {e}, {RETRIES} retries failed; check the network and run the command \
                     again: it resumes from the {} bytes kept in {}",
                    part_len(&part),
                    part.display()
                ),
            }
        }
        std::fs::rename(&part, &dest)
            .with_context(|| format!("renaming {} to {}", part.display(), dest.display()))?;
        Ok(true)
    }

    /// One request for `url`, appended to `part` when the server resumes at its end (HTTP 206),
    /// or written over it (HTTP 200). Ok(false): 404.
    fn try_fetch(&self, url: &str, part: &Path, name: &str) -> Result<bool, Failure> {
        let offset = part_len(part);
        let mut request = self
            .agent
            .get(url)
            // Uncompressed, so Content-Length and Range count the bytes that land on disk.
            .set("Accept-Encoding", "identity");
        if offset > 0 {
            request = request.set("Range", &format!("bytes={offset}-"));
        }
        let response = match request.call() {
            Ok(response) => response,
            Err(ureq::Error::Status(404, _)) => return Ok(false),
            // The `.part` is as long as the file or longer (it changed on the server): start over.
            Err(ureq::Error::Status(416, _)) if offset > 0 => {
                remove(part)?;
                return self.try_fetch(url, part, name);
            }
            Err(e) => return Err(request_failure(url, e)),
        };
        let resumed = response.status() == 206;
        if resumed && content_range_start(&response) != Some(offset) {
            remove(part)?;
            return Err(Failure::Network(
                "the server resumed at another byte than asked; starting over".into(),
            ));
        }
        let start = if resumed { offset } else { 0 };
        let total = response
            .header("Content-Length")
            .and_then(|n| n.parse::<u64>().ok())
            .map(|n| start + n);
        let file = if resumed {
            OpenOptions::new().append(true).open(part)
        } else {
            File::create(part)
        };
        let mut file = file
            .with_context(|| format!("opening {}", part.display()))
            .map_err(Failure::Fatal)?;
        let mut progress = Progress::new(name, start, total);
        let mut reader = response.into_reader();
        let mut buf = vec![0; 1 << 16];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    progress.stop();
                    return Err(Failure::Network(format!("{} ({e})", progress.broke())));
                }
            };
            file.write_all(&buf[..n])
                .with_context(|| format!("writing {}", part.display()))
                .map_err(Failure::Fatal)?;
            progress.add(n as u64);
        }
        progress.stop();
        if total.is_some_and(|t| t != progress.received) {
            return Err(Failure::Network(progress.broke()));
        }
        // On disk before the rename, so a crash cannot leave a short file under the final name.
        file.sync_all()
            .with_context(|| format!("writing {}", part.display()))
            .map_err(Failure::Fatal)?;
        eprintln!("{url}: downloaded {}", size(progress.received));
        Ok(true)
    }

    /// Whether the server has `name` (HEAD), for a better message about a missing file.
    fn exists(&self, name: &str) -> Result<bool> {
        let url = format!("{}{name}", self.base);
        match self.agent.head(&url).call() {
            Ok(_) => Ok(true),
            Err(ureq::Error::Status(404, _)) => Ok(false),
            Err(e) => Err(match request_failure(&url, e) {
                Failure::Fatal(e) => e,
                Failure::Network(e) => anyhow::anyhow!("{url}: {e}"),
            }),
        }
    }
}

/// What went wrong with a request, and what the user can do about it.
fn request_failure(url: &str, e: ureq::Error) -> Failure {
    match e {
        ureq::Error::Status(code, response) => {
            let hint = match code {
                401 | 403 => "; the model may be private or gated: download the folder by hand and give its path",
                500.. => "; the server failed, try again later",
                _ => "",
            };
            Failure::Fatal(anyhow::anyhow!(
                "{url}: the server answered HTTP {code} {}{hint}",
                response.status_text()
            ))
        }
        ureq::Error::Transport(t) => {
            // ureq's own text starts with the URL, which the messages here already start with.
            let mut cause = t.kind().to_string();
            if let Some(message) = t.message() {
                cause += &format!(": {message}");
            }
            if let Some(source) = std::error::Error::source(&t) {
                cause += &format!(": {source}");
            }
            match t.kind() {
                ureq::ErrorKind::Io => Failure::Network(cause),
                ureq::ErrorKind::ConnectionFailed => Failure::Fatal(anyhow::anyhow!(
                    "{url}: could not connect ({cause}); check the host and port, and that the server is up"
                )),
                ureq::ErrorKind::Dns => Failure::Fatal(anyhow::anyhow!(
                    "{url}: could not look up the host ({cause}); check the URL and the network"
                )),
                _ => Failure::Fatal(anyhow::anyhow!("{url}: {cause}")),
            }
        }
    }
}

/// Where a 206 answer starts: `Content-Range: bytes START-END/TOTAL`.
fn content_range_start(response: &ureq::Response) -> Option<u64> {
    let range = response.header("Content-Range")?.strip_prefix("bytes ")?;
    range.split_once('-')?.0.trim().parse().ok()
}

fn part_len(part: &Path) -> u64 {
    std::fs::metadata(part).map_or(0, |m| m.len())
}

fn remove(part: &Path) -> Result<(), Failure> {
    std::fs::remove_file(part)
        .with_context(|| format!("removing {}", part.display()))
        .map_err(Failure::Fatal)
}

fn size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

/// One line on stderr per file, redrawn at most 10 times a second; only on a terminal, where a
/// redrawn line reads as progress rather than clutter.
struct Progress<'a> {
    name: &'a str,
    received: u64,
    total: Option<u64>,
    shown: Option<Instant>,
    terminal: bool,
}

impl<'a> Progress<'a> {
    fn new(name: &'a str, received: u64, total: Option<u64>) -> Progress<'a> {
        Progress {
            name,
            received,
            total,
            shown: None,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn add(&mut self, n: u64) {
        self.received += n;
        if self.terminal
            && self
                .shown
                .is_none_or(|t| t.elapsed() >= Duration::from_millis(100))
        {
            self.draw();
            self.shown = Some(Instant::now());
        }
    }

    fn draw(&self) {
        let done = match self.total {
            Some(total) if total > 0 => {
                format!(" of {} ({}%)", size(total), self.received * 100 / total)
            }
            _ => String::new(),
        };
        eprint!("\r{} {}{done}\x1b[K", self.name, size(self.received));
    }

    fn broke(&self) -> String {
        let total = self.total.map_or(String::new(), |t| format!(" of {t}"));
        format!("the connection broke after {}{total} bytes", self.received)
    }

    /// Clears the progress line: the message that follows (done, retrying, failed) replaces it.
    fn stop(&mut self) {
        if self.shown.take().is_some() {
            eprint!("\r\x1b[K");
        }
    }
}
