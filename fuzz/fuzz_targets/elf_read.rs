#![no_main]
//! Arbitrary bytes as an ELF file: reading, disassembling and running what loads never panics.

use bitloom_emu::machine::Machine;
use bitloom_fuzz::small_hw;
use bitloom_isa::disasm::{disassemble_to_source, objdump};
use bitloom_isa::elf::read_elf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(img) = read_elf(data) else { return };
    let _ = objdump(&img, &Default::default());
    let _ = disassemble_to_source(&img);
    let hw = small_hw();
    if let Ok(mut m) = Machine::new(&hw, &img) {
        let _ = m.run_fast(10_000);
    }
});
