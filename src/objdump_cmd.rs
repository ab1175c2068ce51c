//! `bitloom objdump`: GNU objdump's switches with GNU's meaning and layouts (`-f -h -t -s -d
//! -D -S -l -z -j --start-address --stop-address`), plus `--reassemble` (assembler input
//! that rebuilds the program). As with GNU objdump, at least one switch is required.

use std::path::{Path, PathBuf};

use bitloom_isa::disasm::{self, Disassemble, ObjFile, ObjdumpOptions};

use crate::{output, Fail};

/// Arguments of `bitloom objdump`. `-h` is GNU's `--section-headers`, so help is `-H`/`--help`.
#[derive(clap::Args)]
#[command(disable_help_flag = true)]
pub struct ObjdumpArgs {
    /// ELF file (or assembly source, assembled on the fly).
    pub input: PathBuf,
    /// Display the overall file header (architecture, flags, start address).
    #[arg(short = 'f', long = "file-headers")]
    pub file_headers: bool,
    /// Display the section headers.
    #[arg(short = 'h', long = "section-headers", visible_alias = "headers")]
    pub section_headers: bool,
    /// Display the symbol table.
    #[arg(short = 't', long = "syms")]
    pub syms: bool,
    /// Display the full contents of the sections (hex and ASCII).
    #[arg(short = 's', long = "full-contents")]
    pub full_contents: bool,
    /// Disassemble the executable sections.
    #[arg(short = 'd', long = "disassemble")]
    pub disassemble: bool,
    /// Disassemble every section with contents (data too).
    #[arg(short = 'D', long = "disassemble-all")]
    pub disassemble_all: bool,
    /// Intermix source lines with the disassembly (implies -d).
    #[arg(short = 'S', long = "source")]
    pub source: bool,
    /// Print `symbol():` and `file:line` in the disassembly.
    #[arg(short = 'l', long = "line-numbers")]
    pub line_numbers: bool,
    /// Do not collapse runs of zero bytes into `...` in the disassembly.
    #[arg(short = 'z', long = "disassemble-zeroes")]
    pub zeroes: bool,
    /// Only this section (repeatable).
    #[arg(short = 'j', long = "section", value_name = "NAME")]
    pub sections: Vec<String>,
    /// Start listing (-d, -D, -s) at this address (0x… hex, 0… octal, else decimal).
    #[arg(long, value_name = "ADDR", value_parser = parse_address)]
    pub start_address: Option<u64>,
    /// Stop listing (-d, -D, -s) before this address.
    #[arg(long, value_name = "ADDR", value_parser = parse_address)]
    pub stop_address: Option<u64>,
    /// Predefine the absolute symbol NAME when the input is assembly source, as `bitloom
    /// asm -D` (long form only here: objdump's `-D` is --disassemble-all). Repeatable.
    #[arg(
        long = "defsym",
        value_name = "NAME[=VALUE]",
        value_parser = crate::define_args::parse_define
    )]
    pub defsym: Vec<bitloom_asm::Define>,
    /// Emit re-assemblable source instead of a listing.
    #[arg(long, conflicts_with_all = [
        "file_headers", "section_headers", "syms", "full_contents", "disassemble",
        "disassemble_all", "source", "line_numbers", "sections", "start_address", "stop_address",
    ])]
    pub reassemble: bool,
    /// Print help.
    #[arg(short = 'H', long = "help", action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

/// An address as GNU objdump reads it (`bfd_scan_vma` with base 0).
fn parse_address(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let r = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(h, 16)
    } else if t.len() > 1 && t.starts_with('0') {
        u64::from_str_radix(&t[1..], 8)
    } else {
        t.parse::<u64>()
    };
    r.map_err(|_| format!("`{s}` is not an address (0x1000, 4096 or 010000)"))
}

/// The usage error for a call without any switch, as GNU objdump words it.
const NO_SWITCH: &str = "error: objdump needs at least one of these switches:
  -f, --file-headers       the overall file header
  -h, --section-headers    the section headers
  -t, --syms               the symbol table
  -s, --full-contents      the full contents of every section (hex and ASCII)
  -d, --disassemble        disassembly of the executable sections
  -D, --disassemble-all    disassembly of every section
  -S, --source             disassembly with source lines (implies -d)
      --reassemble         assembler input that rebuilds the program
(-l, -z, -j, --start-address, --stop-address refine them; see `bitloom objdump --help`)";

/// Run `bitloom objdump`; returns the process exit status.
pub fn run(a: ObjdumpArgs) -> Result<u8, Fail> {
    let opts = ObjdumpOptions {
        file_name: a.input.display().to_string(),
        file_header: a.file_headers,
        headers: a.section_headers,
        symbols: a.syms,
        contents: a.full_contents,
        disassemble: if a.disassemble_all {
            Disassemble::All
        } else if a.disassemble || a.source {
            Disassemble::Code
        } else {
            Disassemble::None
        },
        source: a.source,
        line_numbers: a.line_numbers,
        zeroes: a.zeroes,
        source_dir: None,
        sections: a.sections,
        start_address: a.start_address,
        stop_address: a.stop_address,
    };
    if !a.reassemble && !opts.any() {
        return Err(Fail(NO_SWITCH.into(), 2));
    }
    if let (Some(start), Some(stop)) = (opts.start_address, opts.stop_address) {
        if start > stop {
            return Err(Fail(
                format!("error: --start-address 0x{start:x} is above --stop-address 0x{stop:x}"),
                2,
            ));
        }
    }
    let img = crate::load_program(&a.input, &a.defsym)?;
    if a.reassemble {
        output::stdout(&disasm::disassemble_to_source(&img))?;
        return Ok(0);
    }
    let file = obj_file(&a.input, &img)?;
    let missing = disasm::missing_sections(&file, &opts);
    if !missing.is_empty() {
        let have: Vec<&str> = file.sections.iter().map(|s| s.name.as_str()).collect();
        return Err(Fail(
            format!(
                "error: {}: no section named {} (it has {})",
                a.input.display(),
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                have.join(", ")
            ),
            1,
        ));
    }
    output::stdout(&disasm::objdump(&file, &opts))?;
    Ok(0)
}

/// The section table: from the file itself for an ELF input, else as the writer lays the
/// assembled image out.
fn obj_file<'a>(path: &Path, img: &'a bitloom_isa::image::Image) -> Result<ObjFile<'a>, Fail> {
    let fail = |e: &dyn std::fmt::Display| Fail(format!("error: {}: {e}", path.display()), 1);
    let mut magic = [0u8; 4];
    let is_elf = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && &magic == b"\x7fELF";
    if is_elf {
        let bytes = bitloom_isa::srcfile::read_capped(path, bitloom_isa::srcfile::MAX_INPUT_BYTES)
            .map_err(|e| fail(&e))?;
        ObjFile::from_elf(img, &bytes).map_err(|e| fail(&e))
    } else {
        ObjFile::from_image(img).map_err(|e| fail(&e))
    }
}
