//! docs/ISA.md §8 "RLE streams", statement by statement, against both the emulator's codec
//! (`isa::rle`) and the independent reference (`emu::reference`): the normative run
//! splitting, the byte each CorruptRle offset names, and ignored padding bits.

use bitloom_emu::reference;
use bitloom_isa::rle::{self, RleError};

/// Pack (run, code) entries by hand: header, then r + b bits each, LSB first.
fn stream(entries: &[(u32, u32)], r: u32, b: u32) -> Vec<u8> {
    let mut bits = Vec::new();
    for &(run, c) in entries {
        bits.extend((0..r).map(|i| (run >> i) & 1));
        bits.extend((0..b).map(|i| (c >> i) & 1));
    }
    let mut out = (entries.len() as u32).to_le_bytes().to_vec();
    for ch in bits.chunks(8) {
        out.push(ch.iter().enumerate().map(|(i, &x)| (x as u8) << i).sum());
    }
    out
}

#[test]
fn run_splitting_is_normative() {
    // r = 2 (escape = 4 zeros), b = 3: 5 zeros, 5, then 6 trailing zeros.
    let codes = [0u8, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0];
    // ⌊5/4⌋ = 1 escape (3, 0), then (5 mod 4, 5); trailing: 1 escape, then (6 mod 4 − 1, 0).
    let want = stream(&[(3, 0), (1, 5), (3, 0), (1, 0)], 2, 3);
    assert_eq!(rle::encode(&codes, 3, 2), want);
    let wide: Vec<u32> = codes.iter().map(|&c| c as u32).collect();
    assert_eq!(reference::rle_encode(&wide, 3, 2), want);
    // Exactly 2^r zeros before a code: one escape then a zero run; 4 trailing zeros: one
    // escape and nothing else.
    let codes = [0u8, 0, 0, 0, 7, 0, 0, 0, 0];
    let want = stream(&[(3, 0), (0, 7), (3, 0)], 2, 3);
    assert_eq!(rle::encode(&codes, 3, 2), want);
    let wide: Vec<u32> = codes.iter().map(|&c| c as u32).collect();
    assert_eq!(reference::rle_encode(&wide, 3, 2), want);
}

#[test]
fn corrupt_rle_offsets_name_the_documented_byte() {
    let (r, b) = (2u32, 3u32); // 5-bit entries
    let mut out = Vec::new();
    // Overrun: 4 elements expected; entries (0,1) (0,1) (0,1) (3,1): entry 3 (bits 15..19)
    // starts in body byte 1 → offset 4 + ⌊15/8⌋ = 5.
    let s = stream(&[(0, 1), (0, 1), (0, 1), (3, 1)], r, b);
    let e = rle::decode_into(&s, b, r, 4, &mut out).unwrap_err();
    assert!(
        matches!(
            e,
            RleError::Overrun {
                offset: 5,
                entry: 3,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(reference::rle_decode(&s, b, r, 4), Err(5));
    // Underrun: 3 entries (15 bits → 2 body bytes) expand to 3 of 9 elements: offset 4 + 2.
    let s = stream(&[(0, 1), (0, 1), (0, 1)], r, b);
    let e = rle::decode_into(&s, b, r, 9, &mut out).unwrap_err();
    assert!(matches!(e, RleError::Underrun { offset: 6, .. }), "{e:?}");
    assert_eq!(reference::rle_decode(&s, b, r, 9), Err(6));
    // Truncated: the header announces 40 entries (25 bytes) but only 2 body bytes follow:
    // the offset is the stream's end, 6 — even though entry 3 would overrun a 2-element tile.
    let mut s = stream(&[(0, 1), (0, 1), (0, 1)], r, b);
    s[..4].copy_from_slice(&40u32.to_le_bytes());
    let e = rle::decode_into(&s, b, r, 2, &mut out).unwrap_err();
    assert!(matches!(e, RleError::Truncated { offset: 6, .. }), "{e:?}");
    assert_eq!(reference::rle_decode(&s, b, r, 2), Err(6));
}

#[test]
fn padding_bits_are_ignored() {
    // 3 entries of 5 bits = 15 bits: one padding bit (bit 7 of the last byte). Set it: the
    // same 6 codes.
    let s = stream(&[(1, 2), (0, 3), (2, 1)], 2, 3);
    let mut dirty = s.clone();
    *dirty.last_mut().unwrap() |= 0x80;
    assert_ne!(s, dirty);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    rle::decode_into(&s, 3, 2, 6, &mut a).unwrap();
    rle::decode_into(&dirty, 3, 2, 6, &mut b).unwrap();
    assert_eq!(a, b);
    assert_eq!(a, vec![0, 2, 3, 0, 0, 1]);
    assert_eq!(
        reference::rle_decode(&dirty, 3, 2, 6),
        Ok(vec![0, 2, 3, 0, 0, 1])
    );
    // The encoder writes the padding as 0.
    assert_eq!(rle::encode(&a, 3, 2), s);
}
