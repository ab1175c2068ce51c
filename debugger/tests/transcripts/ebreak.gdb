# program: debugger/tests/programs/ebreak.s
# `ebreak` stops like a breakpoint; continue and stepi resume after it; reverse execution
# goes back through it and forward again.
run
p r1
continue
p r1
stepi
p r1
reverse-stepi 3
p r1
reverse-continue
continue
continue
continue
