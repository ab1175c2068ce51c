; calls_loops.s -- the scalar control core on its own: subroutine calls with a stack,
; recursion, `dbnz` counted loops, macros with parameters (from an included file; their
; labels are unique per expansion via `\@`), `.rept` and numeric local labels.
;
; Each result is computed twice, by two different methods, and compared:
;   1. fib(N) by naive recursion (call/ret, ra and arguments saved on the stack) vs. an
;      iterative dbnz loop;
;   2. a table of squares built at assembly time by `.rept` vs. mul at run time;
;   3. 1 + 2 + ... + N by a dbnz loop vs. N * (N + 1) / 2;
;   4. sum of squares by nested calls (sum_squares -> square) vs. N (N + 1) (2N + 1) / 6;
;   5. a `.rept`-unrolled add chain vs. a multiply;
;   6. gcd by recursion (Euclid, remu) vs. the product/lcm identity gcd * lcm = a * b
;      with lcm found by a dbnz search;
;   7. sp is back at its reset value (every push popped).
; Exit code 0 if all agree, else the number of the failed comparison.

        .include "include/common.inc"

        .equ FIB_N, 15
        .equ SUM_N, 100
        .equ SQ_N, 20
        .equ UNROLL, 12
        .equ GCD_A, 462
        .equ GCD_B, 1071

        .text
        .global _start
_start:
        mv      r28, sp                 ; remember the initial stack pointer

        ; 1. recursive vs iterative Fibonacci
        li      r10, FIB_N
        call    fib_rec
        mv      r20, r10
        li      r10, FIB_N
        call    fib_iter
        expect_eq r20, r10, 1

        ; 2. .rept table of squares vs mul
        la      r11, squares
        li      r12, 0                  ; i
        li      r13, SQ_N
1:      lw      r14, 0(r11)
        mul     r15, r12, r12
        expect_eq r14, r15, 2
        addi    r11, r11, WORD
        addi    r12, r12, 1
        dbnz    r13, 1b

        ; 3. dbnz sum vs closed form
        li      r10, SUM_N
        call    sum_to
        li      r11, SUM_N
        addi    r12, r11, 1
        mul     r12, r11, r12
        srli    r12, r12, 1
        expect_eq r10, r12, 3

        ; 4. nested calls vs closed form
        li      r10, SQ_N
        call    sum_squares
        li      r11, SQ_N
        addi    r12, r11, 1
        mul     r12, r11, r12
        slli    r13, r11, 1
        addi    r13, r13, 1
        mul     r12, r12, r13
        li      r13, 6
        divu    r12, r12, r13
        expect_eq r10, r12, 4

        ; 5. unrolled add chain vs multiply
        li      r10, 0
        .rept   UNROLL
        addi    r10, r10, 7
        .endr
        expect_eqi r10, UNROLL * 7, 5

        ; 6. gcd by recursion vs lcm search: the smallest multiple of a divisible by b
        li      r10, GCD_A
        li      r11, GCD_B
        call    gcd
        mv      r20, r10                ; g
        li      r12, GCD_A              ; lcm candidate = a * j, j = 1 ..
        li      r13, GCD_B              ; at most b steps
        li      r14, 0
2:      addi    r14, r14, GCD_A
        li      r15, GCD_B
        remu    r15, r14, r15
        beqz    r15, 3f
        dbnz    r13, 2b
3:      mul     r15, r20, r14           ; g * lcm == a * b
        li      r16, GCD_A * GCD_B
        expect_eq r15, r16, 6

        ; 7. balanced stack
        expect_eq sp, r28, 7
        li      r10, EXIT_OK
        halt    r10

; fib_rec: r10 = n -> r10 = fib(n), fib(0) = 0, fib(1) = 1. Recursive; saves ra and n.
fib_rec:
        li      r11, 2
        blt     r10, r11, 1f            ; fib(0) = 0, fib(1) = 1
        push    ra
        push    r10
        addi    r10, r10, -1
        call    fib_rec                 ; fib(n - 1)
        pop     r11                     ; n
        push    r10                     ; save fib(n - 1)
        addi    r10, r11, -2
        call    fib_rec                 ; fib(n - 2)
        pop     r11
        add     r10, r10, r11
        pop     ra
1:      ret

; fib_iter: r10 = n >= 2 -> r10 = fib(n): n - 1 steps of a dbnz loop. Clobbers r11..r13.
fib_iter:
        li      r11, 0                  ; fib(i - 1)
        li      r12, 1                  ; fib(i), i = 1
        addi    r10, r10, -1
1:      add     r13, r11, r12
        mv      r11, r12
        mv      r12, r13
        dbnz    r10, 1b
        mv      r10, r12
        ret

; sum_to: r10 = n >= 1 -> r10 = 1 + ... + n, counting down with dbnz. Clobbers r11.
sum_to:
        li      r11, 0
1:      add     r11, r11, r10
        dbnz    r10, 1b
        mv      r10, r11
        ret

; square: r10 -> r10 * r10 (a leaf).
square:
        mul     r10, r10, r10
        ret

; sum_squares: r10 = n >= 1 -> sum_{i=1..n} i^2, calling square for each term.
; Saves ra, r20, r21 on the stack.
sum_squares:
        push    ra
        push    r20
        push    r21
        mv      r20, r10                ; i = n .. 1
        li      r21, 0                  ; sum
1:      mv      r10, r20
        call    square
        add     r21, r21, r10
        dbnz    r20, 1b
        mv      r10, r21
        pop     r21
        pop     r20
        pop     ra
        ret

; gcd: r10 = a, r11 = b -> r10 = gcd(a, b), Euclid by tail recursion through call/ret.
gcd:
        beqz    r11, 1f
        push    ra
        remu    r12, r10, r11
        mv      r10, r11
        mv      r11, r12
        call    gcd
        pop     ra
1:      ret

        .rodata
        .align  4
squares:                                ; i * i for i = 0 .. SQ_N - 1, built by .rept
        .set    I, 0
        .rept   SQ_N
        .word   I * I
        .set    I, I + 1
        .endr
