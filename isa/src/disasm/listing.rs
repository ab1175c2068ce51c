//! `objdump -d` / `-D`: the disassembly listing in GNU objdump's layout for a fixed-width
//! 32-bit ISA (as for RISC-V):
//!
//! ```text
//! Disassembly of section .text:      (tabs shown as blanks)
//!
//! 00001000 <_start>:
//!     1000:   00100120    addi    r1, r0, 4
//!     1014:   ffffa146    dbnz    r1, 0x1008 <loop>
//! ```
//!
//! One block per label (`<symbol>:`; a block that starts where no label is, at the section
//! start or `--start-address`, is headed `<symbol+0xN>` or `<.section+0xN>`), the address with
//! GNU's leading-zero trimming, the word as one little-endian hex number, the mnemonic and
//! the operands separated by a tab. Branch targets are addresses followed by `<symbol+0xN>`.
//! Undecodable words print as `.word` with the reason; a tail shorter than a word as `.byte`.
//! A run of at least 8 zero bytes inside a block prints as `...` (unless `-z`).

use std::fmt::Write as _;

use super::srclines::SourceLines;
use super::symindex::SymIndex;
use super::{illegal_reason, Disassemble, ObjFile, ObjdumpOptions, SHF_EXECINSTR, SHT_NOBITS};
use crate::image::SymbolKind;
use crate::Instr;

/// Zero bytes from which a run is collapsed into `...` (GNU's `skip_zeroes`).
const SKIP_ZEROES: u64 = 8;
/// Zero bytes at a block end that are dropped without `...` below this (GNU's
/// `skip_zeroes_at_end`).
const SKIP_ZEROES_AT_END: u64 = 3;

pub(super) fn disassemble(out: &mut String, file: &ObjFile<'_>, opts: &ObjdumpOptions) {
    let img = file.image;
    let syms = SymIndex::new(img);
    let mut src = SourceLines::new(
        img,
        opts.source_dir.as_deref(),
        opts.source,
        opts.line_numbers,
    );
    for s in &file.sections {
        let wanted = match opts.disassemble {
            Disassemble::All => true,
            _ => s.flags & SHF_EXECINSTR != 0,
        };
        if !wanted || s.sh_type == SHT_NOBITS || !opts.selected(&s.name) {
            continue;
        }
        let Some((start, stop)) = opts.range(s.addr, s.contents.len() as u64) else {
            continue;
        };
        let si = file.image_section(s);
        let _ = writeln!(out, "\nDisassembly of section {}:", s.name);
        let addr_width = address_width(s.addr + s.size);
        let labels: Vec<u64> = si
            .map(|si| syms.label_addrs(si))
            .unwrap_or_default()
            .into_iter()
            .map(u64::from)
            .collect();
        let mut off = start;
        while off < stop {
            let addr = s.addr + off;
            let label = si.and_then(|si| syms.label_at(si, addr as u32));
            if let Some(sym) = label {
                let _ = writeln!(out, "\n{addr:08x} <{}>:", sym.name);
            } else if off == start {
                let head = match si.and_then(|si| syms.enclosing_label(si, addr as u32)) {
                    Some((sym, 0)) => sym.name.clone(),
                    Some((sym, d)) => format!("{}+0x{d:x}", sym.name),
                    None if off == 0 => s.name.clone(),
                    None => format!("{}+0x{off:x}", s.name),
                };
                let _ = writeln!(out, "\n{addr:08x} <{head}>:");
            }
            // The block runs to the next label (or the end of what is listed).
            let next = labels.partition_point(|&a| a <= addr);
            let block_end = labels.get(next).map_or(stop, |&a| (a - s.addr).min(stop));
            off = block(
                out,
                file,
                s,
                &syms,
                &mut src,
                opts,
                (off, block_end),
                addr_width,
            );
        }
    }
}

/// Digits GNU prints of an instruction address: 8, less a multiple of 4 of the leading zeros
/// of the section's end address, never all of them.
fn address_width(end: u64) -> usize {
    let digits = format!("{:08x}", end & 0xffff_ffff);
    let zeros = digits.bytes().take_while(|&b| b == b'0').count();
    let skip = if zeros == 0 || zeros == digits.len() {
        0
    } else {
        (zeros - 1) & !3
    };
    8 - skip
}

/// List `off .. end` of section `s` (one block); returns where the next block starts.
#[allow(clippy::too_many_arguments)]
fn block(
    out: &mut String,
    file: &ObjFile<'_>,
    s: &crate::elf::ElfSection,
    syms: &SymIndex<'_>,
    src: &mut SourceLines<'_>,
    opts: &ObjdumpOptions,
    (mut off, end): (u64, u64),
    width: usize,
) -> u64 {
    let data = &s.contents;
    let in_image = file.image_section(s).is_some();
    while off < end {
        let addr = s.addr + off;
        if !opts.zeroes {
            let zeros = data[off as usize..end as usize]
                .iter()
                .take_while(|&&b| b == 0)
                .count() as u64;
            let z = off + zeros;
            if zeros >= SKIP_ZEROES || (z == end && zeros > 0 && zeros < SKIP_ZEROES_AT_END) {
                out.push_str("\t...\n");
                off = if z == end { z } else { off + (zeros & !3) };
                continue;
            }
        }
        if in_image {
            let func = syms
                .symbolize(addr as u32)
                .filter(|(sym, _)| sym.kind == SymbolKind::Func)
                .map(|(sym, _)| sym.name.as_str());
            src.show(out, addr as u32, func);
        }
        // GNU blanks the leading zeros of the trimmed address: right-aligned hex.
        let a = format!("{:>width$x}", addr & 0xffff_ffff);
        let Some(chunk) = data
            .get(off as usize..off as usize + 4)
            .filter(|_| off + 4 <= end)
        else {
            let rest = &data[off as usize..end as usize];
            let hex: String = rest.iter().map(|b| format!("{b:02x}")).collect();
            let list: Vec<String> = rest.iter().map(|b| format!("0x{b:02x}")).collect();
            let _ = writeln!(out, "{a}:\t{hex:<8} \t.byte\t{}", list.join(", "));
            return end;
        };
        let word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let text = match Instr::decode(word) {
            Ok(ins) => {
                let target = |t: u32| {
                    Some(match syms.sym_ref(t) {
                        Some(r) => format!("0x{t:x} {r}"),
                        None => format!("0x{t:x}"),
                    })
                };
                let t = ins.format(addr as u32, &target);
                match t.split_once(' ') {
                    Some((m, ops)) => format!("{m}\t{ops}"),
                    None => t,
                }
            }
            Err(e) => format!(".word\t0x{word:08x}\t; illegal: {}", illegal_reason(&e)),
        };
        let _ = writeln!(out, "{a}:\t{word:08x} \t{text}");
        off += 4;
    }
    end
}
