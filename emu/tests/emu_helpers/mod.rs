//! Test helper: build Loom programs from `Instr::new(..).encode()` words into an `Image`
//! (independent of the assembler), and run them.
#![allow(dead_code)]

use bitloom_emu::hw::HwConfig;
use bitloom_emu::reference;
use bitloom_emu::{Machine, Trap};
use bitloom_isa::csr;
use bitloom_isa::image::{Image, Section, SectionKind};
use bitloom_isa::{Instr, Opcode, Operand, Space};

/// Load address of the test program's data section.
pub const DATA: u32 = 0x0001_0000;
/// Text base.
pub const TEXT: u32 = 0x1000;

pub fn r(n: u8) -> Operand {
    Operand::Gpr(n)
}
pub fn t(n: u8) -> Operand {
    Operand::Tile(n)
}
pub fn imm(v: i32) -> Operand {
    Operand::Imm(v)
}
pub fn mem(disp: i32, base: u8) -> Operand {
    Operand::Mem { disp, base }
}
pub fn rel(off: i32) -> Operand {
    Operand::PcRel(off)
}

/// Encode one instruction (panics on a bad test program).
pub fn enc(op: Opcode, ops: &[Operand]) -> u32 {
    Instr::new(op, ops)
        .expect("test instruction arity")
        .encode()
        .expect("test instruction fields")
}

/// A program under construction.
#[derive(Clone, Debug, Default)]
pub struct Prog {
    pub text: Vec<u32>,
    pub data: Vec<u8>,
}

impl Prog {
    pub fn new() -> Prog {
        Prog::default()
    }

    /// Address of the next instruction.
    pub fn here(&self) -> u32 {
        TEXT + 4 * self.text.len() as u32
    }

    pub fn i(&mut self, op: Opcode, ops: &[Operand]) -> &mut Prog {
        self.text.push(enc(op, ops));
        self
    }

    pub fn word(&mut self, w: u32) -> &mut Prog {
        self.text.push(w);
        self
    }

    /// `li rd, v` as lui + addi (docs/ISA.md §3).
    pub fn li(&mut self, rd: u8, v: u32) -> &mut Prog {
        let (hi, lo) = bitloom_isa::instr::split_hi_lo(v);
        self.i(Opcode::Lui, &[r(rd), imm(hi)]);
        self.i(Opcode::Addi, &[r(rd), r(rd), imm(lo)])
    }

    pub fn cfgi(&mut self, c: u8, v: u32) -> &mut Prog {
        self.i(Opcode::Cfgi, &[Operand::Csr(c), imm(v as i32)])
    }

    /// Append bytes to .data (16-byte aligned); returns their address.
    pub fn data(&mut self, bytes: &[u8]) -> u32 {
        while !self.data.len().is_multiple_of(16) {
            self.data.push(0);
        }
        let a = DATA + self.data.len() as u32;
        self.data.extend_from_slice(bytes);
        a
    }

    pub fn tdef(&mut self, tile: u8, sp: Space, base: u32, rows: u32, cols: u32) -> &mut Prog {
        self.li(28, base).li(29, rows).li(30, cols);
        self.i(
            Opcode::Tdef,
            &[t(tile), Operand::Space(sp), r(28), r(29), r(30)],
        )
    }

    pub fn ld_raw(&mut self, tile: u8, addr: u32) -> &mut Prog {
        self.li(27, addr);
        self.i(Opcode::LdRaw, &[t(tile), r(27)])
    }

    pub fn ld_rle(&mut self, tile: u8, addr: u32) -> &mut Prog {
        self.li(27, addr);
        self.i(Opcode::LdRle, &[t(tile), r(27)])
    }

    pub fn st_raw(&mut self, tile: u8, addr: u32) -> &mut Prog {
        self.li(27, addr);
        self.i(Opcode::StRaw, &[t(tile), r(27)])
    }

    pub fn st_rle(&mut self, rd: u8, tile: u8, addr: u32) -> &mut Prog {
        self.li(27, addr);
        self.i(Opcode::StRle, &[r(rd), t(tile), r(27)])
    }

