//! `.incbin` and `.npy`: file data in the assembler. Expected bytes are computed here
//! (packing and RLE by hand), and every bad-file class is an error at the directive's line.

use std::path::{Path, PathBuf};

use bitloom_asm::{assemble_file, Options};

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn dir(name: &str) -> Dir {
    let d = std::env::temp_dir().join(format!("bitloom-asm-fd-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("sub")).unwrap();
    Dir(d)
}

/// An `.npy` v1.0 file built byte by byte.
fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut h =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}").into_bytes();
    while (h.len() + 11) % 64 != 0 {
        h.push(b' ');
    }
    h.push(b'\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((h.len() as u16).to_le_bytes());
    b.extend(h);
    b.extend_from_slice(data);
    b
}

/// Assemble `src` (written as `d/sub/k.s`) and return the `.data` section's bytes.
fn data(d: &Path, src: &str) -> Result<Vec<u8>, String> {
    let p = d.join("sub/k.s");
    std::fs::write(
        &p,
        format!("        .text\n_start: halt r0\n        .data\n{src}"),
    )
    .unwrap();
    match assemble_file(&p, &Options::default()) {
        Ok(o) => Ok(o.image.section(".data").unwrap().data.clone()),
        Err(e) => Err(e.render(false)),
    }
}

#[test]
fn incbin_whole_offset_and_length() {
    let d = dir("incbin");
    std::fs::write(d.0.join("sub/blob.bin"), [1u8, 2, 3, 4, 5, 6]).unwrap();
    assert_eq!(
        data(&d.0, "  .incbin \"blob.bin\"\n").unwrap(),
        vec![1, 2, 3, 4, 5, 6]
    );
    assert_eq!(
        data(&d.0, "  .incbin \"blob.bin\", 2\n").unwrap(),
        vec![3, 4, 5, 6]
    );
    assert_eq!(
        data(&d.0, "  .incbin \"blob.bin\", 1, 2\n").unwrap(),
        vec![2, 3]
    );
    assert_eq!(
        data(&d.0, "  .incbin \"blob.bin\", 6\n").unwrap(),
        Vec::<u8>::new()
    );
    let e = data(&d.0, "  .incbin \"blob.bin\", 7\n").unwrap_err();
    assert!(e.contains("past the end") && e.contains("k.s:4"), "{e}");
    let e = data(&d.0, "  .incbin \"blob.bin\", 4, 3\n").unwrap_err();
    assert!(e.contains("run past the end"), "{e}");
    let e = data(&d.0, "  .incbin \"nope.bin\"\n").unwrap_err();
    assert!(e.contains("not found") && e.contains("nope.bin"), "{e}");
    let e = data(&d.0, "  .incbin blob\n").unwrap_err();
    assert!(e.contains("`.incbin` takes"), "{e}");
}

#[test]
fn npy_packed_and_rle() {
    let d = dir("npy");
    // int8 values 1, -2, 3, 0 / 0, 0, 0, 7 as a 2×4 tile.
    let v: [i8; 8] = [1, -2, 3, 0, 0, 0, 0, 7];
    let bytes: Vec<u8> = v.iter().map(|&x| x as u8).collect();
    std::fs::write(d.0.join("sub/w.npy"), npy("|i1", "(2, 4)", &bytes)).unwrap();
    // 4-bit packing, LSB-first: codes 1, 14, 3, 0, 0, 0, 0, 7 → 0xE1, 0x03, 0x00, 0x70.
    assert_eq!(
        data(&d.0, "  .npy \"w.npy\", 4\n").unwrap(),
        vec![0xE1, 0x03, 0x00, 0x70]
    );
    assert_eq!(
        data(&d.0, "  .npy \"w.npy\", 4, 2, 4\n").unwrap(),
        vec![0xE1, 0x03, 0x00, 0x70]
    );
    // RLE, r = 2, b = 4: entries (run, code) = (0,1) (0,14) (0,3), then four zeros: a run
    // longer than 2^r − 1 = 3 splits as (3, 0) (the fourth zero is the entry's code), then
    // (0, 7). Each entry is 6 bits, run | code << 2: 5 entries, 30 bits, 4 bytes.
    let entries = [(0u32, 1u32), (0, 14), (0, 3), (3, 0), (0, 7)];
    let mut bits = 0u64;
    for (i, (r, c)) in entries.iter().enumerate() {
        bits |= u64::from(r | c << 2) << (6 * i);
    }
    let mut expect = 5u32.to_le_bytes().to_vec();
    expect.extend_from_slice(&bits.to_le_bytes()[..4]);
    assert_eq!(
        data(&d.0, "  .npy \"w.npy\", 4, 2, 4, 2\n").unwrap(),
        expect
    );
}

#[test]
fn npy_bad_files_are_errors_at_the_line() {
    let d = dir("npybad");
    let w = |n: &str, b: Vec<u8>| std::fs::write(d.0.join("sub").join(n), b).unwrap();
    w("f.npy", npy("<f4", "(1,)", &1.0f32.to_le_bytes()));
    w("big.npy", npy("|u1", "(2,)", &[3, 16]));
    w("short.npy", npy("<i4", "(4,)", &[0; 8]));
    w("shape.npy", npy("|u1", "(2, 3)", &[0; 6]));
    w("empty.npy", npy("|u1", "(0,)", &[]));
    for (line, msg) in [
        ("  .npy \"f.npy\", 8\n", "not an integer"),
        (
            "  .npy \"big.npy\", 4\n",
            "value 16 at element 1 does not fit in 4 bits",
        ),
        ("  .npy \"short.npy\", 8\n", "truncated"),
        ("  .npy \"shape.npy\", 8, 3, 2\n", "has shape (2, 3)"),
        ("  .npy \"empty.npy\", 8\n", "empty"),
        ("  .npy \"shape.npy\", 9\n", "1..8"),
        ("  .npy \"shape.npy\", 8, 2\n", "`.npy` takes"),
    ] {
        let e = data(&d.0, line).unwrap_err();
        assert!(e.contains(msg) && e.contains("k.s:4"), "{line}: {e}");
    }
}
