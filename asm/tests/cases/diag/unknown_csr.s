        cfgi wprek, 4
        csrr r1, 0x7f
