//! Safe outputs for the CLI: every file the tool writes goes through here.
//!
//! - [`Files`] refuses an output that is the same file as an input or as another output,
//!   comparing device and inode (not names), so `asm a.s -o a.s`, `-l f -o f` or
//!   `run a.s --trace a.s` fail before any work instead of destroying the input.
//! - [`AtomicFile`] writes to a temporary file in the destination's directory and renames
//!   it into place only when everything was written and synced, so a full disk or an
//!   interrupted run never leaves a truncated file under the real name (and an existing
//!   file stays as it was). Devices and FIFOs (`/dev/null`, a pipe) are written directly.
//! - [`stdout`] writes checked: a closed pipe (`objdump | head -1`) ends the program
//!   quietly like coreutils do, any other error (`isa > /dev/full`) is reported.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::Fail;

/// Exit status after a closed pipe on stdout (what a shell reports for a process killed
/// by SIGPIPE, as `yes | head -1` is).
pub const EXIT_BROKEN_PIPE: u8 = 141;

/// Identity of an existing file.
fn file_id(path: &Path) -> Option<(u64, u64, bool)> {
    fs::metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino(), m.file_type().is_file()))
}

/// The inputs and outputs of one command, checked against each other.
#[derive(Default)]
pub struct Files {
    /// (what, path, dev, ino) of every input and output so far.
    seen: Vec<(&'static str, PathBuf, u64, u64)>,
    /// Outputs that do not exist yet: (what, directory identity, file name).
    new_outputs: Vec<(&'static str, PathBuf, (u64, u64), std::ffi::OsString)>,
}

impl Files {
    /// Record an input (missing files are left for the reader to report).
    pub fn input(&mut self, what: &'static str, path: &Path) {
        if let Some((dev, ino, _)) = file_id(path) {
            self.seen.push((what, path.to_path_buf(), dev, ino));
        }
    }

    /// Record an output; an error if it is the same file as an input or an earlier output.
    /// Devices and FIFOs may be named more than once (`--trace /dev/null --timeline
    /// /dev/null`).
    pub fn output(&mut self, what: &'static str, path: &Path) -> Result<(), Fail> {
        let clash = |w: &str, p: &Path| {
            Fail(
                format!(
                    "error: {}: the {what} would overwrite the {w} (`{}` is the same file); \
                     choose another output name",
                    path.display(),
                    p.display()
                ),
                1,
            )
        };
        match file_id(path) {
            Some((_, _, false)) => Ok(()),
            Some((dev, ino, true)) => {
                if let Some((w, p, ..)) = self.seen.iter().find(|s| s.2 == dev && s.3 == ino) {
                    return Err(clash(w, p));
                }
                self.seen.push((what, path.to_path_buf(), dev, ino));
                Ok(())
            }
            None => {
                // Not there yet: two outputs clash if they name the same entry of the
                // same directory.
                let dir = parent(path);
                let (Some((dev, ino, _)), Some(name)) = (file_id(&dir), path.file_name()) else {
                    return Ok(()); // the write will report the missing directory
                };
                if let Some((w, p, ..)) = self
                    .new_outputs
                    .iter()
                    .find(|o| o.2 == (dev, ino) && o.3 == name)
                {
                    return Err(clash(w, p));
                }
                self.new_outputs
                    .push((what, path.to_path_buf(), (dev, ino), name.to_os_string()));
                Ok(())
            }
        }
    }
}

/// The directory a path's file is in (`.` for a bare name).
fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// An output file being written: a temporary file next to the destination, renamed over
/// it by [`AtomicFile::commit`]; removed if dropped uncommitted.
pub struct AtomicFile {
    dest: PathBuf,
    /// `None` when writing a device or FIFO directly.
    tmp: Option<PathBuf>,
    file: io::BufWriter<File>,
}

fn io_fail(path: &Path, e: impl std::fmt::Display) -> Fail {
    Fail(format!("error: {}: {e}", path.display()), 1)
}

impl AtomicFile {
    /// Start writing `path`.
    pub fn create(path: &Path) -> Result<AtomicFile, Fail> {
        // Write through a symlink to the file it names, not over the link.
        let dest = match fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => {
                fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
            }
            _ => path.to_path_buf(),
        };
        let existing = fs::metadata(&dest).ok();
        if let Some(m) = &existing {
            if m.is_dir() {
                return Err(io_fail(path, "is a directory"));
            }
            if !m.is_file() {
                // /dev/null, /dev/stdout, a FIFO: nothing to rename over.
                let f = OpenOptions::new()
                    .write(true)
                    .open(&dest)
                    .map_err(|e| io_fail(path, e))?;
                return Ok(AtomicFile {
                    dest,
                    tmp: None,
                    file: io::BufWriter::new(f),
                });
            }
        }
        let dir = parent(&dest);
        let base = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut last_err = None;
        for k in 0..100u32 {
            let tmp = dir.join(format!(".{base}.{}.{k}.tmp", std::process::id()));
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(f) => {
                    if let Some(m) = &existing {
                        let _ = f.set_permissions(m.permissions());
                    }
                    return Ok(AtomicFile {
                        dest,
                        tmp: Some(tmp),
                        file: io::BufWriter::new(f),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = Some(e),
                Err(e) => return Err(io_fail(path, e)),
            }
        }
        Err(io_fail(
            path,
            last_err.map_or("cannot create a temporary file".into(), |e| e.to_string()),
        ))
    }

    /// Flush, sync and rename into place.
    pub fn commit(mut self) -> Result<(), Fail> {
        let r = self.finish();
        if r.is_ok() {
            self.tmp = None; // renamed: nothing to clean up
        }
        r
    }

    fn finish(&mut self) -> Result<(), Fail> {
        let dest = self.dest.clone();
        self.file.flush().map_err(|e| io_fail(&dest, e))?;
        if let Some(tmp) = &self.tmp {
            // Delayed allocation reports a full disk only here.
            self.file
                .get_ref()
                .sync_all()
                .map_err(|e| io_fail(&dest, e))?;
            fs::rename(tmp, &dest).map_err(|e| io_fail(&dest, e))?;
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = fs::remove_file(tmp);
        }
    }
}

/// Write `data` to `path` atomically.
pub fn write_file(path: &Path, data: &[u8]) -> Result<(), Fail> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(data).map_err(|e| io_fail(path, e))?;
    f.commit()
}

/// The failure for a write error on stdout: quiet for a closed pipe.
pub fn stdout_fail(e: io::Error) -> Fail {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Fail(String::new(), EXIT_BROKEN_PIPE)
    } else {
        Fail(format!("error: writing to standard output: {e}"), 1)
    }
}

/// Write `s` to stdout, checked (see the module documentation).
pub fn stdout(s: &str) -> Result<(), Fail> {
    let mut o = io::stdout().lock();
    o.write_all(s.as_bytes())
        .and_then(|()| o.flush())
        .map_err(stdout_fail)
}

/// Write `s` to stderr, ignoring errors (there is nowhere left to report them).
pub fn stderr(s: &str) {
    let mut e = io::stderr().lock();
    let _ = e.write_all(s.as_bytes());
    let _ = e.flush();
}

/// Write `s` to stdout for a subcommand whose errors are strings: a closed pipe ends the
/// process quietly with the broken-pipe status, other errors come back as messages.
pub fn emit(s: &str) -> Result<(), String> {
    match stdout(s) {
        Ok(()) => Ok(()),
        Err(Fail(msg, code)) if msg.is_empty() => std::process::exit(code as i32),
        Err(Fail(msg, _)) => Err(msg),
    }
}
