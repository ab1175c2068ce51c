//! Data directives (`.byte`/`.half`/`.word`, `.fill`, `.tile`, `.scales`, `.lut`, `.rle`):
//! argument checks and sizes in pass 1, values and packing in pass 2. File data
//! (`.incbin`, `.npy`) is read and emitted in pass 1: its bytes depend on no symbol.

use std::path::PathBuf;

use bitloom_isa::image::SectionKind;
use bitloom_isa::{numfmt, rle};

use crate::ast::{Arg, Expr};
use crate::diag::Diagnostic;
use crate::source::Span;

use super::{plural, stmt_span, Asm, At, DataKind, Item, ItemKind, MAX_SECTION};

impl<'o> Asm<'o> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn data_values(
        &mut self,
        n: &str,
        name: Span,
        args: &[Arg],
        idx: u32,
        exp: u32,
        kind: DataKind,
        size: u64,
        skip: usize,
    ) {
        if args.len() <= skip {
            self.bad_arg(
                stmt_span(name, args),
                format!("`{n}` needs at least one value"),
                "no values given",
                exp,
            );
            return;
        }
        if self.secs[self.cur].kind == SectionKind::Bss {
            self.bss_data(name, exp);
            return;
        }
        for a in &args[skip..] {
            if !matches!(a, Arg::Expr(_)) {
                self.bad_arg(
                    a.span(),
                    format!("`{n}` expects numeric expressions"),
                    "not a number",
                    exp,
                );
                return;
            }
        }
        let at = self.at();
        if let DataKind::Int(s) = kind {
            if s > 1 && !at.off.is_multiple_of(s as u32) {
                let d = Diagnostic::warning(
                    name,
                    format!("`{n}` data at offset {} is not {s}-byte aligned", at.off),
                )
                .label("unaligned")
                .note("loads and stores of this width trap on unaligned addresses")
                .help(format!("insert `.align {s}` before it"));
                let d = self.with_expansion(d, exp);
                self.warnings.push(d);
            }
        }
        if let DataKind::Int(_) = kind {
            // Values that are constants known here are emitted now (like instructions whose
            // operands are known, see `encode_early`): no item, and the line can go.
            // Anything else, including an out-of-range value, is left to pass 2, which
            // reports exactly what it would have.
            self.early = true;
            let r = self.data(kind, &args[skip..], at);
            self.early = false;
            if let Ok(bytes) = r {
                if bytes.len() as u64 == size {
                    if self.grow(size, name, exp) {
                        self.write(at.sec, at.off, &bytes);
                    }
                    self.line_done = true;
                    return;
                }
            }
        }
        self.data_item(kind, size, at, name, idx, exp);
    }

    /// Reserve `size` bytes for a data item at `at` (the current offset) that pass 2 fills.
    fn data_item(&mut self, kind: DataKind, size: u64, at: At, name: Span, idx: u32, exp: u32) {
        let loc = self.loc(name, exp);
        if self.grow(size, name, exp) {
            self.items.push(Item {
                kind: ItemKind::Data(kind),
                line: idx,
                at,
                exp,
                loc,
            });
        }
    }

    pub(super) fn fill(&mut self, name: Span, args: &[Arg], idx: u32, exp: u32) {
        let exprs: Vec<&Expr> = expr_args(args).collect();
        if exprs.len() != args.len() || args.is_empty() || args.len() > 3 {
            self.bad_arg(
                stmt_span(name, args),
                "`.fill` takes `COUNT[, SIZE[, VALUE]]`",
                "malformed arguments",
                exp,
            );
            return;
        }
        let Some(cnt) = self.const1(exprs[0], exp, "`.fill` count") else {
            return;
        };
        let size = match exprs.get(1) {
            Some(e) => match self.const1(e, exp, "`.fill` size") {
                Some(s) => s,
                None => return,
            },
            None => 1,
        };
        if !matches!(size, 1 | 2 | 4) {
            self.bad_arg(
                exprs[1].span(),
                format!("`.fill` size must be 1, 2 or 4, found {size}"),
                "invalid size",
                exp,
            );
            return;
        }
        if !(0..=(MAX_SECTION as i64) / size).contains(&cnt) {
            self.bad_arg(
                exprs[0].span(),
                format!(
                    "`.fill` count must be 0..={}, found {cnt}",
                    MAX_SECTION as i64 / size
                ),
                "invalid count",
                exp,
            );
            return;
        }
        if self.secs[self.cur].kind == SectionKind::Bss {
            let zero = match exprs.get(2) {
                Some(e) => self.const1(e, exp, "`.fill` value") == Some(0),
                None => true,
            };
            if !zero {
                self.bss_data(name, exp);
                return;
            }
            self.grow((cnt * size) as u64, name, exp);
            return;
        }
        let kind = DataKind::Fill {
            n: cnt as u32,
            size: size as u8,
        };
        let at = self.at();
        self.data_item(kind, (cnt * size) as u64, at, name, idx, exp);
    }

    /// `.tile PREC, v, ...` (`tile`) or `.scales BITS, v, ...`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn packed_codes(
        &mut self,
        l: &str,
        tile: bool,
        n: &str,
        name: Span,
        args: &[Arg],
        idx: u32,
        exp: u32,
    ) {
        let sp = stmt_span(name, args);
        let what = if tile { "precision" } else { "scale width" };
        let Some((Arg::Expr(p), vals)) = args.split_first() else {
            self.bad_arg(
                sp,
                format!("`{l}` needs a {what} (1..8) followed by values"),
                "missing arguments",
                exp,
            );
            return;
        };
        let Some(prec) = self.const1(p, exp, what) else {
            return;
        };
        if !self.width_ok(prec, p.span(), what, "invalid width", exp) {
            return;
        }
        if vals.is_empty() {
            self.bad_arg(
                sp,
                format!("`{l}` needs at least one value after the {what}"),
                "no values",
                exp,
            );
            return;
        }
        let size = numfmt::packed_len(vals.len(), prec as u32) as u64;
        self.packed_run(name, vals.len() as u64 * prec as u64, exp);
        let kind = if tile {
            DataKind::Tile(prec as u8)
        } else {
            DataKind::Scales(prec as u8)
        };
        self.data_values(n, name, args, idx, exp, kind, size, 1);
    }

    /// A packed directive (`name`) of `bits` bits: warn if the previous statement was a
    /// packed directive that ended mid-byte (its padding now sits between the two runs),
    /// and remember whether this one does.
    fn packed_run(&mut self, name: Span, bits: u64, exp: u32) {
        if let Some(p) = self.last_pad.take() {
            if p.stmt + 1 == self.stmt_no && !self.labeled {
                let (prev, this) = (self.text(p.name).to_string(), self.text(name).to_string());
                let pad = 8 - p.used;
                let used = super::plural(p.used as usize, "bit");
                let d = Diagnostic::warning(
                    p.name,
                    format!(
                        "`{prev}` ends mid-byte: {} of padding before the next `{this}`",
                        super::plural(pad as usize, "zero bit")
                    ),
                );
                let d = if p.name == name {
                    // The same line again: a `.rept`/`.irp`/`.irpc` body or a macro.
                    d.label(format!("its last byte holds {used} of data, and the next repetition starts at the next byte"))
                } else {
                    d.label(format!("its last byte holds {used} of data")).with(
                        name,
                        "starts at the next byte, not where the previous run ended",
                    )
                };
                let d = d
                .note("each packed directive starts on a byte boundary and pads its last byte with zeros")
                .help("for one run, write the codes in one directive (end a line with `\\` to continue it on the next); if the gap is intended, put a label or `.balign 1` between them");
                let d = self.with_expansion(d, p.exp);
                self.warnings.push(d);
            }
        }
        if !bits.is_multiple_of(8) {
            self.last_pad = Some(super::Pad {
                stmt: self.stmt_no,
                name,
                exp,
                used: (bits % 8) as u32,
            });
        }
    }

    /// `.lut v, ...`.
    pub(super) fn lut(&mut self, n: &str, name: Span, args: &[Arg], idx: u32, exp: u32) {
        let k = args.len();
        if !(2..=256).contains(&k) || !k.is_power_of_two() {
            let d = Diagnostic::error(
                stmt_span(name, args),
                format!(
                    "`.lut` needs a power-of-two number of entries between 2 and 256, found {k}"
                ),
            )
            .label(format!(
                "{k} {} here",
                if k == 1 { "entry" } else { "entries" }
            ))
            .help(format!(
                "a LUT for b-bit codes has 2^b entries; pad to {}",
                k.max(2).next_power_of_two().min(256)
            ));
            self.error(d, exp);
            return;
        }
        self.data_values(n, name, args, idx, exp, DataKind::Lut, k as u64, 0);
    }

    /// Is `v` a field width of 1..8 bits? Reports `{what} must be 1..8 bits` if not.
    fn width_ok(&mut self, v: i64, sp: Span, what: &str, label: &str, exp: u32) -> bool {
        if (1..=8).contains(&v) {
            return true;
        }
        self.bad_arg(
            sp,
            format!("{what} must be 1..8 bits, found {v}"),
            label,
            exp,
        );
        false
    }

    pub(super) fn rle(&mut self, name: Span, args: &[Arg], exp: u32) {
        let exprs: Vec<&Expr> = expr_args(args).collect();
        if args.len() < 3 || exprs.len() != args.len() {
            self.bad_arg(
                stmt_span(name, args),
                "`.rle` takes `PREC, RUNBITS, v, ...`",
                "malformed arguments",
                exp,
            );
            return;
        }
        let Some(prec) = self.const1(exprs[0], exp, "precision") else {
            return;
        };
        if !self.width_ok(prec, exprs[0].span(), "precision", "invalid precision", exp) {
            return;
        }
        let Some(run) = self.const1(exprs[1], exp, "run-length width") else {
            return;
        };
        if !self.width_ok(
            run,
            exprs[1].span(),
            "run-length field width",
            "invalid width",
            exp,
        ) {
            return;
        }
        if self.secs[self.cur].kind == SectionKind::Bss {
            self.bss_data(name, exp);
            return;
        }
        let mut codes = Vec::with_capacity(args.len() - 2);
        let mut ok = true;
        for e in &exprs[2..] {
            let Some(v) = self.const1(e, exp, "`.rle` value") else {
                ok = false;
                continue;
            };
            match self.code(v, prec as u32, e.span(), "precision", true) {
                Ok(c) => codes.push(c),
                Err(d) => {
                    self.error(d, exp);
                    ok = false;
                }
            }
        }
        if ok {
            let bytes = rle::encode(&codes, prec as u32, run as u32);
            self.emit_bytes(&bytes, name, exp);
        }
    }

    /// Check a code for `bits` bits: 0..2^bits-1, or (if `signed_ok`) negative down to
    /// -2^(bits-1), stored two's complement.
    fn code(
        &self,
        v: i64,
        bits: u32,
        sp: Span,
        what: &str,
        signed_ok: bool,
    ) -> Result<u8, Diagnostic> {
        let hi = (1i64 << bits) - 1;
        let lo = if signed_ok { -(1i64 << (bits - 1)) } else { 0 };
        if v < lo || v > hi {
            let range = if signed_ok {
                format!("0..={hi} (or {lo}..=-1 as two's complement)")
            } else {
                format!("0..={hi}")
            };
            return Err(
                Diagnostic::error(sp, format!("value {v} does not fit in {bits} bits"))
                    .label(format!("out of range for {what} {bits}"))
                    .note(format!("{bits}-bit codes must be {range}")),
            );
        }
        Ok((v as u64 & hi as u64) as u8)
    }

    pub(super) fn data(
        &self,
        k: DataKind,
        args: &[Arg],
        at: At,
    ) -> Result<Vec<u8>, Vec<Diagnostic>> {
        let mut errs = Vec::new();
        let mut out: Vec<u8> = Vec::new();
        let exprs = expr_args(args);
        match k {
            DataKind::Int(size) => {
                let (lo, hi) = int_range(size);
                for e in exprs {
                    match self.value(e, at) {
                        Ok(v) if v < lo || v > hi => errs.push(
                            Diagnostic::error(
                                e.span(),
                                format!(
                                    "value {v} does not fit in {}",
                                    plural(size as usize, "byte")
                                ),
                            )
                            .label(format!("must be {lo}..={hi}")),
                        ),
                        Ok(v) => out.extend_from_slice(&(v as u32).to_le_bytes()[..size as usize]),
                        Err(d) => errs.push(d),
                    }
                }
            }
            DataKind::Fill { n, size } => {
                let v = match args.get(2) {
                    Some(Arg::Expr(e)) => match self.value(e, at) {
                        Ok(v) => v,
                        Err(d) => return Err(vec![d]),
                    },
                    _ => 0,
                };
                let (lo, hi) = int_range(size);
                if v < lo || v > hi {
                    let sp = args.get(2).map(Arg::span).unwrap_or_default();
                    return Err(vec![Diagnostic::error(
                        sp,
                        format!(
                            "fill value {v} does not fit in {}",
                            plural(size as usize, "byte")
                        ),
                    )
                    .label(format!("must be {lo}..={hi}"))]);
                }
                let b = (v as u32).to_le_bytes();
                out.reserve(n as usize * size as usize);
                for _ in 0..n {
                    out.extend_from_slice(&b[..size as usize]);
                }
            }
            DataKind::Tile(p) | DataKind::Scales(p) => {
                let tile = matches!(k, DataKind::Tile(_));
                let mut codes = Vec::with_capacity(args.len());
                for e in exprs.skip(1) {
                    match self.value(e, at).and_then(|v| {
                        self.code(
                            v,
                            p as u32,
                            e.span(),
                            if tile { "precision" } else { "scale width" },
                            tile,
                        )
                    }) {
                        Ok(c) => codes.push(c),
                        Err(d) => errs.push(d),
                    }
                }
                out = numfmt::pack(&codes, p as u32);
            }
            DataKind::Lut => {
                let (lo, hi) = int_range(1);
                for e in exprs {
                    match self.value(e, at) {
                        Ok(v) if !(lo..=hi).contains(&v) => errs.push(
                            Diagnostic::error(
                                e.span(),
                                format!("LUT entry {v} does not fit in a byte"),
                            )
                            .label("must be -128..=255")
                            .note(
                                "LUT entries are signed 8-bit values (or 0..=255 written unsigned)",
                            ),
                        ),
                        Ok(v) => out.push(v as u8),
                        Err(d) => errs.push(d),
                    }
                }
            }
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(out)
    }
}

