        li r1, r2
        mv r1, 5
