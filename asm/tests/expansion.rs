//! Macro expansion as the memory-saving paths handle it: invocations with the same
//! arguments (which share one expansion buffer), `.equ` forward references used through
//! macros, data emitted in pass 1, `.rept` inside reused expansions, and the limits (also
//! for `.irpc`, against the equivalent `.irp`). Each program is checked against the same
//! program expanded by hand, or against bytes and messages written out here.

use bitloom_asm::{assemble_str, Options};
use bitloom_isa::image::Image;

fn image(src: &str) -> Image {
    match assemble_str("t.s", src, &Options::default()) {
        Ok(o) => o.image,
        Err(d) => panic!("{}", d.render(false)),
    }
}

fn section(img: &Image, name: &str) -> Vec<u8> {
    img.section(name)
        .map(|s| s.data.clone())
        .unwrap_or_default()
}

const MACRO_PROGRAM: &str = "\
        .macro  step a, k=3
        addi    \\a, \\a, \\k
        andi    \\a, \\a, K & 1023
        bne     \\a, r0, done
        .data
        .word   K, \\k
        .short  L
        .text
        .endm
        .text
_start: step    r5, 7
        step    r5, 7
        step    r6
        step    r5, 7
        .equ    K, L + 1
done:   halt    r0
        .equ    L, 0x55
";

/// The same program with every invocation written out.
const HAND_EXPANDED: &str = "\
        .text
_start: addi    r5, r5, 7
        andi    r5, r5, K & 1023
        bne     r5, r0, done
        .data
        .word   K, 7
        .short  L
        .text
        addi    r5, r5, 7
        andi    r5, r5, K & 1023
        bne     r5, r0, done
        .data
        .word   K, 7
        .short  L
        .text
        addi    r6, r6, 3
        andi    r6, r6, K & 1023
        bne     r6, r0, done
        .data
        .word   K, 3
        .short  L
        .text
        addi    r5, r5, 7
        andi    r5, r5, K & 1023
        bne     r5, r0, done
        .data
        .word   K, 7
        .short  L
        .text
        .equ    K, L + 1
done:   halt    r0
        .equ    L, 0x55
";

#[test]
fn repeated_invocations_match_the_hand_expansion() {
    let (m, h) = (image(MACRO_PROGRAM), image(HAND_EXPANDED));
    for s in [".text", ".data"] {
        assert_eq!(section(&m, s), section(&h, s), "{s}");
    }
    // K = L + 1 = 0x56, both defined after their uses.
    assert_eq!(
        &section(&m, ".data")[..10],
        &[0x56, 0, 0, 0, 7, 0, 0, 0, 0x55, 0]
    );
    // Each instruction of an expansion is attributed to its own invocation line.
    let lines: Vec<u32> = m.lines.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [11, 11, 11, 12, 12, 12, 13, 13, 13, 14, 14, 14, 16]);
}

#[test]
fn errors_in_repeated_invocations_are_reported_for_each() {
    let src = "\
        .macro  bad a
        add     \\a, ,
        addi    \\a, \\a, 99999
        .endm
        bad     r1
        bad     r1
        bad     r2
";
    let d = assemble_str("t.s", src, &Options::default()).unwrap_err();
    // One syntax error and one range error per invocation.
    assert_eq!(d.error_count(), 6, "{}", d.render(false));
    let text = d.render(false);
    assert_eq!(text.matches("syntax error").count(), 3, "{text}");
    // Each points at its own invocation.
    let mut sites: Vec<u32> = d
        .list
        .iter()
        .map(|dg| {
            let (sp, _) = dg
                .secondary
                .iter()
                .find(|(_, l)| l.contains("expansion of macro"))
                .unwrap_or_else(|| panic!("no expansion site:\n{text}"));
            let f = d.sources.to_file(*sp);
            d.sources.sources[f.src as usize].line_col(f.start).0
        })
        .collect();
    sites.sort();
    assert_eq!(sites, [5, 5, 6, 6, 7, 7], "{text}");
}

#[test]
fn recursion_with_the_same_arguments_stops_at_the_nesting_limit() {
    let src = "\
        .macro  r x
        addi    r1, r1, \\x
        r       \\x
        .endm
        r       1
";
    let d = assemble_str("t.s", src, &Options::default()).unwrap_err();
    assert_eq!(d.error_count(), 1, "{}", d.render(false));
    assert!(d.list[0]
        .message
        .contains("nested more than 64 levels deep"));
}

#[test]
fn rept_inside_reused_expansions() {
    let src = "\
        .macro  rp n
        .rept   \\n
        .byte   \\n
        .endr
        .endm
        .data
        rp      2
        rp      2
        rp      3
        rp      2
";
    assert_eq!(section(&image(src), ".data"), [2, 2, 2, 2, 3, 3, 3, 2, 2]);
}

