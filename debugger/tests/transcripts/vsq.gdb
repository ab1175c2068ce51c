# program: programs/examples/vsq.s
# scales on per-vector scale tiles, info mac after vscale.
b 71
run
scales t3
scales t4
info mac
tile t3
config
