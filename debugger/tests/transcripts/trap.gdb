# program: debugger/tests/programs/trap.s
# A trap stops at the faulting instruction with the reason; the state is inspectable,
# stepping and continuing refuse, reverse execution works, and fixing the cause resumes.
run
info registers r5 r6 pc
p/x r5
stepi
continue
next
reverse-stepi
p r6
reverse-step
stepi
stepi
set var r5 = 0x2000
stepi
info registers r7
c
stepi
reverse-stepi
c
run
