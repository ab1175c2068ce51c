# program: programs/examples/calls_loops.s
# Exact reverse execution: reverse-stepi/nexti/step/next over loops and calls,
# reverse-finish, reverse-continue to breakpoints, the start of history, history-size.
reverse-stepi
rc
b square
run
info frame
reverse-step
reverse-step
reverse-next
reverse-next
reverse-nexti
reverse-finish
c
c
reverse-continue
reverse-continue
info registers r10 r20
finish
reverse-finish
delete
b sum_to
run
reverse-nexti 4
rsi 2
rs
rn

p r10
reverse-stepi 100000
reverse-continue
info history
run
stepi 40
set history-size 10
info history
reverse-stepi 20
reverse-stepi 10
reverse-stepi
set history-size unlimited
