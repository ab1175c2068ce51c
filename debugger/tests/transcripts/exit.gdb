# program: programs/examples/gemm_check.s
# options: --no-timing
# After the program exits: stepping refuses, reverse execution works; run starts over.
run
stepi
next
continue
finish
reverse-stepi
info registers pc
si
si
info mac
stats
timeline
run
quit
p 1
