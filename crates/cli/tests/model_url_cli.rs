//! `--model URL`: the CLI downloads a model folder from a real HTTP server started by each test
//! (a minimal HTTP/1.1 one on 127.0.0.1 with Range support, 404s and connections cut on purpose),
//! caches it, and answers as it does with the folder itself.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

mod cli;
use cli::{assert_fails_with, path, temp_dir, text};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const SENTENCE: &str = "the cat [MASK] on the mat";

/// The smallest real model folder: a tiny BertForMaskedLM saved by transformers (the parity
/// fixture), with the tests' WordPiece tokenizer.
fn model_folder(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    let parity = Path::new(REPO).join("tests/fixtures/parity/bert-mlm");
    for file in ["config.json", "model.safetensors"] {
        std::fs::copy(parity.join(file), dir.join(file)).unwrap();
    }
    std::fs::copy(
        Path::new(REPO).join("tests/model_data/wordpiece-tokenizer.json"),
        dir.join("tokenizer.json"),
    )
    .unwrap();
    dir
}

/// `bertlab` with its download cache in `cache`.
fn bertlab(cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bertlab"))
        .current_dir(REPO)
        .env("BERTLAB_CACHE", cache)
        .args(args)
        .output()
        .unwrap()
}

fn fill_mask(cache: &Path, model: &str) -> Output {
    bertlab(cache, &["fill-mask", "--model", model, SENTENCE])
}

/// The predictions, which must not depend on where the folder came from.
fn predictions(out: &Output) -> String {
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[derive(Clone, Copy, Default)]
struct Behaviour {
    /// Cut the connection after this many bytes of model.safetensors, for its first `cuts` GETs.
    cut_after: usize,
    cuts: usize,
    /// Ignore `Range` and always send the whole file, as some static hosts do.
    no_ranges: bool,
}

/// Serves `root`'s files under `/m/`; every request lands in the log as `METHOD /path` plus
/// ` from N` for a Range request.
struct Server {
    url: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(root: &Path, behaviour: Behaviour) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/m/", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let (root, thread_log) = (root.to_path_buf(), log.clone());
        // Lives until the test process ends; one connection at a time, each closed after its answer.
        std::thread::spawn(move || {
            let mut behaviour = behaviour;
            for stream in listener.incoming().flatten() {
                let _ = answer(stream, &root, &thread_log, &mut behaviour);
            }
        });
        Server { url, log }
    }

    fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn answer(
    mut stream: TcpStream,
    root: &Path,
    log: &Mutex<Vec<String>>,
    behaviour: &mut Behaviour,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    let mut words = request.split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let mut range = None;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("range") {
                range = value
                    .trim()
                    .strip_prefix("bytes=")
                    .and_then(|r| r.strip_suffix('-'))
                    .and_then(|n| n.parse::<usize>().ok());
            }
        }
    }
    let entry = match range {
        Some(from) => format!("{method} {target} from {from}"),
        None => format!("{method} {target}"),
    };
    log.lock().unwrap().push(entry);

    let name = target.strip_prefix("/m/").unwrap_or("");
    let body = match std::fs::read(root.join(name)) {
        Ok(body) if !name.is_empty() => body,
        _ => {
            return write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
        }
    };
    let len = body.len();
    let start = match range {
        Some(_) if behaviour.no_ranges => 0,
        Some(from) if from >= len => {
            return write!(
                stream,
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
        }
        Some(from) => from,
        None => 0,
    };
    let status = if start > 0 {
        format!(
            "206 Partial Content\r\nContent-Range: bytes {start}-{}/{len}",
            len - 1
        )
    } else {
        "200 OK".to_string()
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        len - start
    )?;
    if method == "HEAD" {
        return Ok(());
    }
    let mut body = &body[start..];
    if name == "model.safetensors" && behaviour.cuts > 0 {
        behaviour.cuts -= 1;
        body = &body[..behaviour.cut_after.min(body.len())];
    }
    stream.write_all(body)
}

