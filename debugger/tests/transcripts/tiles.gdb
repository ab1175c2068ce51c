# program: programs/examples/gemm_check.s
# The accelerator views: info tiles, tile (raw, RLE-loaded, accumulator, windows, by
# scratchpad address), info mac, config, lut, stats, timeline, dump.
info tiles
tile t0
info mac
config
timeline 4
b 42
run
info tiles
tile t0
tile t1 --codes rows 0:3
tile t1 --values rows 14:16 cols 4:8
tile asp:0x10
tile wsp:0x3f
tile asp:0x200
tile t2
si
info mac
tile t2 rows 0:2
config
set var wprec = 2
config
lut
lut 2
lut 7
stats
timeline 4
dump t2 target/dbg-dumps/t2.npy
dump t1 target/dbg-dumps/t1_codes.npy --codes
dump t0 target/dbg-dumps/t0.npy --values
dump memory a_bytes 16 target/dbg-dumps/a16.npy
dump t2 target/dbg-dumps/x.npy --raw
dump t2 programs/examples/gemm_check.s
dump t9 target/dbg-dumps/x.npy
dump memory 0xfffffff0 64 target/dbg-dumps/x.npy
dump
tile t9
tile t1 rows 5:2
tile t1 bogus
tile
scales
