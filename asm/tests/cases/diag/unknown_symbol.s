        .data
buffer: .word 0
        .word bufer
        .text
        j nowhere
