//! `objdump -l` and `-S`: the line-table position and source text printed before an
//! instruction, the way GNU objdump's `show_line` does it.
//!
//! `-l` prints `symbol():` when the enclosing code symbol changes and `file:line` when the
//! position changes. `-S` prints the source line of each new position, preceded by the lines
//! of the same file not printed yet, at most five of them (GNU's
//! `SHOW_PRECEDING_CONTEXT_LINES`); going back to an earlier line prints just that line. A
//! source file that cannot be read prints nothing.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::image::Image;

/// Lines of preceding context GNU objdump prints before a new source line.
const CONTEXT: u32 = 5;

/// Per-file state: the text (if readable), the highest line printed and the last line shown.
struct FileState {
    text: Option<Vec<String>>,
    max_printed: u32,
    last_line: u32,
}

/// The source-line printer of one listing.
pub(super) struct SourceLines<'a> {
    img: &'a Image,
    dir: Option<&'a Path>,
    source: bool,
    line_numbers: bool,
    files: HashMap<u32, FileState>,
    prev_pos: Option<(u32, u32)>,
    prev_func: Option<String>,
}

impl<'a> SourceLines<'a> {
    pub(super) fn new(
        img: &'a Image,
        dir: Option<&'a Path>,
        source: bool,
        line_numbers: bool,
    ) -> Self {
        SourceLines {
            img,
            dir,
            source,
            line_numbers,
            files: HashMap::new(),
            prev_pos: None,
            prev_func: None,
        }
    }

    fn load(&self, file: u32) -> FileState {
        let text = self.img.lines.files.get(file as usize).and_then(|name| {
            let p = Path::new(name);
            let path = match self.dir {
                Some(d) if p.is_relative() => d.join(p),
                _ => p.to_path_buf(),
            };
            let s = crate::srcfile::read_source(&path).ok()?;
            Some(s.lines().map(|l| l.trim_end().to_string()).collect())
        });
        FileState {
            text,
            max_printed: 0,
            last_line: 0,
        }
    }

    /// Print what `-l`/`-S` show before the instruction at `addr`; `func` is the code
    /// symbol enclosing it.
    pub(super) fn show(&mut self, out: &mut String, addr: u32, func: Option<&str>) {
        if !self.source && !self.line_numbers {
            return;
        }
        let Some(row) = self.img.lines.lookup(addr).copied() else {
            return;
        };
        let pos = (row.file, row.line);
        if self.line_numbers {
            if func.is_some() && func != self.prev_func.as_deref() {
                let _ = writeln!(out, "{}():", func.unwrap_or_default());
                self.prev_pos = None;
            }
            if self.prev_pos != Some(pos) {
                let _ = writeln!(out, "{}:{}", self.img.lines.file_name(&row), row.line);
            }
        }
        self.prev_func = func.map(str::to_string);
        self.prev_pos = Some(pos);
        if !self.source || row.line == 0 {
            return;
        }
        if !self.files.contains_key(&row.file) {
            let st = self.load(row.file);
            self.files.insert(row.file, st);
        }
        let Some(st) = self.files.get_mut(&row.file) else {
            return;
        };
        let line = row.line;
        if line == st.last_line {
            return;
        }
        let mut first = line.saturating_sub(CONTEXT).max(1);
        if st.max_printed >= first {
            first = if st.max_printed < line {
                st.max_printed + 1
            } else {
                line
            };
        }
        if let Some(text) = &st.text {
            for l in first..=line {
                if let Some(t) = text.get(l as usize - 1) {
                    let _ = writeln!(out, "{t}");
                }
            }
        }
        st.max_printed = st.max_printed.max(line);
        st.last_line = line;
    }
}
