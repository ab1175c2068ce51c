# program: programs/examples/lut_codebook.s
# lut after set.lut (and reprogramming), tiles in LUT format.
b 44
run
lut 0
info tiles
tile t0 rows 0:2
watch wlut
b 52
c
lut 0
info breakpoints
