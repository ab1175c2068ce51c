//! `bitloom run --dump`: memory ranges and tiles written as `.npy` after a run (also after
//! a trap: the state at the trap).
//!
//! Spec syntax ([`parse_dump_spec`]):
//!
//! * `SYM[+OFF][:LEN][:DTYPE]=FILE` — DRAM from symbol `SYM` (or a number, `0x2000`), `LEN`
//!   elements of `DTYPE` (`u8` default, `i8`, `u16`, `i16`, `u32`, `i32`; little-endian);
//!   without `LEN`, the symbol's size in bytes divided by the element size. Shape `(LEN,)`.
//! * `tN[:codes|:values]=FILE` — tile `tN`, shape `(rows, cols)`: `values` (default) are
//!   int32 after zero-point, LUT and log decoding (`Machine::tile_values`; log codes give
//!   their product with x = 1); `codes` are the raw uint8 codes. Accumulator tiles are
//!   int32 values (`:codes` is an error).
//!
//! Files are written atomically: a temporary file beside the destination, renamed into
//! place when complete.

use std::path::{Path, PathBuf};

use crate::machine::Machine;

/// Element type of a memory dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    /// uint8.
    U8,
    /// int8.
    I8,
    /// uint16.
    U16,
    /// int16.
    I16,
    /// uint32.
    U32,
    /// int32.
    I32,
}

impl Dtype {
    fn parse(s: &str) -> Option<Dtype> {
        Some(match s {
            "u8" | "uint8" => Dtype::U8,
            "i8" | "int8" => Dtype::I8,
            "u16" | "uint16" => Dtype::U16,
            "i16" | "int16" => Dtype::I16,
            "u32" | "uint32" => Dtype::U32,
            "i32" | "int32" => Dtype::I32,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> u32 {
        match self {
            Dtype::U8 | Dtype::I8 => 1,
            Dtype::U16 | Dtype::I16 => 2,
            Dtype::U32 | Dtype::I32 => 4,
        }
    }

    /// NumPy name.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::U8 => "uint8",
            Dtype::I8 => "int8",
            Dtype::U16 => "uint16",
            Dtype::I16 => "int16",
            Dtype::U32 => "uint32",
            Dtype::I32 => "int32",
        }
    }
}

/// Where a memory dump starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base {
    /// A symbol plus a byte offset.
    Symbol(String, u32),
    /// An address.
    Addr(u32),
}

/// What to dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    /// DRAM: base, element count (`None`: the symbol's size), element type.
    Memory(Base, Option<u32>, Dtype),
    /// Tile register, as codes (`true`) or values.
    Tile(u8, bool),
}

/// One `--dump` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DumpSpec {
    /// Source.
    pub what: What,
    /// Destination file.
    pub path: PathBuf,
}

/// Largest memory dump (256 MiB).
pub const MAX_DUMP_BYTES: u64 = 1 << 28;

fn number(s: &str) -> Option<u32> {
    let s = s.trim();
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()
    } else {
        s.parse().ok()
    }
}