impl Asm<'_> {
    /// The file named by string `s`, resolved like `.include`: relative to the including
    /// file's directory (a macro's: its definition's), then each include directory.
    fn data_file(&mut self, src: u32, s: Span, what: &str, exp: u32) -> Option<(PathBuf, Vec<u8>)> {
        let (rel, s0) = self.named_file(src, s);
        let tried = self.file_candidates(&rel, s0);
        let Some(path) = tried.iter().find(|p| p.is_file()).cloned() else {
            let list: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
            let d = Diagnostic::error(s, format!("{what} file not found: `{rel}`"))
                .label("no such file")
                .note(format!("looked for: {}", list.join(", ")))
                .help("paths are relative to the including file, as for `.include`");
            self.error(d, exp);
            return None;
        };
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if len > MAX_SECTION {
            let d = Diagnostic::error(
                s,
                format!("`{rel}` is {len} bytes, larger than a section may be"),
            )
            .label("too large");
            self.error(d, exp);
            return None;
        }
        match std::fs::read(&path) {
            Ok(b) => Some((path, b)),
            Err(e) => {
                let d =
                    Diagnostic::error(s, format!("cannot read `{rel}`: {e}")).label("unreadable");
                self.error(d, exp);
                None
            }
        }
    }

    /// `.incbin "file"[, OFFSET[, LENGTH]]`: the file's bytes from OFFSET (default 0), LENGTH
    /// of them (default: to the end).
    pub(super) fn incbin(&mut self, src: u32, name: Span, args: &[Arg], exp: u32) {
        let sp = stmt_span(name, args);
        let (s, rest) = match args.split_first() {
            Some((Arg::Str(s), rest))
                if rest.len() <= 2 && rest.iter().all(|a| matches!(a, Arg::Expr(_))) =>
            {
                (*s, rest)
            }
            _ => {
                self.bad_arg(
                    sp,
                    "`.incbin` takes `\"file\"[, OFFSET[, LENGTH]]`",
                    "malformed arguments",
                    exp,
                );
                return;
            }
        };
        let mut nums = Vec::new();
        for e in expr_args(rest) {
            let Some(v) = self.const1(e, exp, "`.incbin` offset/length") else {
                return;
            };
            if v < 0 {
                self.bad_arg(
                    e.span(),
                    format!("`.incbin` offset and length must be ≥ 0, found {v}"),
                    "negative",
                    exp,
                );
                return;
            }
            nums.push((v as u64, e.span()));
        }
        if self.secs[self.cur].kind == SectionKind::Bss {
            self.bss_data(name, exp);
            return;
        }
        let Some((_, bytes)) = self.data_file(src, s, "`.incbin`", exp) else {
            return;
        };
        let flen = bytes.len() as u64;
        let off = nums.first().map_or(0, |n| n.0);
        if off > flen {
            let d = Diagnostic::error(
                nums[0].1,
                format!("offset {off} is past the end of the file ({flen} bytes)"),
            )
            .label("beyond the file");
            self.error(d, exp);
            return;
        }
        let len = nums.get(1).map_or(flen - off, |n| n.0);
        if off + len > flen {
            let d = Diagnostic::error(
                nums[1].1,
                format!(
                    "{len} bytes from offset {off} run past the end of the file ({flen} bytes)"
                ),
            )
            .label("beyond the file");
            self.error(d, exp);
            return;
        }
        self.emit_bytes(&bytes[off as usize..(off + len) as usize], name, exp);
    }

    /// `.npy "file", PREC[, ROWS, COLS[, RUNBITS]]`: an integer `.npy` of codes (or signed
    /// values, stored two's complement as `.tile` does) packed at PREC bits, or RLE-encoded
    /// with RUNBITS-bit runs; with ROWS, COLS the file's shape must be `(ROWS, COLS)` (or
    /// `(COLS,)` when ROWS is 1).
    pub(super) fn npy(&mut self, src: u32, name: Span, args: &[Arg], exp: u32) {
        let sp = stmt_span(name, args);
        let usage = "`.npy` takes `\"file.npy\", PREC[, ROWS, COLS[, RUNBITS]]`";
        let (s, rest) = match args.split_first() {
            Some((Arg::Str(s), rest))
                if matches!(rest.len(), 1 | 3 | 4)
                    && rest.iter().all(|a| matches!(a, Arg::Expr(_))) =>
            {
                (*s, rest)
            }
            _ => {
                self.bad_arg(sp, usage, "malformed arguments", exp);
                return;
            }
        };
        let exprs: Vec<&Expr> = expr_args(rest).collect();
        let Some(prec) = self.const1(exprs[0], exp, "precision") else {
            return;
        };
        if !self.width_ok(prec, exprs[0].span(), "precision", "invalid precision", exp) {
            return;
        }
        let mut shape = None;
        if exprs.len() >= 3 {
            let (Some(r), Some(c)) = (
                self.const1(exprs[1], exp, "rows"),
                self.const1(exprs[2], exp, "columns"),
            ) else {
                return;
            };
            if r < 1 || c < 1 {
                self.bad_arg(
                    exprs[1].span(),
                    format!("rows and columns must be ≥ 1, found {r}, {c}"),
                    "invalid shape",
                    exp,
                );
                return;
            }
            shape = Some((r as u64, c as u64));
        }
        let mut run = None;
        if let Some(e) = exprs.get(3) {
            let Some(r) = self.const1(e, exp, "run-length width") else {
                return;
            };
            if !self.width_ok(r, e.span(), "run-length field width", "invalid width", exp) {
                return;
            }
            run = Some(r as u32);
        }
        if self.secs[self.cur].kind == SectionKind::Bss {
            self.bss_data(name, exp);
            return;
        }
        let Some((path, bytes)) = self.data_file(src, s, "`.npy`", exp) else {
            return;
        };
        let fname = path.display().to_string();
        let (fshape, vals) = match bitloom_quant::npy::parse_int(&fname, &bytes) {
            Ok(x) => x,
            Err(e) => {
                let d = Diagnostic::error(s, e.to_string()).label("bad .npy file");
                self.error(d, exp);
                return;
            }
        };
        if let Some((r, c)) = shape {
            let ok = match fshape.as_slice() {
                [fr, fc] => *fr as u64 == r && *fc as u64 == c,
                [n] => r == 1 && *n as u64 == c,
                _ => false,
            };
            if !ok {
                let d = Diagnostic::error(
                    s,
                    format!(
                        "`{fname}` has shape {}, the directive asks for ({r}, {c})",
                        bitloom_quant::npy::shape_str(&fshape)
                    ),
                )
                .label("wrong shape");
                self.error(d, exp);
                return;
            }
        }
        let mut codes = Vec::with_capacity(vals.len());
        let mut bad = Vec::new();
        for (i, &v) in vals.iter().enumerate() {
            match self.code(v, prec as u32, s, "precision", true) {
                Ok(c) => codes.push(c),
                Err(_) => bad.push((i, v)),
            }
        }
        if let Some(&(i, v)) = bad.first() {
            let p = prec as u32;
            let d = Diagnostic::error(
                s,
                format!(
                    "`{fname}`: value {v} at element {i} does not fit in {p} bits{}",
                    if bad.len() > 1 {
                        format!(" ({} values out of range)", bad.len())
                    } else {
                        String::new()
                    }
                ),
            )
            .label("out of range for the precision")
            .note(format!(
                "{p}-bit codes must be 0..={} (or {}..=-1 as two's complement)",
                (1i64 << p) - 1,
                -(1i64 << (p - 1))
            ));
            self.error(d, exp);
            return;
        }
        let out = match run {
            Some(r) => rle::encode(&codes, prec as u32, r),
            None => {
                self.packed_run(name, codes.len() as u64 * prec as u64, exp);
                numfmt::pack(&codes, prec as u32)
            }
        };
        self.emit_bytes(&out, name, exp);
    }
}

/// The arguments that are expressions.
fn expr_args(args: &[Arg]) -> impl Iterator<Item = &Expr> {
    args.iter()
        .filter_map(|a| if let Arg::Expr(e) = a { Some(e) } else { None })
}

/// Values a `size`-byte integer accepts, signed or unsigned.
fn int_range(size: u8) -> (i64, i64) {
    match size {
        1 => (-128, 255),
        2 => (-32768, 65535),
        _ => (i32::MIN as i64, u32::MAX as i64),
    }
}