#[test]
fn data_of_known_and_later_values() {
    let src = "\
        .data
a:      .byte   1, -1, 255, K
        .half   -2, 0x1234
        .word   a, later, K * 2
later:  .byte   '\\n'
        .equ    K, 9
";
    let img = image(src);
    let base = img.section(".data").unwrap().addr;
    let later = base + 20;
    let mut want = vec![1, 0xff, 0xff, 9, 0xfe, 0xff, 0x34, 0x12];
    for w in [base, later, 18] {
        want.extend_from_slice(&w.to_le_bytes());
    }
    want.push(b'\n');
    assert_eq!(section(&img, ".data"), want);
    // Out-of-range constants are still errors with their range, at their value.
    let d = assemble_str(
        "t.s",
        ".data\n.byte 1, 256\n.half 70000\n",
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(d.error_count(), 2, "{}", d.render(false));
    assert!(d.list[0].message.contains("does not fit in 1 byte"));
    assert!(d.list[1].message.contains("does not fit in 2 bytes"));
    assert_eq!(d.location(&d.list[0]).1, 2);
    assert_eq!(d.location(&d.list[1]).1, 3);
}

/// Branches to targets already defined in the same section are encoded in pass 1; the
/// words must be those of pass 2 (checked against absolute targets, which only pass 2
/// resolves), and a target out of range is still the same error.
#[test]
fn backward_branches_match_pass_two() {
    let early = "\
_start: nop
back:   nop
        .macro  loop r
1:      addi    \\r, \\r, -1
        bnez    \\r, 1b
        .endm
        loop    r3
        bne     r1, r2, back
        call    _start
        j       .
        halt    r0
";
    let late = "\
_start: nop
        nop
        addi    r3, r3, -1
        bnez    r3, 0x1008
        bne     r1, r2, 0x1004
        call    0x1000
        j       0x1018
        halt    r0
";
    assert_eq!(
        section(&image(early), ".text"),
        section(&image(late), ".text")
    );
    let far = "_start: nop\n.rept 100000\nnop\n.endr\nbeq r1, r2, _start\nhalt r0\n";
    let d = assemble_str("t.s", far, &Options::default()).unwrap_err();
    assert_eq!(d.error_count(), 1, "{}", d.render(false));
    assert!(d.list[0]
        .message
        .contains("branch target out of range for `beq`"));
    assert_eq!(d.location(&d.list[0]).1, 5);
}

/// `.irpc` counts against `max_lines` and `max_expansion_bytes` exactly like the `.irp`
/// that lists the same characters: the least limits that assemble are the same, and are
/// the counts worked out here by hand.
#[test]
fn irpc_counts_against_the_limits_like_irp() {
    let irpc = "_start: .irpc n, 0123456789\n addi r1, r1, \\n\n.endr\n halt r0\n";
    let irp = "_start: .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9\n addi r1, r1, \\n\n.endr\n halt r0\n";
    assert_eq!(
        section(&image(irpc), ".text"),
        section(&image(irp), ".text")
    );
    // The least limit (from 1 to 1 << 20) with which `src` assembles.
    let least = |src: &str, opts: &dyn Fn(u64) -> Options| {
        let (mut lo, mut hi) = (1u64, 1u64 << 20);
        assert!(assemble_str("l.s", src, &opts(hi)).is_ok());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if assemble_str("l.s", src, &opts(mid)).is_ok() {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    };
    let lines = |n| Options {
        max_lines: n,
        ..Options::default()
    };
    let bytes = |n| Options {
        max_expansion_bytes: n,
        ..Options::default()
    };
    // Statements: the directive's line, one per iteration, each iteration's body line, `halt`.
    assert_eq!(least(irpc, &lines), 1 + 10 + 10 + 1);
    assert_eq!(least(irp, &lines), 1 + 10 + 10 + 1);
    // Bytes: per iteration the substituted body " addi r1, r1, N\n" (16) plus the overhead.
    let per = 16 + bitloom_asm::EXPANSION_OVERHEAD;
    assert_eq!(least(irpc, &bytes), 10 * per);
    assert_eq!(least(irp, &bytes), 10 * per);
    let d = assemble_str("l.s", irpc, &bytes(10 * per - 1)).unwrap_err();
    assert_eq!(d.error_count(), 1);
    assert!(
        d.render(false).contains("this `.irpc` exceeds it"),
        "{}",
        d.render(false)
    );
    assert_eq!(d.location(&d.list[0]).1, 1);
    // An empty body repeated without end stops at the limit, at the inner `.irpc`.
    let opts = lines(10_000);
    let src = ".rept 100000\n.irpc c, 0123456789\n.endr\n.endr\n_start: halt r0\n";
    let d = assemble_str("l.s", src, &opts).unwrap_err();
    assert_eq!(d.error_count(), 1);
    assert!(d.list[0].message.contains("more than 10000 statements"));
    assert_eq!(d.location(&d.list[0]).1, 2, "at the inner `.irpc`");
}
