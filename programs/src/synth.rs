//! Synthetic programs built directly from the instruction table for benchmarks
//! (`bitloom bench emu`, criterion), and the plain native GEMM they are compared with.

use bitloom_isa::image::{Image, LineTable, Section, SectionKind};
use bitloom_isa::operand::{Operand as O, Space};
use bitloom_isa::{csr, Instr, Opcode, TEXT_BASE};

/// Plain native i8×i8→i32 GEMM, `c[m][n] += Σ_k a[m][k]·b[k][n]`, loop order m-k-n.
pub fn native_gemm(m: usize, k: usize, n: usize, a: &[i8], b: &[i8], c: &mut [i32]) {
    for i in 0..m {
        let crow = &mut c[i * n..(i + 1) * n];
        for kk in 0..k {
            let av = a[i * k + kk] as i32;
            let brow = &b[kk * n..(kk + 1) * n];
            for (cv, &bv) in crow.iter_mut().zip(brow) {
                *cv += av * bv as i32;
            }
        }
    }
}

fn ins(op: Opcode, ops: &[O]) -> u32 {
    Instr::new(op, ops)
        .and_then(|i| i.encode())
        .expect("bench program operands are in range")
}

fn li(r: u8, v: u32) -> [u32; 2] {
    let (hi, lo) = bitloom_isa::instr::split_hi_lo(v);
    [
        ins(Opcode::Lui, &[O::Gpr(r), O::Imm(hi)]),
        ins(Opcode::Addi, &[O::Gpr(r), O::Gpr(r), O::Imm(lo)]),
    ]
}

fn image(text: Vec<u32>, data: Vec<u8>, data_addr: u32) -> Image {
    let tb: Vec<u8> = text.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mut sections = vec![Section {
        name: ".text".into(),
        kind: SectionKind::Text,
        addr: TEXT_BASE,
        size: tb.len() as u32,
        data: tb,
    }];
    if !data.is_empty() {
        sections.push(Section {
            name: ".data".into(),
            kind: SectionKind::Data,
            addr: data_addr,
            size: data.len() as u32,
            data,
        });
    }
    Image {
        entry: TEXT_BASE,
        sections,
        symbols: vec![],
        lines: LineTable::default(),
    }
}

/// A program computing one `bsmac` over M×K×N int8 tiles read from `.data`, then `halt 0`.
pub fn gemm_image(m: u32, k: u32, n: u32, w: &[i8], a: &[i8]) -> Image {
    let data_addr = 0x10_0000;
    let mut data: Vec<u8> = w.iter().map(|&v| v as u8).collect();
    let a_addr = data_addr + data.len() as u32;
    data.extend(a.iter().map(|&v| v as u8));
    let mut t = Vec::new();
    for (c, v) in [
        (csr::WPREC, 8),
        (csr::APREC, 8),
        (csr::WFMT, 0),
        (csr::AFMT, 0),
    ] {
        t.push(ins(Opcode::Cfgi, &[O::Csr(c), O::Imm(v)]));
    }
    t.extend(li(5, 0));
    t.extend(li(6, m));
    t.extend(li(7, k));
    t.extend(li(8, n));
    t.push(ins(
        Opcode::Tdef,
        &[
            O::Tile(0),
            O::Space(Space::Wsp),
            O::Gpr(5),
            O::Gpr(6),
            O::Gpr(7),
        ],
    ));
    t.push(ins(
        Opcode::Tdef,
        &[
            O::Tile(1),
            O::Space(Space::Asp),
            O::Gpr(5),
            O::Gpr(7),
            O::Gpr(8),
        ],
    ));
    t.push(ins(
        Opcode::Tdef,
        &[
            O::Tile(2),
            O::Space(Space::Acc),
            O::Gpr(5),
            O::Gpr(6),
            O::Gpr(8),
        ],
    ));
    t.extend(li(10, data_addr));
    t.push(ins(Opcode::LdRaw, &[O::Tile(0), O::Gpr(10)]));
    t.extend(li(10, a_addr));
    t.push(ins(Opcode::LdRaw, &[O::Tile(1), O::Gpr(10)]));
    t.push(ins(Opcode::Tzero, &[O::Tile(2)]));
    t.push(ins(Opcode::Bsmac, &[O::Tile(2), O::Tile(0), O::Tile(1)]));
    t.push(ins(Opcode::Halt, &[O::Gpr(0)]));
    image(t, data, data_addr)
}

/// A tight scalar loop of `iters` iterations (addi, xor, dbnz), then `halt 0`.
pub fn scalar_loop_image(iters: u32) -> Image {
    let mut t = Vec::new();
    t.extend(li(5, iters));
    t.push(ins(Opcode::Addi, &[O::Gpr(6), O::Gpr(6), O::Imm(3)]));
    t.push(ins(Opcode::Xor, &[O::Gpr(7), O::Gpr(7), O::Gpr(6)]));
    t.push(ins(Opcode::Dbnz, &[O::Gpr(5), O::PcRel(-8)]));
    t.push(ins(Opcode::Halt, &[O::Gpr(0)]));
    image(t, vec![], 0)
}

/// Deterministic pseudo-random bytes (xorshift).
pub fn rand_i8(n: usize, seed: u64) -> Vec<i8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as i8
        })
        .collect()
}
