//! A static file server on 127.0.0.1 with single byte ranges, as static hosts answer them (the
//! model picker reads only the head of each weights file). Two kinds of host:
//! - the dev server's: `dist/` at the root, with the single-page-app fallback (unknown paths
//!   without a file extension get `index.html`, so deep links load the app);
//! - a plain host (GitHub Pages and the like): a build under a sub-path, no fallback, and an unknown
//!   path answered with the folder's `404.html` and status 404.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;

pub struct StaticServer {
    pub port: u16,
    /// The sub-path the folder is served under ("" at the root).
    pub prefix: String,
    log: RequestLog,
}

/// Every request served: its path and whether it asked for a byte range.
type RequestLog = Arc<Mutex<Vec<(String, bool)>>>;

/// Where the files are and how a path without a file is answered.
#[derive(Clone)]
struct Site {
    root: PathBuf,
    prefix: String,
    single_page_fallback: bool,
    log: RequestLog,
    /// Send bodies over 64 KB in 4 KB chunks this far apart, as a slow network would (so the
    /// page's download progress can be watched), and break the first whole download of each off
    /// halfway, as a flaky one would (so resuming is exercised).
    pace: Option<std::time::Duration>,
}

impl StaticServer {
    /// `root` at `/`, with the single-page-app fallback.
    pub fn start(root: PathBuf) -> std::io::Result<StaticServer> {
        Self::listen(Site {
            root,
            prefix: String::new(),
            single_page_fallback: true,
            log: RequestLog::default(),
            pace: None,
        })
    }

    /// `root` under `prefix` (e.g. `/courses/nlp/bertlab`), as a plain static host serves it.
    pub fn start_plain(root: PathBuf, prefix: &str) -> std::io::Result<StaticServer> {
        Self::listen(Site {
            root,
            prefix: prefix.trim_end_matches('/').to_string(),
            single_page_fallback: false,
            log: RequestLog::default(),
            pace: None,
        })
    }

    /// `root` at `/` as a slow, flaky model host: large files trickle in over about a second, and
    /// the first whole download of each breaks off halfway.
    pub fn start_slow(root: PathBuf) -> std::io::Result<StaticServer> {
        Self::listen(Site {
            root,
            prefix: String::new(),
            single_page_fallback: false,
            log: RequestLog::default(),
            pace: Some(std::time::Duration::from_millis(40)),
        })
    }

    fn listen(site: Site) -> std::io::Result<StaticServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let (prefix, log) = (site.prefix.clone(), site.log.clone());
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let site = site.clone();
                thread::spawn(move || {
                    let _ = serve(&site, stream);
                });
            }
        });
        Ok(StaticServer { port, prefix, log })
    }

    /// How many whole-file (not byte-range) requests for paths ending in `suffix` were served.
    pub fn whole_downloads(&self, suffix: &str) -> usize {
        self.log.lock().map_or(0, |log| {
            log.iter()
                .filter(|(path, ranged)| !ranged && path.ends_with(suffix))
                .count()
        })
    }

    /// How many byte-range requests for paths ending in `suffix` were served.
    pub fn ranged_requests(&self, suffix: &str) -> usize {
        self.log.lock().map_or(0, |log| {
            log.iter()
                .filter(|(path, ranged)| *ranged && path.ends_with(suffix))
                .count()
        })
    }

    /// The address of `path` under the server's prefix.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}{}", self.port, self.prefix, path)
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("txt" | "md" | "tsv") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn serve(site: &Site, stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Read the headers; the server only answers GET, and only looks at Range.
    let mut range = None;
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("range") {
                range = byte_range(value.trim());
            }
        }
        line.clear();
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    if let Ok(mut log) = site.log.lock() {
        log.push((path.to_string(), range.is_some()));
    }
    let Some(relative) = path.strip_prefix(site.prefix.as_str()) else {
        return respond(stream, "404 Not Found", "text/plain", b"outside the site");
    };
    let relative = relative.trim_start_matches('/');
    if relative.contains("..") {
        return respond(stream, "403 Forbidden", "text/plain", b"forbidden");
    }
    let root = &site.root;
    let mut file = root.join(relative);
    if file.is_dir() {
        file = file.join("index.html");
    }
    // Like most static hosts, an extensionless address is answered by its `.html` file (the
    // build's prerendered pages).
    let page = root.join(format!("{relative}.html"));
    if !file.exists() && Path::new(relative).extension().is_none() && page.is_file() {
        file = page;
    }
    if !file.exists() {
        if !site.single_page_fallback {
            return match std::fs::read(root.join("404.html")) {
                Ok(page) => respond(stream, "404 Not Found", "text/html; charset=utf-8", &page),
                Err(_) => respond(stream, "404 Not Found", "text/plain", b"not found"),
            };
        }
        if Path::new(relative).extension().is_some() {
            return respond(stream, "404 Not Found", "text/plain", b"not found");
        }
        file = root.join("index.html");
    }
    match std::fs::read(&file) {
        Ok(body) => match range {
            Some((start, end)) if start < body.len() => {
                let end = end.min(body.len() - 1);
                let extra = format!("Content-Range: bytes {start}-{end}/{}\r\n", body.len());
                respond_with(
                    stream,
                    "206 Partial Content",
                    content_type(&file),
                    &extra,
                    &body[start..=end],
                    Delivery::default(),
                )
            }
            _ => {
                let first = site.log.lock().is_ok_and(|log| {
                    log.iter()
                        .filter(|(p, ranged)| p == path && !ranged)
                        .count()
                        == 1
                });
                let delivery = Delivery {
                    pace: site.pace,
                    cut_after: (site.pace.is_some() && first).then_some(body.len() / 2),
                };
                respond_with(stream, "200 OK", content_type(&file), "", &body, delivery)
            }
        },
        Err(_) => respond(stream, "404 Not Found", "text/plain", b"not found"),
    }
}

/// `bytes=START-END` (inclusive; END may be omitted); other forms are answered with the whole file.
fn byte_range(value: &str) -> Option<(usize, usize)> {
    let (start, end) = value.strip_prefix("bytes=")?.split_once('-')?;
    let start = start.parse().ok()?;
    let end = if end.is_empty() {
        usize::MAX
    } else {
        end.parse().ok()?
    };
    (start <= end).then_some((start, end))
}

fn respond(
    stream: TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    respond_with(stream, status, content_type, "", body, Delivery::default())
}

/// How a body is sent: all at once, or paced in chunks, possibly breaking off.
#[derive(Default)]
struct Delivery {
    pace: Option<std::time::Duration>,
    /// Close the connection after this many bytes of a body over 64 KB.
    cut_after: Option<usize>,
}

/// `extra_headers`: complete header lines, each ending in CRLF.
fn respond_with(
    mut stream: TcpStream,
    status: &str,
    content_type: &str,
    extra_headers: &str,
    body: &[u8],
    delivery: Delivery,
) -> std::io::Result<()> {
    // Open to other origins, as the model hosts students load from are (the lab runs on another port).
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\nAccess-Control-Allow-Origin: *\r\n{extra_headers}Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    match delivery.pace {
        Some(pause) if body.len() > 64 * 1024 => {
            let sent = &body[..delivery.cut_after.unwrap_or(body.len())];
            for chunk in sent.chunks(4096) {
                stream.write_all(chunk)?;
                stream.flush()?;
                thread::sleep(pause);
            }
        }
        _ => stream.write_all(body)?,
    }
    stream.flush()
}
