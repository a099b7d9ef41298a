//! Framing: one compact JSON object per line (JSON text never holds a raw
//! newline). Lines have a length limit, and a reader never buffers more
//! than that limit plus one byte.

use std::io;

use serde::Serialize;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use zeroize::Zeroizing;

/// The longest request the service reads, newline included.
pub const MAX_REQUEST: usize = 64 * 1024;

/// The longest message a client reads from the service.
pub const MAX_SERVER_MESSAGE: usize = 4 * 1024 * 1024;

/// Why a line could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// Longer than the limit.
    #[error("message longer than {0} bytes")]
    TooLong(usize),
    /// The stream failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Reads one line into `buf` (cleared first; the newline removed).
/// `Ok(false)` at the end of the stream with nothing read; a last line
/// without a newline counts as a line.
pub async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> Result<bool, FrameError> {
    buf.clear();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let n = (&mut *reader).take(limit).read_until(b'\n', buf).await?;
    if n == 0 {
        return Ok(false);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    } else if buf.len() > max.saturating_sub(1) {
        return Err(FrameError::TooLong(max));
    }
    Ok(true)
}

/// Writes `message` and a newline. The serialized text (which may hold a
/// secret) is wiped afterwards.
pub async fn write_message<W: AsyncWrite + Unpin, T: Serialize>(
    writer: &mut W,
    message: &T,
) -> io::Result<()> {
    let mut text = Zeroizing::new(serde_json::to_vec(message).map_err(io::Error::other)?);
    text.push(b'\n');
    writer.write_all(&text).await?;
    writer.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::BufReader;

    #[tokio::test]
    async fn lines_and_limits() {
        let input: &[u8] = b"{\"a\":1}\r\n{\"b\":2}\nlast";
        let mut r = BufReader::new(input);
        let mut buf = Vec::new();
        assert!(read_line(&mut r, &mut buf, 64).await.unwrap());
        assert_eq!(buf, b"{\"a\":1}");
        assert!(read_line(&mut r, &mut buf, 64).await.unwrap());
        assert_eq!(buf, b"{\"b\":2}");
        assert!(read_line(&mut r, &mut buf, 64).await.unwrap());
        assert_eq!(buf, b"last");
        assert!(!read_line(&mut r, &mut buf, 64).await.unwrap());
    }

    #[tokio::test]
    async fn too_long_is_refused_without_reading_it_all() {
        let long = vec![b'x'; 10_000];
        let mut r = BufReader::new(&long[..]);
        let mut buf = Vec::new();
        let e = read_line(&mut r, &mut buf, 100).await.unwrap_err();
        assert!(matches!(e, FrameError::TooLong(100)), "{e:?}");
        assert!(buf.len() <= 101, "{}", buf.len());
        // Exactly at the limit (newline included) is fine.
        let mut exact = vec![b'y'; 99];
        exact.push(b'\n');
        let mut r = BufReader::new(&exact[..]);
        assert!(read_line(&mut r, &mut buf, 100).await.unwrap());
        assert_eq!(buf.len(), 99);
    }
}
