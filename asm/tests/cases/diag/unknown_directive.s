        .wrod 1
        .frobnicate
