//! A static file server for `dist/` on 127.0.0.1, with the single-page-app fallback (unknown paths
//! without a file extension get `index.html`, so deep links load the app) and single byte ranges,
//! as static hosts answer them (the model picker reads only the head of each weights file).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::thread;

pub struct StaticServer {
    pub port: u16,
}

impl StaticServer {
    pub fn start(root: PathBuf) -> std::io::Result<StaticServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let root = root.clone();
                thread::spawn(move || {
                    let _ = serve(&root, stream);
                });
            }
        });
        Ok(StaticServer { port })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("txt" | "md" | "tsv") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn serve(root: &Path, stream: TcpStream) -> std::io::Result<()> {
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
    let relative = path.trim_start_matches('/');
    let mut file = root.join(relative);
    if relative.contains("..") {
        return respond(stream, "403 Forbidden", "text/plain", b"forbidden");
    }
    if file.is_dir() || !file.exists() {
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
                )
            }
            _ => respond(stream, "200 OK", content_type(&file), &body),
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
    respond_with(stream, status, content_type, "", body)
}

/// `extra_headers`: complete header lines, each ending in CRLF.
fn respond_with(
    mut stream: TcpStream,
    status: &str,
    content_type: &str,
    extra_headers: &str,
    body: &[u8],
) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\n{extra_headers}Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    stream.flush()
}