    pub fn set_lut(&mut self, l: u8, addr: u32, bits: u8) -> &mut Prog {
        self.li(27, addr);
        self.i(Opcode::SetLut, &[imm(l as i32), r(27), Operand::Prec(bits)])
    }

    pub fn halt(&mut self, rs: u8) -> &mut Prog {
        self.i(Opcode::Halt, &[r(rs)])
    }

    pub fn image(&self) -> Image {
        let mut text = Vec::new();
        for w in &self.text {
            text.extend_from_slice(&w.to_le_bytes());
        }
        let mut sections = vec![Section {
            name: ".text".into(),
            kind: SectionKind::Text,
            addr: TEXT,
            size: text.len() as u32,
            data: text,
        }];
        if !self.data.is_empty() {
            sections.push(Section {
                name: ".data".into(),
                kind: SectionKind::Data,
                addr: DATA,
                size: self.data.len() as u32,
                data: self.data.clone(),
            });
        }
        Image {
            entry: TEXT,
            sections,
            symbols: Vec::new(),
            lines: Default::default(),
        }
    }
}

/// A small hardware configuration for tests.
pub fn hw() -> HwConfig {
    let mut h = HwConfig::default();
    h.mem.dram_bytes = 1 << 20;
    h.mem.wsp_bytes = 64 << 10;
    h.mem.asp_bytes = 64 << 10;
    h.mem.acc_bytes = 256 << 10;
    h
}

pub fn machine(p: &Prog) -> Machine {
    Machine::new(&hw(), &p.image()).expect("test image loads")
}

/// Run to completion (at most 1M steps), optionally in checked mode.
pub fn run(p: &Prog, checked: bool) -> (Machine, Result<Option<u32>, Trap>) {
    let mut m = machine(p);
    m.checked = checked;
    let res = m.run_fast(1_000_000);
    (m, res)
}

/// One MAC operand: codes plus how to interpret them.
#[derive(Clone, Debug)]
pub struct Opnd {
    pub rows: u32,
    pub cols: u32,
    pub prec: u32,
    pub fmt: u32,
    pub zp: u32,
    /// LUT contents (2^prec entries) for the lut format.
    pub lut: Vec<i8>,
    pub codes: Vec<u8>,
}

impl Opnd {
    pub fn packed(&self) -> Vec<u8> {
        let c: Vec<u32> = self.codes.iter().map(|&x| x as u32).collect();
        reference::pack(&c, self.prec)
    }
    pub fn reftile<'a>(&'a self, bytes: &'a [u8]) -> reference::RefTile<'a> {
        reference::RefTile {
            rows: self.rows as usize,
            cols: self.cols as usize,
            prec: self.prec,
            fmt: self.fmt,
            zp: self.zp as i64,
            lut: &self.lut,
            bytes,
        }
    }
}

/// A MAC test case.
#[derive(Clone, Debug)]
pub struct MacCase {
    pub w: Opnd,
    pub a: Opnd,
    pub acc: Vec<i32>,
    pub slice: u32,
    pub sfreq: u32,
    pub ck: u32,
    pub logbase: u32,
    pub vlen: u32,
    /// Per-vector scales (wsp M×V, asp V×N) for `vscale`; `None` for `bsmac`.
    pub scales: Option<(Opnd, Opnd)>,
}

