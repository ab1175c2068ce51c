//! DAP framing: each message is a `Content-Length: N` header block (other headers are
//! allowed and ignored), a blank line, then N bytes of JSON. Reading is bounded: a header
//! line longer than [`MAX_HEADER_LINE`] or a body longer than [`MAX_BODY`] is a framing
//! error, not an allocation.

use std::io::{BufRead, Read, Write};

/// Longest header line accepted (bytes).
pub const MAX_HEADER_LINE: usize = 1024;
/// Largest message body accepted (bytes).
pub const MAX_BODY: usize = 16 << 20;

/// A framing problem: the message cannot be read, but the stream may go on.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The input failed or ended inside a message.
    #[error("reading the input: {0}")]
    Io(#[from] std::io::Error),
    /// A header block without `Content-Length`, or with a bad one.
    #[error("bad message header: {0}")]
    Header(String),
}

/// Read one message body. `Ok(None)` at the end of the input (between messages).
pub fn read_message(r: &mut impl BufRead) -> Result<Option<Vec<u8>>, FrameError> {
    let mut len: Option<usize> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        let n = Read::take(&mut *r, MAX_HEADER_LINE as u64 + 1).read_until(b'\n', &mut line)?;
        if n == 0 {
            if saw_header {
                return Err(FrameError::Header("the input ended inside a header".into()));
            }
            return Ok(None);
        }
        if line.len() > MAX_HEADER_LINE {
            // Skip the rest of the over-long line (without keeping it) so the next message
            // can be read.
            skip_line(r)?;
            return Err(FrameError::Header(format!(
                "header line longer than {MAX_HEADER_LINE} bytes"
            )));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !saw_header {
                continue; // stray blank line between messages
            }
            break;
        }
        saw_header = true;
        let Some((name, value)) = text.split_once(':') else {
            return Err(FrameError::Header(format!("`{text}` is not `Name: value`")));
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            let v = value.trim();
            let n: usize = v
                .parse()
                .map_err(|_| FrameError::Header(format!("Content-Length `{v}` is not a number")))?;
            if n > MAX_BODY {
                return Err(FrameError::Header(format!(
                    "Content-Length {n} exceeds the limit of {MAX_BODY} bytes"
                )));
            }
            len = Some(n);
        }
    }
    let n = len.ok_or_else(|| FrameError::Header("no Content-Length header".into()))?;
    let mut body = vec![0; n];
    r.read_exact(&mut body)?;
    Ok(Some(body))
}

/// Consume input up to and including the next newline (or the end), keeping nothing.
fn skip_line(r: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                r.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    }
}

/// Write one message.
pub fn write_message(w: &mut impl Write, body: &[u8]) -> std::io::Result<()> {
    write!(w, "Content-Length: {}\r\n\r\n", body.len())?;
    w.write_all(body)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_framed_messages_and_skips_other_headers() {
        let input = b"Content-Length: 2\r\n\r\n{}Content-Type: x\r\nContent-Length: 4\r\n\r\nnull";
        let mut r = &input[..];
        assert_eq!(read_message(&mut r).unwrap().unwrap(), b"{}");
        assert_eq!(read_message(&mut r).unwrap().unwrap(), b"null");
        assert!(read_message(&mut r).unwrap().is_none());
    }

    #[test]
    fn bad_headers_are_errors() {
        let mut r = &b"Content-Length: x\r\n\r\n"[..];
        assert!(matches!(read_message(&mut r), Err(FrameError::Header(_))));
        let mut r = &b"Foo: 1\r\n\r\n"[..];
        assert!(matches!(read_message(&mut r), Err(FrameError::Header(_))));
        let big = format!("Content-Length: {}\r\n\r\n", MAX_BODY + 1);
        let mut r = big.as_bytes();
        assert!(matches!(read_message(&mut r), Err(FrameError::Header(_))));
        let mut r = &b"Content-Length: 10\r\n\r\n{}"[..];
        assert!(matches!(read_message(&mut r), Err(FrameError::Io(_))));
    }

    #[test]
    fn an_over_long_header_line_is_skipped() {
        let mut input = vec![b'x'; 3 * MAX_HEADER_LINE];
        input.extend_from_slice(b"\r\nContent-Length: 2\r\n\r\n{}");
        let mut r = &input[..];
        assert!(matches!(read_message(&mut r), Err(FrameError::Header(_))));
        assert_eq!(read_message(&mut r).unwrap().unwrap(), b"{}");
    }

    #[test]
    fn round_trip() {
        let mut out = Vec::new();
        write_message(&mut out, br#"{"a":1}"#).unwrap();
        let mut r = &out[..];
        assert_eq!(read_message(&mut r).unwrap().unwrap(), br#"{"a":1}"#);
    }
}
