loop:   nop
        nop
loop:   j loop
