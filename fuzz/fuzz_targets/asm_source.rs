#![no_main]
//! Arbitrary bytes as assembly source: `assemble_str` returns Ok or Err, never panics, and a
//! successful image survives an ELF write/read round trip unchanged.

use bitloom_asm::{assemble_str, Options};
use bitloom_isa::elf::{read_elf, write_elf, ElfWriteError, ImageError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let opts = Options {
        // Keep runaway `.rept`/macro expansion bounded per input (still an error, not a hang).
        max_lines: 200_000,
        ..Options::default()
    };
    if let Ok(out) = assemble_str("f.s", &text, &opts) {
        let elf = match write_elf(&out.image) {
            Ok(elf) => elf,
            // A source with no code (empty, data only, `_start` outside `.text`) assembles;
            // the missing entry point is reported when the ELF is written (`bitloom asm`
            // prints "entry point ... is not inside an executable section"). Anything else
            // the writer rejects is an assembler bug.
            Err(ElfWriteError::Invalid(ImageError::EntryNotInText { .. })) => return,
            Err(e) => panic!("assembled image is not writable as ELF: {e}"),
        };
        let back = read_elf(&elf).expect("written ELF must read back");
        assert_eq!(back, out.image, "ELF round trip changed the image");
    }
});
