//! Memory requests: `disassemble` (the REPL's disassembler, one instruction at a time,
//! with each instruction's source line), `readMemory` and `writeMemory` on DRAM (base64
//! data; a write changes the run, as `set var` does).

use std::io::Write;

use data_encoding::BASE64;
use serde_json::{json, Value};

use super::breakpoints::source_of;
use super::protocol::{
    self, DisassembleArgs, DisassembledInstruction, ReadMemoryArgs, WriteMemoryArgs,
};
use super::{Adapter, Reply};
use crate::views;

/// Most instructions one `disassemble` returns.
const MAX_INSTRUCTIONS: i64 = 4096;
/// Most bytes one `readMemory` returns.
const MAX_READ: i64 = 1 << 20;

impl<W: Write> Adapter<W> {
    pub(super) fn disassemble(&mut self, a: &Value) -> Result<Reply, String> {
        let da: DisassembleArgs = protocol::args("disassemble", a)?;
        if !(0..=MAX_INSTRUCTIONS).contains(&da.instruction_count) {
            return Err(format!(
                "instructionCount must be 0..={MAX_INSTRUCTIONS}, not {}",
                da.instruction_count
            ));
        }
        let base = protocol::parse_address(&da.memory_reference)? as i64
            + da.offset
            + 4 * da.instruction_offset;
        let s = self.session();
        let mut out = Vec::new();
        for k in 0..da.instruction_count {
            let at = base + 4 * k;
            let decoded = u32::try_from(at)
                .ok()
                .and_then(|a| views::instruction_at(&s.dbg.m, a).map(|d| (a, d)));
            out.push(match decoded {
                Some((a, (w, text))) => {
                    let img = s.dbg.m.image();
                    let symbol = img
                        .symbolize(a)
                        .filter(|(_, off)| *off == 0)
                        .map(|(sym, _)| sym.name.clone());
                    let line = s.line_of(a);
                    DisassembledInstruction {
                        address: protocol::address(a),
                        instruction_bytes: Some(format!("{w:08x}")),
                        instruction: text,
                        symbol,
                        location: line.as_ref().map(|(f, _)| source_of(s, f)),
                        line: line.map(|(_, l)| l),
                        presentation_hint: None,
                    }
                }
                None => DisassembledInstruction {
                    address: if at >= 0 {
                        format!("0x{at:08x}")
                    } else {
                        format!("-0x{:x}", -at)
                    },
                    instruction_bytes: None,
                    instruction: "??".into(),
                    symbol: None,
                    location: None,
                    line: None,
                    presentation_hint: Some("invalid".into()),
                },
            });
        }
        Reply::body(json!({ "instructions": out }))
    }

    pub(super) fn read_memory(&mut self, a: &Value) -> Result<Reply, String> {
        let ra: ReadMemoryArgs = protocol::args("readMemory", a)?;
        if !(0..=MAX_READ).contains(&ra.count) {
            return Err(format!("count must be 0..={MAX_READ}, not {}", ra.count));
        }
        let at = protocol::parse_address(&ra.memory_reference)? as i64 + ra.offset;
        let m = &self.session().dbg.m;
        let dram = m.hw().mem.dram_bytes as i64;
        // The readable part: [at, at + count) within DRAM.
        let lo = at.clamp(0, dram);
        let hi = (at + ra.count).clamp(0, dram);
        let data = if hi > lo {
            m.read_dram(lo as u32, (hi - lo) as u32)
                .map_err(|e| e.to_string())?
        } else {
            Vec::new()
        };
        let skipped_front = (lo - at).clamp(0, ra.count);
        let address = protocol::address(lo.clamp(0, u32::MAX as i64) as u32);
        Reply::body(json!({
            "address": address,
            "data": BASE64.encode(&data),
            "unreadableBytes": ra.count - data.len() as i64 - skipped_front,
        }))
    }

    pub(super) fn write_memory(&mut self, a: &Value) -> Result<Reply, String> {
        let wa: WriteMemoryArgs = protocol::args("writeMemory", a)?;
        let data = BASE64
            .decode(wa.data.as_bytes())
            .map_err(|e| format!("writeMemory: `data` is not base64: {e}"))?;
        let at = protocol::parse_address(&wa.memory_reference)? as i64 + wa.offset;
        let s = self.session();
        let dram = s.dbg.m.hw().mem.dram_bytes as i64;
        if at < 0 || at >= dram {
            return Err(format!("0x{at:x} is outside DRAM"));
        }
        let fits = (dram - at).min(data.len() as i64) as usize;
        if fits < data.len() && !wa.allow_partial {
            return Err(format!(
                "{} bytes at 0x{at:x} do not fit in DRAM (allowPartial writes {fits})",
                data.len()
            ));
        }
        s.dbg
            .m
            .write_dram(at as u32, &data[..fits])
            .map_err(|e| e.to_string())?;
        s.dbg.diverged();
        Reply::body(json!({ "bytesWritten": fits }))
    }
}
