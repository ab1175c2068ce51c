# program: programs/examples/gemm_check.s
# print/x/set var/display on registers, CSRs, symbols and memory; x in every format and
# unit, x/i and its continuation; expression errors.
b 45
run
print r10
p/x r10
p/t wprec
p/o 8
p/c 65
p/a $pc
p/d -5
p/u -1
p r6 * (r7 + 1) << 2
p wprec == 4 && aprec == 8
p *w_bytes
p/x *w_bytes
p *w_bytes@8
p/x *a_bytes@4
p result
p $sp
x/4xw w_tile
x
x/8db w_bytes

x/2dh a_bytes
x/4ub a_bytes + 2
x/3c a_bytes
x/2a $pc
x/3i $pc
x
x/ti a_bytes
set var r5 = 7
set var r6 = r5 * 3 + 1
info registers r5 r6 pc
set var wprec = 2
p wprec
set var wprec = 99
set var nnz = 1
set var *result = 0x1234
x/1xw result
set var $pc = 3
set var r0 = 1
set var foo = 1
set var = 3
set r5 = 9
p r5
display r5
display/x r6
display/i $pc
info display
si
undisplay 2
undisplay 9
info display
si
undisplay
si
p r5 +
p (r5
p nosuch
p wprecc
p 1 / 0
p *0xfffffff0
p/q r5
p/xx r5
x/4z r5
x
p
print 5 6
