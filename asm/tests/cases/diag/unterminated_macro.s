        .macro twice x
        \x
        \x

        nop
