//! Loading a program for the other tools: an ELF object is read and validated, anything
//! else is assembled as Loom source. Shared by `bitloom run`, the debugger, the program test
//! runner and the tests, so "a `.s` or an `.elf`" means the same everywhere.

use std::path::{Path, PathBuf};

use bitloom_isa::elf::{read_elf, ElfError};
use bitloom_isa::image::Image;
use bitloom_isa::srcfile::{read_capped, ReadError, MAX_INPUT_BYTES};

use crate::{assemble_file, Diagnostics, Options};

/// A loaded program.
#[derive(Debug)]
pub struct Loaded {
    /// The program image.
    pub image: Image,
    /// Assembler warnings (empty for an ELF input).
    pub warnings: Option<Diagnostics>,
    /// Whether the input was an ELF object.
    pub from_elf: bool,
}

/// Why a program could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is an ELF object that failed validation.
    #[error("{}: {source}", path.display())]
    Elf {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: ElfError,
    },
    /// The source did not assemble.
    #[error("{} does not assemble ({} errors)", path.display(), diagnostics.error_count())]
    Asm {
        /// The file.
        path: PathBuf,
        /// Every diagnostic of the run (render with [`Diagnostics::render`]).
        diagnostics: Diagnostics,
    },
}

/// Load `path`: an ELF object (by its magic number, whatever the extension) or an
/// assembly source assembled with `opts`.
pub fn load_program(path: &Path, opts: &Options) -> Result<Loaded, LoadError> {
    let io = |source: std::io::Error| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    // Sniff the magic first: a source is read by the assembler (with its own cap), an
    // object here with the input cap (a valid ELF padded to GiBs is refused unread).
    let mut magic = [0u8; 4];
    let n = {
        use std::io::Read;
        let f = std::fs::File::open(path).map_err(io)?;
        let mut got = 0;
        let mut r = f.take(4);
        loop {
            match r.read(&mut magic[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io(e)),
            }
        }
        got
    };
    if n == 4 && &magic == b"\x7fELF" {
        let bytes = read_capped(path, MAX_INPUT_BYTES).map_err(|e| match e {
            ReadError::Io(e) => io(e),
            e => io(std::io::Error::other(e.to_string())),
        })?;
        let image = read_elf(&bytes).map_err(|source| LoadError::Elf {
            path: path.to_path_buf(),
            source,
        })?;
        return Ok(Loaded {
            image,
            warnings: None,
            from_elf: true,
        });
    }
    let out = assemble_file(path, opts).map_err(|diagnostics| LoadError::Asm {
        path: path.to_path_buf(),
        diagnostics,
    })?;
    Ok(Loaded {
        image: out.image,
        warnings: (out.warnings.warning_count() > 0).then_some(out.warnings),
        from_elf: false,
    })
}
