# program: programs/examples/calls_loops.s
# list (and its continuation, list -, ranges), disassemble, info line/symbol, backtrace in
# recursion, help, bad commands with suggestions.
list
list

list -
list fib_iter
list 1,3
list 170,200
list 9999
list nosuch
b fib_rec if r10 == 12
run
bt
list
disassemble
disassemble sum_to, +12
x/2i sum_to
info line
info line sum_to
info line calls_loops.s:133
info line *0x1004
info symbol $pc
info symbol squares + 8
info symbol 0x10
info symbol
info frame
info
info foo
info b
help
help break
help x
help nosuch
foo
stpi
s nonsense
c foo
fin 3
