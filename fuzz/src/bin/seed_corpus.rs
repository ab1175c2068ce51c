//! Seed the fuzz corpora from the bundled examples (`programs/examples/*.s`):
//! `corpus/asm_source/` gets the sources, `corpus/elf_read/` the assembled ELF files and
//! `corpus/emu_exec/` the assembled `.text` + data in the `emu_exec` input layout.
//! Run from `fuzz/`: `cargo +nightly run --bin seed_corpus`.

use std::fs;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let examples = root.join("../programs/examples");
    for t in ["asm_source", "elf_read", "emu_exec", "rle_decode"] {
        fs::create_dir_all(root.join("corpus").join(t)).unwrap();
    }
    let mut paths: Vec<_> = fs::read_dir(&examples)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "s"))
        .collect();
    paths.sort();
    for p in paths {
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        fs::copy(&p, root.join("corpus/asm_source").join(&stem)).unwrap();
        let out = match bitloom_asm::assemble_file(&p, &Default::default()) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("{}: does not assemble: {e:?}", p.display());
                continue;
            }
        };
        let elf = bitloom_isa::elf::write_elf(&out.image).unwrap();
        fs::write(root.join("corpus/elf_read").join(&stem), elf).unwrap();
        let seed = bitloom_fuzz::exec_seed(&out.image).unwrap();
        fs::write(root.join("corpus/emu_exec").join(&stem), seed).unwrap();
        // rle_decode: b=4, r=4, n=16 and a small valid stream.
        let codes = [0u8, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];
        let mut rle = vec![(3 << 3) | 3, 16, 0];
        rle.extend(bitloom_isa::rle::encode(&codes, 4, 4));
        fs::write(root.join("corpus/rle_decode/seed"), rle).unwrap();
        println!("seeded {stem}");
    }
}