#[test]
fn url_answers_as_the_folder_and_the_second_run_uses_the_cache() {
    let dir = model_folder("url-same");
    let cache = temp_dir("url-same-cache");
    let server = Server::start(&dir, Behaviour::default());
    let expected = predictions(&fill_mask(&cache, path(&dir)));

    let out = fill_mask(&cache, &server.url);
    assert_eq!(predictions(&out), expected);
    let asked = server.requests();
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        assert!(asked.contains(&format!("GET /m/{file}")), "{asked:?}");
    }

    // The same folder without the trailing slash: the cache answers, the server hears nothing.
    let out = fill_mask(&cache, server.url.trim_end_matches('/'));
    assert_eq!(predictions(&out), expected);
    assert_eq!(server.requests(), asked);
    assert!(
        text(&out.stderr).contains("using the cached copy"),
        "{}",
        text(&out.stderr)
    );
    for d in [dir, cache] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn cut_connection_is_resumed_with_a_range_request() {
    let dir = model_folder("url-cut");
    let cache = temp_dir("url-cut-cache");
    let behaviour = Behaviour {
        cut_after: 30_000,
        cuts: 1,
        ..Behaviour::default()
    };
    let server = Server::start(&dir, behaviour);
    let expected = predictions(&fill_mask(&cache, path(&dir)));

    let out = fill_mask(&cache, &server.url);
    assert_eq!(predictions(&out), expected);
    let asked = server.requests();
    assert!(
        asked.contains(&"GET /m/model.safetensors from 30000".to_string()),
        "{asked:?}"
    );
    assert!(text(&out.stderr).contains("retrying (1 of 3)"));
    for d in [dir, cache] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn broken_download_gives_up_then_resumes_on_the_next_run() {
    let dir = model_folder("url-broken");
    let cache = temp_dir("url-broken-cache");
    // One cut per try: the first try and its three retries.
    let behaviour = Behaviour {
        cut_after: 10_000,
        cuts: 4,
        ..Behaviour::default()
    };
    let server = Server::start(&dir, behaviour);
    let expected = predictions(&fill_mask(&cache, path(&dir)));

    let out = fill_mask(&cache, &server.url);
    assert_fails_with(
        &out,
        "model.safetensors: the connection broke after 40000 of",
    );
    assert_fails_with(&out, "3 retries failed");
    let part = std::fs::read_dir(&cache)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("model.safetensors.part");
    assert_eq!(std::fs::metadata(&part).unwrap().len(), 40_000);

    let out = fill_mask(&cache, &server.url);
    assert_eq!(predictions(&out), expected);
    assert!(!part.exists());
    let asked = server.requests();
    assert!(
        asked.contains(&"GET /m/model.safetensors from 40000".to_string()),
        "{asked:?}"
    );
    for d in [dir, cache] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn server_without_ranges_sends_the_whole_file_again() {
    let dir = model_folder("url-noranges");
    let cache = temp_dir("url-noranges-cache");
    let behaviour = Behaviour {
        cut_after: 30_000,
        cuts: 1,
        no_ranges: true,
    };
    let server = Server::start(&dir, behaviour);
    let expected = predictions(&fill_mask(&cache, path(&dir)));
    assert_eq!(predictions(&fill_mask(&cache, &server.url)), expected);
    let asked = server.requests();
    assert!(
        asked.contains(&"GET /m/model.safetensors from 30000".to_string()),
        "{asked:?}"
    );
    for d in [dir, cache] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn folder_with_vocab_txt_instead_of_tokenizer_json() {
    let dir = model_folder("url-vocab");
    let cache = temp_dir("url-vocab-cache");
    std::fs::remove_file(dir.join("tokenizer.json")).unwrap();
    std::fs::write(
        dir.join("vocab.txt"),
        "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n",
    )
    .unwrap();
    let server = Server::start(&dir, Behaviour::default());

    let out = bertlab(&cache, &["inspect", "--model", &server.url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let asked = server.requests();
    for request in [
        "GET /m/tokenizer.json",
        "GET /m/vocab.txt",
        "GET /m/tokenizer_config.json",
    ] {
        assert!(asked.contains(&request.to_string()), "{asked:?}");
    }
    let cached = std::fs::read_dir(&cache)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut files: Vec<String> = std::fs::read_dir(&cached)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "bertlab-source-url.txt",
            "config.json",
            "model.safetensors",
            "vocab.txt"
        ]
    );
    for d in [dir, cache] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn pytorch_only_folder_says_how_to_convert() {
    let dir = temp_dir("url-pytorch");
    let cache = temp_dir("url-pytorch-cache");
    let parity = Path::new(REPO).join("tests/fixtures/parity/bert-mlm");
    std::fs::copy(parity.join("config.json"), dir.join("config.json")).unwrap();
    std::fs::write(
        dir.join("pytorch_model.bin"),
        b"PK\x03\x04 not really a pickle",
    )
    .unwrap();
    let server = Server::start(&dir, Behaviour::default());

    let out = fill_mask(&cache, &server.url);
    assert_fails_with(&out, "only has PyTorch weights");
    assert_fails_with(&out, "save_pretrained('DIR', safe_serialization=True)");
    assert!(server
        .requests()
        .contains(&"HEAD /m/pytorch_model.bin".to_string()));
    for d in [dir, cache] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn missing_config_and_refused_connection_name_the_file() {
    let dir = temp_dir("url-empty");
    let cache = temp_dir("url-empty-cache");
    let server = Server::start(&dir, Behaviour::default());
    let out = fill_mask(&cache, &server.url);
    assert_fails_with(
        &out,
        &format!("{}config.json: not found (HTTP 404)", server.url),
    );

    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/m/", closed.local_addr().unwrap());
    drop(closed);
    let out = fill_mask(&cache, &url);
    assert_fails_with(&out, &format!("{url}config.json: could not connect"));
    // Nothing came, so nothing is left in the cache.
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 0);
    for d in [dir, cache] {
        std::fs::remove_dir_all(d).unwrap();
    }
}
