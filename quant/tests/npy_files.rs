//! `.npy` reading against files built byte by byte here (not by npyz): every bad-file class
//! is a clear error, and the dtype/order variants read the values they hold.

use bitloom_quant::npy::{parse_float, parse_int};

/// An `.npy` v1.0 file: magic, version, header length, the header dict padded with spaces
/// to a multiple of 64 bytes ending in a newline, then `data`.
fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let dict = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    let mut h = dict.into_bytes();
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(b' ');
    }
    h.push(b'\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(data);
    out
}

fn f32le(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[test]
fn reads_float32_float64_big_endian_and_fortran() {
    let t = parse_float(
        "a",
        &npy("<f4", false, "(2, 2)", &f32le(&[1.0, -2.5, 0.25, 8.0])),
    )
    .unwrap();
    assert_eq!(t.shape(), &[2, 2]);
    assert_eq!(t.data(), &[1.0, -2.5, 0.25, 8.0]);
    let be: Vec<u8> = [3.5f64, -1.0]
        .iter()
        .flat_map(|x| x.to_be_bytes())
        .collect();
    let t = parse_float("b", &npy(">f8", false, "(2,)", &be)).unwrap();
    assert_eq!(t.data(), &[3.5, -1.0]);
    // Fortran order: column-major storage of [[1, 2, 3], [4, 5, 6]].
    let t = parse_float(
        "c",
        &npy("<f4", true, "(2, 3)", &f32le(&[1., 4., 2., 5., 3., 6.])),
    )
    .unwrap();
    assert_eq!(t.data(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    // float16: 0x3C00 = 1.0, 0xC100 = -2.5.
    let t = parse_float("d", &npy("<f2", false, "(2,)", &[0x00, 0x3C, 0x00, 0xC1])).unwrap();
    assert_eq!(t.data(), &[1.0, -2.5]);
}

fn err(bytes: &[u8]) -> String {
    parse_float("in.npy", bytes).unwrap_err().to_string()
}

#[test]
fn bad_files_are_clear_errors() {
    let e = err(b"PK\x03\x04 this is a zip");
    assert!(e.contains("in.npy") && e.contains("not an .npy"), "{e}");
    let e = err(&npy("<i4", false, "(2,)", &[1, 0, 0, 0, 2, 0, 0, 0]));
    assert!(e.contains("<i4") && e.contains("not a float"), "{e}");
    let e = err(&npy("<f4", false, "(3,)", &f32le(&[1.0, 2.0])));
    assert!(
        e.contains("truncated") && e.contains("12") && e.contains('8'),
        "{e}"
    );
    let e = err(&npy("<f4", false, "(1,)", &f32le(&[1.0, 2.0])));
    assert!(e.contains("after the data"), "{e}");
    let e = err(&npy("<f4", false, "(0, 3)", &[]));
    assert!(e.contains("empty") && e.contains("(0, 3)"), "{e}");
    let e = err(&npy(
        "<f4",
        false,
        "(2, 2)",
        &f32le(&[1.0, 2.0, f32::NAN, 0.0]),
    ));
    assert!(e.contains("[1, 0]") && e.contains("NaN"), "{e}");
    let e = err(&npy(
        "<f8",
        false,
        "(2,)",
        &[0u8; 8]
            .iter()
            .chain(&f64::INFINITY.to_le_bytes())
            .copied()
            .collect::<Vec<_>>(),
    ));
    assert!(e.contains("[1]") && e.contains("inf"), "{e}");
    let e = err(&npy("<f4", false, "(2,", &f32le(&[1.0, 2.0])));
    assert!(e.contains("bad .npy header"), "{e}");
    // Header cut short.
    let full = npy("<f4", false, "(2,)", &f32le(&[1.0, 2.0]));
    let e = err(&full[..20]);
    assert!(e.contains("bad .npy header"), "{e}");
    // A shape whose byte count overflows never allocates.
    let e = err(&npy(
        "<f8",
        false,
        "(4294967296, 4294967296, 4294967296)",
        &[],
    ));
    assert!(e.contains("overflows") || e.contains("truncated"), "{e}");
}

#[test]
fn integer_files_for_codes() {
    let (shape, v) = parse_int("c", &npy("|u1", false, "(2, 2)", &[0, 7, 255, 3])).unwrap();
    assert_eq!((shape, v), (vec![2, 2], vec![0, 7, 255, 3]));
    let (_, v) = parse_int("c", &npy("<i2", false, "(2,)", &[0xFF, 0xFF, 5, 0])).unwrap();
    assert_eq!(v, vec![-1, 5]);
    let e = parse_int("c", &npy("<f4", false, "(1,)", &f32le(&[1.0]))).unwrap_err();
    assert!(e.to_string().contains("not an integer"), "{e}");
}
