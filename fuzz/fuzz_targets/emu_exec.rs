#![no_main]
//! Arbitrary instruction words (+ a data section) executed with timing and checked mode on:
//! never panics, and checked mode never finds the fast path disagreeing with the reference.

use bitloom_emu::machine::Machine;
use bitloom_emu::timing::Timing;
use bitloom_emu::TrapKind;
use bitloom_fuzz::{exec_image, small_hw};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(img) = exec_image(data) else { return };
    let hw = small_hw();
    let Ok(mut m) = Machine::new(&hw, &img) else {
        return;
    };
    m.timing = Some(Timing::new(&hw));
    m.checked = true;
    for _ in 0..5_000 {
        match m.step() {
            Ok(s) if s.halted.is_some() => break,
            Ok(_) => {}
            Err(t) => {
                if let TrapKind::CheckMismatch { .. } = t.kind {
                    panic!("checked-mode mismatch: {t:?}");
                }
                break;
            }
        }
    }
});
