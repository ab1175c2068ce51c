# program: programs/examples/calls_loops.s
# stepi/nexti/step/next over and into calls, finish (leaf, nested, outermost), until
# (leaving a loop), advance, empty-line repeat, stepping after exit.
start
stepi
si 2
nexti
info registers r10 r20
step
step
next
next
finish
finish
b sum_to
c
next
next

next
until
until
advance square
bt
finish
finish
advance 99
step 3
nexti 3
continue 0
c
stepi
next
finish
until
info frame
run
