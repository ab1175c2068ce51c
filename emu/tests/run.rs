//! Run-loop tests: exit codes, step and cycle limits, the commit log, statistics with and
//! without the timing model, and the timeline of a small accelerator program.

use bitloom_emu::hw::HwConfig;
use bitloom_emu::run::{run, Outcome, RunOptions};
use bitloom_emu::timing::Timing;
use bitloom_emu::{Machine, TrapKind};
use bitloom_isa::image::{Image, Section, SectionKind, Symbol, SymbolKind};
use bitloom_isa::{Instr, Opcode, Operand, Space, TEXT_BASE};
use std::io::Write;
use std::sync::{Arc, Mutex};

use Operand::{Gpr, Imm, PcRel, Tile};

fn i(op: Opcode, ops: &[Operand]) -> u32 {
    Instr::new(op, ops).unwrap().encode().unwrap()
}

fn image(words: &[u32]) -> Image {
    let data: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    Image {
        entry: TEXT_BASE,
        sections: vec![Section {
            name: ".text".into(),
            kind: SectionKind::Text,
            addr: TEXT_BASE,
            size: data.len() as u32,
            data,
        }],
        symbols: vec![Symbol {
            name: "main".into(),
            value: TEXT_BASE,
            size: 4 * words.len() as u32,
            kind: SymbolKind::Func,
            global: true,
            section: Some(0),
        }],
        lines: Default::default(),
    }
}

/// r1 = 5; loop: r1 -= 1; bne r1, r0, loop; halt r2 (r2 = 7).
fn countdown() -> Vec<u32> {
    vec![
        i(Opcode::Addi, &[Gpr(1), Gpr(0), Imm(5)]),
        i(Opcode::Addi, &[Gpr(2), Gpr(0), Imm(7)]),
        i(Opcode::Addi, &[Gpr(1), Gpr(1), Imm(-1)]),
        i(Opcode::Bne, &[Gpr(1), Gpr(0), PcRel(-4)]),
        i(Opcode::Halt, &[Gpr(2)]),
    ]
}

fn machine(words: &[u32], timing: bool) -> Machine {
    let hw = HwConfig::default();
    let mut m = Machine::new(&hw, &image(words)).unwrap();
    if timing {
        m.timing = Some(Timing::new(&hw));
    }
    m
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn exit_code_and_stats() {
    for timing in [false, true] {
        let mut m = machine(&countdown(), timing);
        let r = run(&mut m, &mut RunOptions::default());
        assert_eq!(r.outcome, Outcome::Exit(7));
        assert_eq!(r.outcome.exit_status(), 7);
        // 2 setup + 5 x (addi, bne) + halt.
        assert_eq!(r.stats.instructions, 13);
        assert_eq!(r.stats.classes["branch"].count, 5);
        if timing {
            // 2 + 5 x 1 + 4 taken x 3 + 1 not taken + halt 1.
            assert_eq!(r.stats.cycles, 2 + 5 + 4 * 3 + 1 + 1);
            assert_eq!(r.stats.classes["branch"].cycles, 4 * 3 + 1);
        } else {
            assert_eq!(r.stats.cycles, 13);
        }
    }
}

#[test]
fn commit_log_has_one_line_per_instruction() {
    let mut m = machine(&countdown(), true);
    let buf = Shared::default();
    let mut opts = RunOptions {
        trace: Some(Box::new(buf.clone())),
        ..RunOptions::default()
    };
    let r = run(&mut m, &mut opts);
    assert_eq!(r.outcome, Outcome::Exit(7));
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    // The version line, then one line per instruction.
    let mut lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.remove(0), "# bitloom-trace v2");
    assert_eq!(lines.len(), 13, "{text}");
    assert!(lines[0].contains("0x00001000") && lines[0].contains("addi r1, r0, 5"));
    assert!(lines[0].ends_with("r1 0x00000005"), "{}", lines[0]);
    // Branch targets are symbolised.
    assert!(lines[3].contains("bne r1, r0, main+0x8"), "{}", lines[3]);
    assert!(lines[12].contains("halt r2"));
}

