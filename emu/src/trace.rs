//! Traces: a Spike-style commit log (one line per retired instruction with its architectural
//! writes) and a Chrome trace-event timeline of the units, loadable in Perfetto or
//! `chrome://tracing`.

use std::fmt::Write as _;
use std::io::{self, Write};

use bitloom_isa::{csr, Instr};
use serde_json::{json, Value};

use crate::timing::{TimelineEvent, Unit};
use crate::work::Commit;

/// One commit-log line (without newline):
/// `[     cycle] core   0: 0x<pc> (0x<word>) <disassembly>   <writes>`, the writes being
/// `r4 0x00000005`, `csr wprec 0x00000004` (one per CSR written), `mem 0x00002000 +16` (DRAM
/// writes; scratchpad writes show as the tile they belong to), `tile t3`, `lut 1`.
/// `symbol` names branch targets (return `None` for plain addresses).
pub fn commit_line(
    cycle: u64,
    pc: u32,
    word: u32,
    instr: &Instr,
    commit: &Commit,
    symbol: &dyn Fn(u32) -> Option<String>,
) -> String {
    let mut s = String::with_capacity(96);
    let _ = write!(
        s,
        "[{cycle:>10}] core   0: 0x{pc:08x} (0x{word:08x}) {}",
        instr.format(pc, symbol)
    );
    let writes = commit_writes(commit);
    if !writes.is_empty() {
        let pad = 62usize.saturating_sub(s.len()).max(3);
        s.extend(std::iter::repeat_n(' ', pad));
        s.push_str(&writes);
    }
    s
}

/// The architectural writes of a commit record, space-separated (empty when none).
pub fn commit_writes(c: &Commit) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(g) = c.gpr {
        parts.push(format!("r{} 0x{:08x}", g.reg, g.new));
    }
    for w in &c.csrs {
        let name = csr::by_num(w.csr)
            .map(|d| d.name.to_string())
            .unwrap_or(w.csr.to_string());
        parts.push(format!("csr {name} 0x{:08x}", w.new));
    }
    for w in c.dram_writes() {
        parts.push(format!("mem 0x{:08x} +{}", w.addr, w.len()));
    }
    for t in c.tiles_written() {
        parts.push(format!("tile t{t}"));
    }
    for l in &c.luts {
        parts.push(format!("lut {}", l.lut));
    }
    parts.join("  ")
}

/// Write one commit-log line followed by a newline.
pub fn write_commit(
    out: &mut dyn Write,
    cycle: u64,
    pc: u32,
    word: u32,
    instr: &Instr,
    commit: &Commit,
    symbol: &dyn Fn(u32) -> Option<String>,
) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        commit_line(cycle, pc, word, instr, commit, symbol)
    )
}

/// Chrome trace-event JSON of a timeline: one complete (`"ph": "X"`) event per interval,
/// one thread (`tid`) per unit named by a `thread_name` metadata event, timestamps in
/// cycles shown as microseconds (1 µs on screen = 1 cycle).
pub fn chrome_trace(events: &[TimelineEvent], dropped: u64) -> Value {
    let mut out: Vec<Value> = Vec::with_capacity(events.len() + 6);
    out.push(
        json!({"name": "process_name", "ph": "M", "pid": 1, "tid": 0,
                    "args": {"name": "loom"}}),
    );
    for u in Unit::ALL {
        out.push(
            json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": u as u32 + 1,
                        "args": {"name": u.name()}}),
        );
        out.push(
            json!({"name": "thread_sort_index", "ph": "M", "pid": 1, "tid": u as u32 + 1,
                        "args": {"sort_index": u as u32}}),
        );
    }
    for e in events {
        out.push(json!({
            "name": e.name,
            "cat": e.unit.name(),
            "ph": "X",
            "ts": e.start,
            "dur": e.dur,
            "pid": 1,
            "tid": e.unit as u32 + 1,
            "args": {"pc": format!("0x{:08x}", e.pc)},
        }));
    }
    json!({
        "traceEvents": out,
        "displayTimeUnit": "ns",
        "otherData": {"time_unit": "1 us = 1 cycle", "dropped_events": dropped},
    })
}

/// Write the Chrome trace JSON of a timeline, streamed: the same bytes as serialising
/// [`chrome_trace`], without building the whole document in memory (a `serde_json::Value`
/// per event costs about a kilobyte).
pub fn write_chrome_trace(
    out: &mut dyn Write,
    events: &[TimelineEvent],
    dropped: u64,
) -> io::Result<()> {
    let js = |s: &str| serde_json::to_string(s).map_err(io::Error::other);
    write!(
        out,
        "{{\"displayTimeUnit\":\"ns\",\"otherData\":{{\"dropped_events\":{dropped},\"time_unit\":\"1 us = 1 cycle\"}},\"traceEvents\":["
    )?;
    write!(
        out,
        "{{\"args\":{{\"name\":\"loom\"}},\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0}}"
    )?;
    for u in Unit::ALL {
        let tid = u as u32 + 1;
        write!(
            out,
            ",{{\"args\":{{\"name\":{}}},\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":{tid}}}",
            js(u.name())?
        )?;
        write!(
            out,
            ",{{\"args\":{{\"sort_index\":{}}},\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1,\"tid\":{tid}}}",
            u as u32
        )?;
    }
    for e in events {
        write!(
            out,
            ",{{\"args\":{{\"pc\":\"0x{:08x}\"}},\"cat\":{},\"dur\":{},\"name\":{},\"ph\":\"X\",\"pid\":1,\"tid\":{},\"ts\":{}}}",
            e.pc,
            js(e.unit.name())?,
            e.dur,
            js(e.name)?,
            e.unit as u32 + 1,
            e.start
        )?;
    }
    writeln!(out, "]}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_timeline_is_the_serialised_document() {
        let events: Vec<TimelineEvent> = Unit::ALL
            .iter()
            .enumerate()
            .map(|(k, &unit)| TimelineEvent {
                unit,
                name: "bsmac \"q\"",
                start: 10 * k as u64,
                dur: 3 + k as u64,
                pc: 0x1000 + 4 * k as u32,
            })
            .collect();
        let mut buf = Vec::new();
        write_chrome_trace(&mut buf, &events, 7).unwrap();
        let want = serde_json::to_string(&chrome_trace(&events, 7)).unwrap() + "\n";
        assert_eq!(String::from_utf8(buf).unwrap(), want);
    }
}
