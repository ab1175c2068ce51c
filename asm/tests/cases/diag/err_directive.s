; `.err` / `.error` are errors at their line when assembled; in a skipped branch they do
; nothing. A macro shows the expansion site.
        .data
        .if 0
        .err "never"
        .endif
        .err
        .error "unsupported VARIANT"
        .macro need x
        .if \x == 0
        .error "need: x must not be 0"
        .endif
        .endm
        need 1
        need 0
        .err 5
