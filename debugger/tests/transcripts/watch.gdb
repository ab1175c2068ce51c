# program: programs/examples/gemm_check.s
# watch/rwatch/awatch on CSRs, registers, tiles, memory (*ADDR@LEN) and symbols; forward
# and in reverse (reverse-continue stops where the value last changed).
watch wprec
watch r11
run
c
info watchpoints
delete
rwatch wprec
c
c
delete
awatch aprec
start
c
c
delete
start
watch *result@8
c
p *result@8
delete
watch result
rc
delete
watch t2
run
c
c
reverse-continue
reverse-continue
info breakpoints
delete
watch nosuch
watch $pc
watch *0xfffffff0@8
watch *result@0
watch
