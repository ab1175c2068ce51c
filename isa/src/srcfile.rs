//! Reading the source files a line table names, safely. An ELF's line table is input like
//! any other: it may name `/dev/zero`, a FIFO, a huge file or a file that is not source.
//! Tools that show source lines (trap messages, `objdump -S`, the debugger) read through
//! [`read_source`], which opens only regular files of at most [`MAX_SOURCE_BYTES`] with a
//! source-like extension, holding valid UTF-8, and reports why a file is unavailable.

use std::io::Read;
use std::path::Path;

/// Largest source file read for display (bytes).
pub const MAX_SOURCE_BYTES: u64 = 64 << 20;

/// Extensions accepted as Loom source (assembly and include files).
pub const SOURCE_EXTENSIONS: &[&str] = &["s", "S", "asm", "inc", "i", "loom", "h"];

/// Why a source file is not shown.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SourceUnavailable {
    /// It does not exist or cannot be read.
    #[error("{0}: cannot be read: {1}")]
    Io(String, String),
    /// Not a regular file (device, FIFO, directory).
    #[error("{0}: not a regular file")]
    NotAFile(String),
    /// Larger than the cap.
    #[error("{0}: larger than {MAX_SOURCE_BYTES} bytes")]
    TooLarge(String),
    /// Its name does not look like a source file.
    #[error("{0}: not a source file name (extensions: .s .S .asm .inc .i .loom .h)")]
    NotSource(String),
    /// Not UTF-8 text.
    #[error("{0}: not UTF-8 text")]
    NotText(String),
}

/// Read a source file for display, within the limits above.
pub fn read_source(path: &Path) -> Result<String, SourceUnavailable> {
    let name = path.display().to_string();
    let ext_ok = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| SOURCE_EXTENSIONS.contains(&e));
    if !ext_ok {
        return Err(SourceUnavailable::NotSource(name));
    }
    let md =
        std::fs::metadata(path).map_err(|e| SourceUnavailable::Io(name.clone(), e.to_string()))?;
    if !md.is_file() {
        return Err(SourceUnavailable::NotAFile(name));
    }
    if md.len() > MAX_SOURCE_BYTES {
        return Err(SourceUnavailable::TooLarge(name));
    }
    let f = std::fs::File::open(path)
        .map_err(|e| SourceUnavailable::Io(name.clone(), e.to_string()))?;
    let mut buf = Vec::new();
    // The file may grow between the check and the read: never read past the cap.
    f.take(MAX_SOURCE_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| SourceUnavailable::Io(name.clone(), e.to_string()))?;
    if buf.len() as u64 > MAX_SOURCE_BYTES {
        return Err(SourceUnavailable::TooLarge(name));
    }
    String::from_utf8(buf).map_err(|_| SourceUnavailable::NotText(name))
}

/// Largest input file read by the tools (ELF objects and assembly sources): 1.25 GiB, a
/// little more than the largest program the ELF reader accepts
/// ([`crate::elf::DEFAULT_MAX_BYTES`]) plus its symbols and line table.
pub const MAX_INPUT_BYTES: u64 = crate::elf::DEFAULT_MAX_BYTES + (256 << 20);

/// Why [`read_capped`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file (or device, or pipe) holds more than the cap.
    #[error("larger than {0} bytes (the input size limit)")]
    TooLarge(u64),
    /// A directory.
    #[error("is a directory")]
    Directory,
}

/// [`read_capped`] for a text input (an expectation file, a command script): its UTF-8
/// text, or why not as a phrase to follow the file name (`larger than 16 MiB`, `not UTF-8
/// text`, the I/O error).
pub fn read_text_capped(path: &Path, max: u64) -> Result<String, String> {
    let bytes = read_capped(path, max).map_err(|e| match e {
        ReadError::TooLarge(_) => format!("larger than {} MiB", max >> 20),
        e => e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())
}

/// Read a whole input file, but never more than `max` bytes: a larger regular file is
/// refused before reading, and a device or pipe (`/dev/zero`) is read only up to the cap.
pub fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let f = std::fs::File::open(path)?;
    let md = f.metadata()?;
    if md.is_dir() {
        return Err(ReadError::Directory);
    }
    if md.is_file() && md.len() > max {
        return Err(ReadError::TooLarge(max));
    }
    let cap = max.saturating_add(1);
    let mut buf: Vec<u8> = Vec::new();
    if md.is_file() {
        buf.reserve_exact(md.len().min(cap) as usize);
    }
    // Grow by doubling, but never past the cap (`read_to_end` would double a 256 MiB
    // buffer of `/dev/zero` to 512 MiB before noticing).
    let mut r = f.take(cap);
    loop {
        if buf.len() == buf.capacity() {
            let room = (cap - buf.len() as u64).min((buf.len() as u64).max(64 << 10));
            if room == 0 {
                break;
            }
            buf.try_reserve_exact(room as usize)
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::OutOfMemory))?;
        }
        let len = buf.len();
        let spare = buf.capacity() - len;
        buf.resize(len + spare, 0);
        match r.read(&mut buf[len..]) {
            Ok(0) => {
                buf.truncate(len);
                break;
            }
            Ok(n) => buf.truncate(len + n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(len),
            Err(e) => return Err(e.into()),
        }
    }
    if buf.len() as u64 > max {
        return Err(ReadError::TooLarge(max));
    }
    Ok(buf)
}

