//! The `.loom.lines` section payload: [`encode_line_table`] and the validating
//! [`decode_line_table`]. The layout (version 1) is documented on the parent module.

use super::{LineTableError, LINES_MAGIC, LINES_VERSION};
use crate::image::{LineRow, LineTable};

/// Encode a line table as the `.loom.lines` payload (layout in the [`elf`](super) module docs).
pub fn encode_line_table(lines: &LineTable) -> Result<Vec<u8>, LineTableError> {
    check_line_table(lines)?;
    let nfiles = u32::try_from(lines.files.len()).map_err(|_| LineTableError::TooMany {
        what: "files",
        count: lines.files.len(),
    })?;
    let nrows = u32::try_from(lines.rows.len()).map_err(|_| LineTableError::TooMany {
        what: "rows",
        count: lines.rows.len(),
    })?;
    let names: usize = lines.files.iter().map(|f| f.len() + 1).sum();
    let mut out = Vec::with_capacity(16 + names + 16 * lines.rows.len());
    out.extend_from_slice(&LINES_MAGIC);
    out.extend_from_slice(&LINES_VERSION.to_le_bytes());
    out.extend_from_slice(&nfiles.to_le_bytes());
    for f in &lines.files {
        out.extend_from_slice(f.as_bytes());
        out.push(0);
    }
    out.extend_from_slice(&nrows.to_le_bytes());
    for r in &lines.rows {
        for v in [r.addr, r.file, r.line, r.col] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    Ok(out)
}

pub(super) fn check_line_table(lines: &LineTable) -> Result<(), LineTableError> {
    if let Some(index) = lines.files.iter().position(|f| f.contains('\0')) {
        return Err(LineTableError::FileNameNul { index });
    }
    check_rows(&lines.rows, lines.files.len())
}

fn check_rows(rows: &[LineRow], files: usize) -> Result<(), LineTableError> {
    let mut prev = 0u32;
    for (row, r) in rows.iter().enumerate() {
        if r.file as usize >= files {
            return Err(LineTableError::FileIndex {
                row,
                file: r.file,
                files,
            });
        }
        if r.addr < prev {
            return Err(LineTableError::Unsorted { row, addr: r.addr });
        }
        prev = r.addr;
    }
    Ok(())
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: u64, what: &'static str) -> Result<&'a [u8], LineTableError> {
        let have = self.b.len() - self.pos;
        if n > have as u64 {
            return Err(LineTableError::Truncated {
                what,
                offset: self.pos,
                need: n,
                have,
            });
        }
        let s = &self.b[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, LineTableError> {
        let s = self.take(4, what)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
}

/// Decode a `.loom.lines` payload, checking every count against the bytes present.
pub fn decode_line_table(b: &[u8]) -> Result<LineTable, LineTableError> {
    if b.len() < 4 || b[..4] != LINES_MAGIC {
        return Err(LineTableError::BadMagic {
            found: b[..b.len().min(4)].to_vec(),
        });
    }
    let mut c = Cursor { b, pos: 4 };
    let version = c.u32("version")?;
    if version != LINES_VERSION {
        return Err(LineTableError::Version(version));
    }
    let nfiles = c.u32("file count")?;
    let mut files = Vec::new();
    for index in 0..nfiles as usize {
        let rest = &b[c.pos..];
        let Some(len) = rest.iter().position(|&x| x == 0) else {
            return Err(LineTableError::Truncated {
                what: "file name",
                offset: c.pos,
                need: rest.len() as u64 + 1,
                have: rest.len(),
            });
        };
        let name = std::str::from_utf8(&rest[..len])
            .map_err(|_| LineTableError::FileNameUtf8 { index })?;
        files.push(name.to_string());
        c.pos += len + 1;
    }
    let nrows = c.u32("row count")?;
    let need = u64::from(nrows) * 16;
    let body = c.take(need, "rows")?;
    if c.pos != b.len() {
        return Err(LineTableError::Trailing {
            count: b.len() - c.pos,
        });
    }
    let rows: Vec<LineRow> = body
        .chunks_exact(16)
        .map(|r| {
            let w = |i: usize| u32::from_le_bytes([r[i], r[i + 1], r[i + 2], r[i + 3]]);
            LineRow {
                addr: w(0),
                file: w(4),
                line: w(8),
                col: w(12),
            }
        })
        .collect();
    check_rows(&rows, files.len())?;
    Ok(LineTable { files, rows })
}
