# program: programs/examples/calls_loops.s
# break by label, *address, hex address, FILE:LINE and LINE; tbreak; conditions; ignore
# counts through `continue N`; enable/disable/delete; errors with suggestions.
break fib_rec
b *0x11c0
br 0x11d4
tbreak calls_loops.s:151
b 133
b sum_squares if r10 == 20
info breakpoints
run
continue 3
info breakpoints
disable 1
c
c
info breakpoints
delete 1 2
enable 3
c
c
info breakpoints
b fib_recc
b fib_iter if nosuch == 3
b fib_iter if r10 ==
b common.inc:20
b nosuch.s:3
b 9999
delete 99
disable x
delete
info breakpoints
b *fib_iter + 8
run
tbreak square
c
info breakpoints
