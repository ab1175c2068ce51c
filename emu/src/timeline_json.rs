//! The unit timeline as Chrome trace-event JSON (`bitloom run --timeline`), loadable in
//! Perfetto or `chrome://tracing`, versioned: `otherData.schema` is [`TIMELINE_SCHEMA`]
//! (trace viewers show `otherData` as trace metadata and ignore it otherwise).

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::timing::{TimelineEvent, Unit};

/// Version of the timeline JSON (`otherData.schema`). Bumped when an event's or a metadata
/// field's meaning, unit or name changes or one is removed; adding a field does not bump
/// it. docs/TIMING.md states the policy.
pub const TIMELINE_SCHEMA: u32 = 1;

/// Chrome trace-event JSON of a timeline: one complete (`"ph": "X"`) event per interval,
/// one thread (`tid`) per unit named by a `thread_name` metadata event, timestamps in
/// cycles shown as microseconds (1 µs on screen = 1 cycle); `otherData` holds the format
/// version, the time unit and the number of events dropped after the recording limit.
pub fn chrome_trace(events: &[TimelineEvent], dropped: u64) -> Value {
    let mut out: Vec<Value> = Vec::with_capacity(events.len() + 9);
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
        "otherData": {
            "schema": TIMELINE_SCHEMA,
            "time_unit": "1 us = 1 cycle",
            "dropped_events": dropped,
        },
    })
}

/// Write the Chrome trace JSON of a timeline, streamed: the same bytes as serialising
/// [`chrome_trace`] (keys in sorted order, as `serde_json` writes them), without building the
/// whole document in memory (a `serde_json::Value` per event costs about a kilobyte).
pub fn write_chrome_trace(
    out: &mut dyn Write,
    events: &[TimelineEvent],
    dropped: u64,
) -> io::Result<()> {
    let js = |s: &str| serde_json::to_string(s).map_err(io::Error::other);
    write!(
        out,
        "{{\"displayTimeUnit\":\"ns\",\"otherData\":{{\"dropped_events\":{dropped},\"schema\":{TIMELINE_SCHEMA},\"time_unit\":\"1 us = 1 cycle\"}},\"traceEvents\":["
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
        let v: Value = serde_json::from_str(&want).unwrap();
        assert_eq!(v["otherData"]["schema"], 1);
        assert_eq!(v["otherData"]["dropped_events"], 7);
    }
}