/// Line `line` (1-based) of a source file, or why it is unavailable.
pub fn source_line(path: &Path, line: u32) -> Result<Option<String>, SourceUnavailable> {
    let text = read_source(path)?;
    Ok(text
        .lines()
        .nth((line as usize).saturating_sub(1))
        .map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_devices_fifos_big_and_foreign_files() {
        assert!(matches!(
            read_source(Path::new("/dev/zero")),
            Err(SourceUnavailable::NotSource(_))
        ));
        let dir = std::env::temp_dir().join(format!("bitloom-srcfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A device behind a source-like name (symlink) is not a regular file.
        let link = dir.join("zero.s");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(matches!(
            read_source(&link),
            Err(SourceUnavailable::NotAFile(_))
        ));
        // A directory with a source-like name.
        let d = dir.join("dir.s");
        std::fs::create_dir_all(&d).unwrap();
        assert!(matches!(
            read_source(&d),
            Err(SourceUnavailable::NotAFile(_))
        ));
        // Too large (sparse file, no disk used).
        let big = dir.join("big.s");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_SOURCE_BYTES + 1).unwrap();
        assert!(matches!(
            read_source(&big),
            Err(SourceUnavailable::TooLarge(_))
        ));
        // Not text.
        let bin = dir.join("bin.s");
        std::fs::write(&bin, [0xff, 0xfe, 0x00]).unwrap();
        assert!(matches!(
            read_source(&bin),
            Err(SourceUnavailable::NotText(_))
        ));
        // A good one.
        let ok = dir.join("ok.s");
        std::fs::write(&ok, "a\nb\n").unwrap();
        assert_eq!(source_line(&ok, 2).unwrap().as_deref(), Some("b"));
        assert_eq!(source_line(&ok, 9).unwrap(), None);
        assert!(matches!(
            read_source(Path::new("/etc/passwd")),
            Err(SourceUnavailable::NotSource(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn read_capped_stops_at_the_cap() {
        assert!(matches!(
            read_capped(Path::new("/dev/zero"), 1 << 20),
            Err(ReadError::TooLarge(_))
        ));
        assert!(matches!(
            read_capped(Path::new("/"), 1 << 20),
            Err(ReadError::Directory)
        ));
        let dir = std::env::temp_dir().join(format!("bitloom-capped-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.elf");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(4 << 30)
            .unwrap();
        assert!(matches!(
            read_capped(&big, 1 << 20),
            Err(ReadError::TooLarge(_))
        ));
        let ok = dir.join("ok.s");
        std::fs::write(&ok, "abc").unwrap();
        assert_eq!(read_capped(&ok, 3).unwrap(), b"abc");
        assert!(matches!(read_capped(&ok, 2), Err(ReadError::TooLarge(2))));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn read_text_capped_says_why_in_a_phrase() {
        let dir = std::env::temp_dir().join(format!("bitloom-text-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ok = dir.join("ok.toml");
        std::fs::write(&ok, "a = 1\n").unwrap();
        assert_eq!(read_text_capped(&ok, 1 << 20).unwrap(), "a = 1\n");
        let bin = dir.join("bin.toml");
        std::fs::write(&bin, [0xff, 0xfe]).unwrap();
        assert_eq!(
            read_text_capped(&bin, 1 << 20).unwrap_err(),
            "not UTF-8 text"
        );
        assert_eq!(
            read_text_capped(Path::new("/dev/zero"), 2 << 20).unwrap_err(),
            "larger than 2 MiB"
        );
        assert_eq!(
            read_text_capped(&dir, 1 << 20).unwrap_err(),
            "is a directory"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