/// Parse `SYM[+OFF][:LEN][:DTYPE]=FILE` or `tN[:codes|:values]=FILE`.
pub fn parse_dump_spec(spec: &str) -> Result<DumpSpec, String> {
    let usage = "expected SYM[+OFF][:LEN][:DTYPE]=FILE.npy or tN[:codes|:values]=FILE.npy";
    let (lhs, file) = spec
        .split_once('=')
        .ok_or_else(|| format!("`{spec}`: no `=FILE`; {usage}"))?;
    if file.is_empty() {
        return Err(format!("`{spec}`: empty file name; {usage}"));
    }
    let mut parts = lhs.split(':');
    let head = parts.next().unwrap_or("").trim();
    let rest: Vec<&str> = parts.map(str::trim).collect();
    let path = PathBuf::from(file);
    // A tile register: t0..t15.
    if let Some(n) = head.strip_prefix('t').and_then(|n| n.parse::<u8>().ok()) {
        if n > 15 {
            return Err(format!("`{spec}`: tile registers are t0..t15"));
        }
        let codes = match rest.as_slice() {
            [] | ["values"] => false,
            ["codes"] => true,
            _ => return Err(format!("`{spec}`: a tile dumps as `:codes` or `:values`")),
        };
        return Ok(DumpSpec {
            what: What::Tile(n, codes),
            path,
        });
    }
    if head.is_empty() {
        return Err(format!("`{spec}`: no symbol or address; {usage}"));
    }
    let base = match number(head) {
        Some(a) => Base::Addr(a),
        None => {
            let (name, off) = match head.split_once('+') {
                Some((n, o)) => (
                    n.trim(),
                    number(o).ok_or_else(|| format!("`{spec}`: bad offset `{o}`"))?,
                ),
                None => (head, 0),
            };
            if name.is_empty() || name.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                return Err(format!("`{spec}`: bad symbol or address `{head}`"));
            }
            Base::Symbol(name.to_string(), off)
        }
    };
    let mut len = None;
    let mut dtype = Dtype::U8;
    for (i, p) in rest.iter().enumerate() {
        if let Some(d) = Dtype::parse(p) {
            if i + 1 != rest.len() {
                return Err(format!("`{spec}`: the dtype comes last"));
            }
            dtype = d;
        } else if let (0, Some(n)) = (i, number(p)) {
            len = Some(n);
        } else {
            return Err(format!(
                "`{spec}`: `{p}` is neither a length nor a dtype (u8, i8, u16, i16, u32, i32)"
            ));
        }
    }
    if len == Some(0) {
        return Err(format!("`{spec}`: length 0"));
    }
    Ok(DumpSpec {
        what: What::Memory(base, len, dtype),
        path,
    })
}

/// Write `data` as a `.npy` array of `shape` atomically: a temporary file in the same
/// directory, renamed into place only when complete (the debugger's `dump` uses it too).
pub fn write_npy<T: npyz::AutoSerialize + Copy>(
    path: &Path,
    data: &[T],
    shape: &[u64],
) -> Result<(), String> {
    let shape: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
    bitloom_quant::npy::write_with(path, data, &shape).map_err(|e| e.to_string())
}

fn words<const N: usize>(b: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    b.chunks_exact(N).map(|c| {
        let mut a = [0u8; N];
        a.copy_from_slice(c);
        a
    })
}

/// An existing `path` that is one of the program's source files (from the line table).
pub fn is_program_source(m: &Machine, path: &Path) -> bool {
    let Ok(dest) = std::fs::canonicalize(path) else {
        return false;
    };
    m.image()
        .lines
        .files
        .iter()
        .any(|f| std::fs::canonicalize(f).is_ok_and(|c| c == dest))
}

