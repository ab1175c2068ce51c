#![no_main]
//! RLE streams: decoding arbitrary bytes never panics (and never yields other than `n`
//! elements), and encode→decode is the identity for arbitrary codes.

use bitloom_isa::rle::{decode_into, encode, encoded_len};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // [b-1 (3 bits) | r-1 (3 bits)], [n lo], [n hi], then the stream / codes.
    let Some((&[p, n0, n1], rest)) = data.split_first_chunk::<3>() else {
        return;
    };
    let b = (p & 7) as u32 + 1; // tile precision 1..=8
    let r = ((p >> 3) & 7) as u32 + 1; // rlerun CSR range 1..=8
    let n = u16::from_le_bytes([n0, n1]) as usize;
    let mut out = Vec::new();
    if let Ok(used) = decode_into(rest, b, r, n, &mut out) {
        assert_eq!(out.len(), n);
        assert!(used <= rest.len());
        assert!(out.iter().all(|&c| (c as u32) < (1 << b)));
    }

    // Round trip: `rest` as codes, masked to b bits.
    let cm = ((1u32 << b) - 1) as u8;
    let codes: Vec<u8> = rest.iter().map(|&c| c & cm).collect();
    let stream = encode(&codes, b, r);
    assert_eq!(stream.len(), encoded_len(&codes, b, r));
    let mut back = Vec::new();
    let used = decode_into(&stream, b, r, codes.len(), &mut back).expect("encoded stream decodes");
    assert_eq!(used, stream.len());
    assert_eq!(back, codes);
});
