#![no_main]
//! Arbitrary bytes as an ELF file: reading, disassembling and running what loads never panics.

use bitloom_emu::machine::Machine;
use bitloom_fuzz::small_hw;
use bitloom_isa::disasm::{disassemble_to_source, objdump, Disassemble, ObjFile, ObjdumpOptions};
use bitloom_isa::elf::read_elf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(img) = read_elf(data) else { return };
    if let Ok(file) = ObjFile::from_elf(&img, data) {
        let all = ObjdumpOptions {
            file_header: true,
            headers: true,
            symbols: true,
            contents: true,
            disassemble: Disassemble::All,
            line_numbers: true,
            ..Default::default()
        };
        let _ = objdump(&file, &all);
    }
    let _ = disassemble_to_source(&img);
    let hw = small_hw();
    if let Ok(mut m) = Machine::new(&hw, &img) {
        let _ = m.run_fast(10_000);
    }
});