/// Write one dump of `m`'s current state; returns a one-line description of what was
/// written. A destination that is one of the program's source files is refused.
pub fn write_dump(m: &Machine, d: &DumpSpec) -> Result<String, String> {
    let file = d.path.display();
    if is_program_source(m, &d.path) {
        return Err(format!(
            "--dump: {file} is a source file of the program; not overwriting it"
        ));
    }
    match &d.what {
        What::Tile(i, codes) => {
            let t = *m
                .tile(*i)
                .ok_or_else(|| format!("--dump t{i}: t{i} was never defined by tdef"))?;
            let shape = [u64::from(t.rows), u64::from(t.cols)];
            if *codes {
                if t.is_acc() {
                    return Err(format!(
                        "--dump t{i}:codes: t{i} is an accumulator tile; its elements are \
                         int32 values (drop :codes)"
                    ));
                }
                let c = m.tile_codes(*i).map_err(|e| format!("--dump t{i}: {e}"))?;
                write_npy(&d.path, &c, &shape)?;
                Ok(format!(
                    "dumped t{i} codes to {file} (uint8, shape ({}, {}))",
                    t.rows, t.cols
                ))
            } else {
                let v = m.tile_values(*i).map_err(|e| format!("--dump t{i}: {e}"))?;
                write_npy(&d.path, &v, &shape)?;
                Ok(format!(
                    "dumped t{i} values to {file} (int32, shape ({}, {}))",
                    t.rows, t.cols
                ))
            }
        }
        What::Memory(base, len, dtype) => {
            let (addr, label, size) = match base {
                Base::Addr(a) => (*a, format!("0x{a:08x}"), None),
                Base::Symbol(name, off) => {
                    let s = m
                        .image()
                        .symbols
                        .iter()
                        .find(|s| s.name == *name)
                        .ok_or_else(|| format!("--dump: no symbol `{name}` in the program"))?;
                    let a = s.value.checked_add(*off).ok_or_else(|| {
                        format!("--dump: {name}+{off} is beyond the address space")
                    })?;
                    let label = if *off == 0 {
                        name.clone()
                    } else {
                        format!("{name}+{off}")
                    };
                    (a, label, Some(s.size.saturating_sub(*off)))
                }
            };
            let es = dtype.size();
            let n = match (len, size) {
                (Some(n), _) => *n,
                (None, Some(sz)) if sz >= es => sz / es,
                (None, _) => {
                    return Err(format!(
                        "--dump {label}: no length given and the symbol has no size; write \
                         {label}:LEN=FILE"
                    ))
                }
            };
            let bytes = u64::from(n) * u64::from(es);
            if bytes > MAX_DUMP_BYTES {
                return Err(format!(
                    "--dump {label}: {bytes} bytes is more than the {} MiB limit",
                    MAX_DUMP_BYTES >> 20
                ));
            }
            let b = m
                .read_dram(addr, bytes as u32)
                .map_err(|_| format!("--dump {label}: 0x{addr:08x}+{bytes} is outside DRAM"))?;
            let shape = [u64::from(n)];
            match dtype {
                Dtype::U8 => write_npy(&d.path, &b, &shape)?,
                Dtype::I8 => write_npy(
                    &d.path,
                    &b.iter().map(|&x| x as i8).collect::<Vec<_>>(),
                    &shape,
                )?,
                Dtype::U16 => write_npy(
                    &d.path,
                    &words::<2>(&b).map(u16::from_le_bytes).collect::<Vec<_>>(),
                    &shape,
                )?,
                Dtype::I16 => write_npy(
                    &d.path,
                    &words::<2>(&b).map(i16::from_le_bytes).collect::<Vec<_>>(),
                    &shape,
                )?,
                Dtype::U32 => write_npy(
                    &d.path,
                    &words::<4>(&b).map(u32::from_le_bytes).collect::<Vec<_>>(),
                    &shape,
                )?,
                Dtype::I32 => write_npy(
                    &d.path,
                    &words::<4>(&b).map(i32::from_le_bytes).collect::<Vec<_>>(),
                    &shape,
                )?,
            }
            Ok(format!(
                "dumped {label} (0x{addr:08x}, {bytes} bytes) to {file} ({}, shape ({n},))",
                dtype.name()
            ))
        }
    }
}

/// Write every dump of `specs` (all are attempted); `trapped` adds that the state is the
/// trap's. Returns the messages, one line each, and whether all succeeded.
pub fn write_all(m: &Machine, specs: &[DumpSpec], trapped: bool) -> (String, bool) {
    let mut out = String::new();
    let mut ok = true;
    for d in specs {
        match write_dump(m, d) {
            Ok(msg) if trapped => {
                out += &format!("{msg}: the state at the trap (pc 0x{:08x})\n", m.pc)
            }
            Ok(msg) => out += &format!("{msg}\n"),
            Err(e) => {
                ok = false;
                out += &format!("error: {e}\n");
            }
        }
    }
    (out, ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let p = |s| parse_dump_spec(s).unwrap();
        assert_eq!(
            p("out:16:i32=o.npy").what,
            What::Memory(Base::Symbol("out".into(), 0), Some(16), Dtype::I32)
        );
        assert_eq!(
            p("buf+8=b.npy").what,
            What::Memory(Base::Symbol("buf".into(), 8), None, Dtype::U8)
        );
        assert_eq!(
            p("0x2000:4=a.npy").what,
            What::Memory(Base::Addr(0x2000), Some(4), Dtype::U8)
        );
        assert_eq!(p("t3=t.npy").what, What::Tile(3, false));
        assert_eq!(p("t15:codes=t.npy").what, What::Tile(15, true));
        assert_eq!(p("t1=a=b.npy").path, PathBuf::from("a=b.npy"));
        for bad in [
            "t16=x.npy",
            "t1:raw=x.npy",
            "out",
            "out=",
            "=x.npy",
            "out:0=x.npy",
            "out:f32=x.npy",
            "out:i32:4=x.npy",
        ] {
            assert!(parse_dump_spec(bad).is_err(), "{bad}");
        }
    }
}