#[test]
fn step_and_cycle_limits() {
    // jal r0, 0: an infinite loop.
    let spin = vec![i(Opcode::Jal, &[Gpr(0), PcRel(0)])];
    let mut m = machine(&spin, false);
    let r = run(
        &mut m,
        &mut RunOptions {
            max_steps: Some(10_000),
            ..RunOptions::default()
        },
    );
    match r.outcome {
        Outcome::Trap(t) => assert_eq!(t.kind, TrapKind::StepLimit { limit: 10_000 }),
        o => panic!("{o:?}"),
    }
    assert_eq!(r.stats.instructions, 10_000);
    // Traced runs stop exactly at the limit too.
    let mut m = machine(&spin, false);
    let r = run(
        &mut m,
        &mut RunOptions {
            max_steps: Some(5),
            trace: Some(Box::new(std::io::sink())),
            ..RunOptions::default()
        },
    );
    assert!(
        matches!(r.outcome, Outcome::Trap(ref t) if t.kind == TrapKind::StepLimit { limit: 5 })
    );
    assert_eq!(r.stats.instructions, 5);
    // Cycle limit with the timing model (each jump costs 1 + 2 cycles).
    let mut m = machine(&spin, true);
    let r = run(
        &mut m,
        &mut RunOptions {
            max_cycles: Some(30_000),
            ..RunOptions::default()
        },
    );
    match r.outcome {
        Outcome::Trap(t) => assert_eq!(t.kind, TrapKind::CycleLimit { limit: 30_000 }),
        o => panic!("{o:?}"),
    }
    assert!(r.stats.cycles > 30_000 && r.stats.cycles <= 30_000 + 3 * 4096);
}

#[test]
fn accelerator_program_timeline() {
    // Define a 16x16 weight tile, a 16x16 activation tile and a 16x16 accumulator; load the
    // two operand tiles from DRAM (zeros), bsmac, relu, halt.
    let li = |r: u8, v: i32| i(Opcode::Addi, &[Gpr(r), Gpr(0), Imm(v)]);
    let words = vec![
        li(1, 16),
        li(2, 0),
        li(3, 0x800),
        i(
            Opcode::Tdef,
            &[Tile(0), Operand::Space(Space::Wsp), Gpr(2), Gpr(1), Gpr(1)],
        ),
        i(
            Opcode::Tdef,
            &[Tile(1), Operand::Space(Space::Asp), Gpr(2), Gpr(1), Gpr(1)],
        ),
        i(
            Opcode::Tdef,
            &[Tile(2), Operand::Space(Space::Acc), Gpr(2), Gpr(1), Gpr(1)],
        ),
        i(Opcode::LdRaw, &[Tile(0), Gpr(3)]),
        i(Opcode::LdRaw, &[Tile(1), Gpr(3)]),
        i(Opcode::Bsmac, &[Tile(2), Tile(0), Tile(1)]),
        i(Opcode::Relu, &[Tile(2)]),
        i(Opcode::Halt, &[Gpr(0)]),
    ];
    let mut m = machine(&words, true);
    let r = run(
        &mut m,
        &mut RunOptions {
            timeline: true,
            ..RunOptions::default()
        },
    );
    assert_eq!(r.outcome, Outcome::Exit(0), "{:?}", r.outcome);
    let names: Vec<&str> = r.timeline.iter().map(|e| e.name).collect();
    for n in ["ld.raw", "bsmac", "relu"] {
        assert!(names.contains(&n), "{names:?}");
    }
    assert_eq!(r.stats.mac.macs, 16 * 16 * 16);
    assert_eq!(r.stats.bytes.dram_read, 2 * 256);
    assert!(r.stats.units.dma.busy_cycles >= 2 * 100);
    let v = r.chrome_trace();
    assert!(v["traceEvents"].as_array().unwrap().len() > 4);
    assert!(!r.stats.human().is_empty());
}
