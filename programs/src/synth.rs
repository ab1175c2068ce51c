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

/// A tight scalar loop of `iters` iterations — `xor`, `add`, `addi`, `dbnz`, the shape of
/// the wasmi comparison in `scripts/wasmi-loop/` — then `halt 0`.
pub fn scalar_loop_image(iters: u32) -> Image {
    let mut t = Vec::new();
    t.extend(li(5, iters));
    t.push(ins(Opcode::Xor, &[O::Gpr(7), O::Gpr(7), O::Gpr(6)]));
    t.push(ins(Opcode::Add, &[O::Gpr(6), O::Gpr(6), O::Gpr(5)]));
    t.push(ins(Opcode::Addi, &[O::Gpr(8), O::Gpr(8), O::Imm(3)]));
    t.push(ins(Opcode::Dbnz, &[O::Gpr(5), O::PcRel(-12)]));
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

/// Native i8×i8→i32 GEMM with B transposed, each output an iterator dot product — the loop
/// a compiler vectorises (the yardstick `bitloom bench emu` compares with; `bt` is K×N's
/// transpose, N×K).
pub fn native_gemm_bt(m: usize, k: usize, n: usize, a: &[i8], bt: &[i8], c: &mut [i32]) {
    gemm_bt_body(m, k, n, a, bt, c)
}

/// [`native_gemm_bt`] compiled for the host's SIMD level at run time (AVX-512BW, AVX2,
/// NEON, else generic): what a `target-cpu=native` build of the same loop gives.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512vl+avx512vnni",
    "x86_64+avx512f+avx512bw+avx512vl",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
pub fn native_gemm_bt_simd(m: usize, k: usize, n: usize, a: &[i8], bt: &[i8], c: &mut [i32]) {
    gemm_bt_body(m, k, n, a, bt, c)
}

#[inline(always)]
fn gemm_bt_body(m: usize, k: usize, n: usize, a: &[i8], bt: &[i8], c: &mut [i32]) {
    for (arow, crow) in a.chunks_exact(k).take(m).zip(c.chunks_exact_mut(n)) {
        for (cv, brow) in crow.iter_mut().zip(bt.chunks_exact(k)) {
            *cv += arow
                .iter()
                .zip(brow)
                .map(|(&x, &y)| x as i32 * y as i32)
                .sum::<i32>();
        }
    }
}

/// Where [`tiled_gemm_image`] leaves C: `size × size` int32, stored tile by tile
/// (`(mi, ni)` tiles in row-major order, each `t × t` row-major).
pub const TILED_C_ADDR: u32 = 0x40_0000;

/// The same M = K = N = `size` int8 GEMM as [`gemm_image`], computed the way a kernel does
/// on small scratchpads: `t × t` tiles, for each output tile `tzero`, then per K step two
/// `ld.raw` and a `bsmac`, then `st.raw` of the accumulators. W and A are stored
/// pre-blocked (each tile contiguous) so the loops only add a stride.
pub fn tiled_gemm_image(size: u32, t: u32, w: &[i8], a: &[i8]) -> Image {
    let nt = size / t;
    let tt = (t * t) as usize;
    let data_addr = 0x10_0000;
    // W blocks in (mi, ki) order; A blocks in (ni, ki) order.
    let mut data = Vec::with_capacity(2 * (size * size) as usize);
    for mi in 0..nt {
        for ki in 0..nt {
            for r in 0..t {
                let row = ((mi * t + r) * size + ki * t) as usize;
                data.extend(w[row..row + t as usize].iter().map(|&v| v as u8));
            }
        }
    }
    let a_addr = data_addr + data.len() as u32;
    for ni in 0..nt {
        for ki in 0..nt {
            for r in 0..t {
                let row = ((ki * t + r) * size + ni * t) as usize;
                data.extend(a[row..row + t as usize].iter().map(|&v| v as u8));
            }
        }
    }
    debug_assert_eq!(data.len(), 2 * (size * size) as usize);
    let g = |r: u8| O::Gpr(r);
    let mut p = Vec::new();
    for (c, v) in [
        (csr::WPREC, 8),
        (csr::APREC, 8),
        (csr::WFMT, 0),
        (csr::AFMT, 0),
    ] {
        p.push(ins(Opcode::Cfgi, &[O::Csr(c), O::Imm(v)]));
    }
    p.extend(li(5, 0));
    p.extend(li(6, t));
    for (tile, sp) in [(0, Space::Wsp), (1, Space::Asp), (2, Space::Acc)] {
        p.push(ins(
            Opcode::Tdef,
            &[O::Tile(tile), O::Space(sp), g(5), g(6), g(6)],
        ));
    }
    p.extend(li(20, tt as u32)); // one tile of codes
    p.extend(li(21, nt * tt as u32)); // one row of tiles
    p.extend(li(22, 4 * tt as u32)); // one accumulator tile
    p.extend(li(10, data_addr)); // W row block
    p.extend(li(17, TILED_C_ADDR)); // C tile
    p.extend(li(11, nt));
    let mi_loop = p.len();
    p.extend(li(12, nt));
    p.extend(li(13, a_addr)); // A column block
    let ni_loop = p.len();
    p.push(ins(Opcode::Tzero, &[O::Tile(2)]));
    p.push(ins(Opcode::Addi, &[g(14), g(10), O::Imm(0)]));
    p.push(ins(Opcode::Addi, &[g(15), g(13), O::Imm(0)]));
    p.extend(li(16, nt));
    let ki_loop = p.len();
    p.push(ins(Opcode::LdRaw, &[O::Tile(0), g(14)]));
    p.push(ins(Opcode::LdRaw, &[O::Tile(1), g(15)]));
    p.push(ins(Opcode::Bsmac, &[O::Tile(2), O::Tile(0), O::Tile(1)]));
    p.push(ins(Opcode::Add, &[g(14), g(14), g(20)]));
    p.push(ins(Opcode::Add, &[g(15), g(15), g(20)]));
    let back = |p: &Vec<u32>, to: usize| O::PcRel(4 * (to as i32 - p.len() as i32));
    p.push(ins(Opcode::Dbnz, &[g(16), back(&p, ki_loop)]));
    p.push(ins(Opcode::StRaw, &[O::Tile(2), g(17)]));
    p.push(ins(Opcode::Add, &[g(17), g(17), g(22)]));
    p.push(ins(Opcode::Add, &[g(13), g(13), g(21)]));
    p.push(ins(Opcode::Dbnz, &[g(12), back(&p, ni_loop)]));
    p.push(ins(Opcode::Add, &[g(10), g(10), g(21)]));
    p.push(ins(Opcode::Dbnz, &[g(11), back(&p, mi_loop)]));
    p.push(ins(Opcode::Halt, &[g(0)]));
    image(p, data, data_addr)
}

/// Reassemble the row-major C of [`tiled_gemm_image`] from its tile-by-tile layout.
pub fn untile_c(size: u32, t: u32, tiled: &[u8]) -> Vec<i32> {
    let nt = size / t;
    let mut c = vec![0i32; (size * size) as usize];
    for (i, word) in tiled.chunks_exact(4).enumerate() {
        let v = i32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        let i = i as u32;
        let (tile, e) = (i / (t * t), i % (t * t));
        let (mi, ni) = (tile / nt, tile % nt);
        let (r, col) = (e / t, e % t);
        c[((mi * t + r) * size + ni * t + col) as usize] = v;
    }
    c
}
