; Conditional assembly: .if/.elseif/.else/.endif, .ifdef/.ifndef, nesting, comparisons,
; and skipped regions that are never parsed.
; define: VARIANT=2
; define: FAST
        .data
        .equ K, 3
        .if K == 3                      ; an .equ defined earlier
        .byte 1                         ; => 01
        .else
        .byte 2
        .endif
        .if VARIANT == 1
        .byte 0x10
        .elseif VARIANT == 2
        .byte 0x20                      ; => 20
        .elseif VARIANT == 2            ; a later true branch is not taken
        .byte 0x21
        .else
        .byte 0x30
        .endif
        .if 0
        this line is never parsed (((
        .if 1                           ; nested inside a skipped region: tracked
        .byte 0xee
        .else
        .byte 0xef
        .endif
        .err "not reached"
        .elseif 1
        .byte 0x40                      ; => 40
        .endif
        .ifdef FAST
        .byte 0x50                      ; => 50
        .endif
        .ifndef SLOW
        .byte 0x51                      ; => 51
        .endif
        .ifdef later                    ; defined after this line: false, as in GNU as
        .byte 0xff
        .endif
        .ifnotdef later
        .byte 0x52                      ; => 52
        .endif
        .if (K > 2) && !(K >= 4) || 0   ; C precedence, 1 for true
        .byte (K < 4) + (K != 3), K <= 3, 7 > 8 ; => 01 01 00
        .endif
        .IF 1                           ; case-insensitive like every directive
        .Byte 0x60                      ; => 60
        .ENDIF
        .if 1
        .if 0
        .byte 0xfe
        .elseif 0
        .byte 0xfd
        .else
        .byte 0x61                      ; => 61
        .endif
        .endif
later:  .byte 0x62                      ; => 62
        ; symbol: VARIANT = 2
        ; symbol: FAST = 1
