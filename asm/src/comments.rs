//! Block comments (`/* … */`, may span lines): a pass over a source buffer that blanks
//! them out, keeping every byte offset and newline, so the line-based lexer never sees
//! them while diagnostics still show the text as written. String and character literals
//! and line comments (`;`, `#`, `//`) are honoured: a `/*` inside them opens nothing.

/// The text to lex for `text`: `None` if it has no block comment (lex `text` itself),
/// else the text with each comment's bytes (other than newlines) replaced by spaces, and
/// the offset of a `/*` that is never closed (blanked to the end of the text).
pub(crate) fn blank_block_comments(text: &str) -> Option<(String, Option<usize>)> {
    if !text.contains("/*") {
        return None;
    }
    #[derive(PartialEq)]
    enum St {
        Code,
        Lit(u8),
        Line,
        Block(usize),
    }
    let mut b = text.as_bytes().to_vec();
    let mut st = St::Code;
    let mut found = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match st {
            St::Code => match c {
                b'"' | b'\'' => st = St::Lit(c),
                b';' | b'#' => st = St::Line,
                b'/' if b.get(i + 1) == Some(&b'/') => st = St::Line,
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    found = true;
                    st = St::Block(i);
                    b[i] = b' ';
                    b[i + 1] = b' ';
                    i += 1;
                }
                _ => {}
            },
            St::Lit(q) => match c {
                b'\\' if b.get(i + 1).is_some_and(|&n| n != b'\n') => i += 1,
                b'\n' => st = St::Code,
                _ if c == q => st = St::Code,
                _ => {}
            },
            St::Line => {
                if c == b'\n' {
                    st = St::Code;
                }
            }
            St::Block(_) => {
                if c == b'*' && b.get(i + 1) == Some(&b'/') {
                    b[i] = b' ';
                    b[i + 1] = b' ';
                    i += 1;
                    st = St::Code;
                } else if c != b'\n' && c != b'\r' {
                    b[i] = b' ';
                }
            }
        }
        i += 1;
    }
    if !found {
        return None;
    }
    let open = match st {
        St::Block(at) => Some(at),
        _ => None,
    };
    // Only whole UTF-8 sequences were replaced (a comment ends at an ASCII `*/`).
    let code = String::from_utf8(b).ok()?;
    Some((code, open))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_keep_offsets_and_lines() {
        let t = "a /* x\ny */ b\n";
        let (c, open) = blank_block_comments(t).unwrap();
        assert_eq!(c, "a     \n     b\n");
        assert_eq!(open, None);
        let (c, _) = blank_block_comments("x/*é*/y").unwrap();
        assert_eq!(c, format!("x{}y", " ".repeat("/*é*/".len())));
    }

    #[test]
    fn literals_and_line_comments_open_nothing() {
        assert_eq!(blank_block_comments(".ascii \"/*\"\n"), None);
        assert_eq!(blank_block_comments("nop ; /* not\n"), None);
        assert_eq!(blank_block_comments("nop // /* not\n"), None);
        assert_eq!(
            blank_block_comments("li r1, '/' /* c */\n").unwrap().0,
            "li r1, '/'        \n"
        );
        assert_eq!(blank_block_comments(".ascii \"\\\"/*\"\n"), None);
    }

    #[test]
    fn unterminated_is_reported_at_the_opening() {
        let (c, open) = blank_block_comments("nop\n/* a\nb\n").unwrap();
        assert_eq!(open, Some(4));
        assert_eq!(c, "nop\n    \n \n");
    }
}
