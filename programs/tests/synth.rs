//! The synthetic benchmark programs compute what they claim: the tiled GEMM (tile by tile,
//! through `ld.raw`/`bsmac`/`st.raw`) and the transposed native yardstick both equal the
//! plain m-k-n native loop, so `bitloom bench emu` compares equal work.

use bitloom_emu::hw::HwConfig;
use bitloom_emu::Machine;
use bitloom_programs::*;

#[test]
fn tiled_gemm_equals_native() {
    let size = 32;
    let w = rand_i8(size * size, 7);
    let a = rand_i8(size * size, 8);
    let mut want = vec![0i32; size * size];
    native_gemm(size, size, size, &w, &a, &mut want);
    for t in [4u32, 8, 16] {
        let img = tiled_gemm_image(size as u32, t, &w, &a);
        let m = Machine::new(&HwConfig::default(), &img).unwrap();
        for timing in [false, true] {
            let mut m = m.clone();
            if timing {
                m.enable_timing();
            }
            assert_eq!(m.run_fast(u64::MAX), Ok(Some(0)));
            let c = m.read_dram(TILED_C_ADDR, 4 * (size * size) as u32).unwrap();
            assert_eq!(
                untile_c(size as u32, t, &c),
                want,
                "tile {t}, timing {timing}"
            );
        }
    }
}

#[test]
fn transposed_native_equals_plain() {
    let (m, k, n) = (5, 33, 7);
    let a = rand_i8(m * k, 3);
    let b = rand_i8(k * n, 4);
    let mut bt = vec![0i8; n * k];
    for kk in 0..k {
        for j in 0..n {
            bt[j * k + kk] = b[kk * n + j];
        }
    }
    let (mut c1, mut c2) = (vec![0i32; m * n], vec![0i32; m * n]);
    native_gemm(m, k, n, &a, &b, &mut c1);
    native_gemm_bt(m, k, n, &a, &bt, &mut c2);
    assert_eq!(c1, c2);
}
