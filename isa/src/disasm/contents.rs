//! `objdump -s`: every section with contents as GNU prints it — 16 bytes a row, the address
//! as wide as the section's largest (at least 4 digits), the bytes in groups of four
//! (grouped by section offset), then the printable ASCII characters (others as `.`), short
//! rows padded with blanks.

use std::fmt::Write as _;

use super::{ObjFile, ObjdumpOptions, SHT_NOBITS};

/// Significant hex digits of `v` (at least one).
fn hex_digits(v: u64) -> usize {
    format!("{v:x}").len()
}

pub(super) fn dump(out: &mut String, file: &ObjFile<'_>, opts: &ObjdumpOptions) {
    for s in &file.sections {
        if s.sh_type == SHT_NOBITS || !opts.selected(&s.name) {
            continue;
        }
        let data = &s.contents;
        let Some((start, stop)) = opts.range(s.addr, data.len() as u64) else {
            continue;
        };
        let _ = writeln!(out, "Contents of section {}:", s.name);
        let width = 4
            .max(hex_digits(s.addr + start))
            .max(hex_digits(s.addr + stop - 1));
        let mut row = start;
        while row < stop {
            let _ = write!(out, " {:0width$x} ", s.addr + row);
            for j in row..row + 16 {
                match data.get(j as usize).filter(|_| j < stop) {
                    Some(b) => {
                        let _ = write!(out, "{b:02x}");
                    }
                    None => out.push_str("  "),
                }
                if j & 3 == 3 {
                    out.push(' ');
                }
            }
            out.push(' ');
            for j in row..row + 16 {
                out.push(match data.get(j as usize).filter(|_| j < stop) {
                    Some(&b) if (0x20..0x7f).contains(&b) => b as char,
                    Some(_) => '.',
                    None => ' ',
                });
            }
            out.push('\n');
            row += 16;
        }
    }
}