impl MacCase {
    /// Program: configure, load, MAC into t0, halt.
    pub fn program(&self) -> Prog {
        let mut p = Prog::new();
        let (w, a) = (&self.w, &self.a);
        p.cfgi(csr::CK, self.ck)
            .cfgi(csr::LOGBASE, self.logbase)
            .cfgi(csr::SLICE, self.slice)
            .cfgi(csr::SFREQ, self.sfreq)
            .cfgi(csr::VLEN, self.vlen);
        if w.fmt == 3 {
            let la = p.data(&w.lut.iter().map(|&x| x as u8).collect::<Vec<_>>());
            p.set_lut(0, la, w.prec as u8);
        }
        if a.fmt == 3 {
            let la = p.data(&a.lut.iter().map(|&x| x as u8).collect::<Vec<_>>());
            p.set_lut(1, la, a.prec as u8);
        }
        p.cfgi(csr::WLUT, 0).cfgi(csr::ALUT, 1);
        p.cfgi(csr::WPREC, w.prec)
            .cfgi(csr::WFMT, w.fmt)
            .cfgi(csr::WZP, w.zp);
        p.cfgi(csr::APREC, a.prec)
            .cfgi(csr::AFMT, a.fmt)
            .cfgi(csr::AZP, a.zp);
        let wa = p.data(&w.packed());
        let aa = p.data(&a.packed());
        let mut accb = Vec::new();
        for v in &self.acc {
            accb.extend_from_slice(&v.to_le_bytes());
        }
        let ca = p.data(&accb);
        p.tdef(1, Space::Wsp, 0, w.rows, w.cols).ld_raw(1, wa);
        p.tdef(2, Space::Asp, 0, a.rows, a.cols).ld_raw(2, aa);
        p.tdef(0, Space::Acc, 0, w.rows, a.cols).ld_raw(0, ca);
        match &self.scales {
            None => {
                p.i(Opcode::Bsmac, &[t(0), t(1), t(2)]);
            }
            Some((sw, sa)) => {
                p.cfgi(csr::WPREC, sw.prec).cfgi(csr::WFMT, sw.fmt);
                p.cfgi(csr::APREC, sa.prec).cfgi(csr::AFMT, sa.fmt);
                let swa = p.data(&sw.packed());
                let saa = p.data(&sa.packed());
                let wbytes = w.packed().len() as u32;
                let abytes = a.packed().len() as u32;
                p.tdef(3, Space::Wsp, wbytes, sw.rows, sw.cols)
                    .ld_raw(3, swa);
                p.tdef(4, Space::Asp, abytes, sa.rows, sa.cols)
                    .ld_raw(4, saa);
                p.i(Opcode::Vscale, &[t(0), t(1), t(2), t(3), t(4)]);
            }
        }
        p.halt(0);
        p
    }

    /// The reference result.
    pub fn expected(&self) -> Result<Vec<i32>, String> {
        let (wb, ab) = (self.w.packed(), self.a.packed());
        let cfg = reference::RefCfg {
            ck: self.ck,
            logbase: self.logbase,
            vlen: self.vlen as usize,
        };
        let (rw, ra) = (self.w.reftile(&wb), self.a.reftile(&ab));
        match &self.scales {
            None => reference::bsmac(&rw, &ra, &self.acc, &cfg),
            Some((sw, sa)) => {
                let (swb, sab) = (sw.packed(), sa.packed());
                reference::vscale(
                    &rw,
                    &ra,
                    &sw.reftile(&swb),
                    &sa.reftile(&sab),
                    &self.acc,
                    &cfg,
                )
            }
        }
    }
}

/// Small deterministic PRNG (xorshift64*), for exhaustive loops outside proptest.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
}

/// Random codes for an operand of format `fmt`, precision `p` (cluster codes respect `ck`).
pub fn random_codes(rng: &mut Rng, n: usize, fmt: u32, p: u32, ck: u32) -> Vec<u8> {
    (0..n)
        .map(|_| loop {
            let c = rng.below(1 << p) as u32;
            if fmt == 4 && p >= 2 {
                let m = c & ((1 << (p - 1)) - 1);
                if m.count_ones() > ck {
                    continue;
                }
            }
            // Sparse-ish: a third of the codes are zero, to exercise zero skipping.
            if rng.below(3) == 0 {
                break 0;
            }
            break c as u8;
        })
        .collect()
}

/// A random operand.
pub fn random_opnd(rng: &mut Rng, rows: u32, cols: u32, fmt: u32, p: u32, ck: u32) -> Opnd {
    let lut = if fmt == 3 {
        (0..(1u32 << p)).map(|_| rng.next() as i8).collect()
    } else {
        Vec::new()
    };
    Opnd {
        rows,
        cols,
        prec: p,
        fmt,
        zp: if fmt == 1 {
            rng.below(1 << p) as u32
        } else {
            0
        },
        lut,
        codes: random_codes(rng, (rows * cols) as usize, fmt, p, ck),
    }
}
