# program: programs/debug/tiled_bug.s
# The walkthrough of docs/DEBUGGING.md: find the planted bug in a sparse tiled GEMM.
run
break mismatch
run
p r16
p/d r15
p/d r17
info tiles
watch t1
run
continue
continue
tile t1 rows 8:10 --codes
x/16ub a_bytes + 64
reverse-stepi
tile t1 rows 8:10 --codes
info symbol r10
list 42,45
list 16,17
