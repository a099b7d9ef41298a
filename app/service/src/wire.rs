//! Reading requests off a client's socket: one line at a time into a
//! fixed buffer that is never reallocated (so a secret in a `connect`
//! leaves no stray copies) and is wiped after each line and on drop.

use std::time::Duration;

use softwire_api::MAX_REQUEST;
use tokio::io::{AsyncRead, AsyncReadExt};
use zeroize::{Zeroize, Zeroizing};

/// Why no request came.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The client closed the connection.
    Closed,
    /// Longer than [`MAX_REQUEST`].
    TooLarge,
    /// Nothing arrived for the idle limit.
    Idle,
    /// A request started but did not end in time (a slow client).
    TooSlow,
    /// The socket failed.
    Io(String),
}

/// Reads lines from a client.
#[derive(Debug)]
pub struct LineReader<R> {
    stream: R,
    buf: Zeroizing<Vec<u8>>,
    filled: usize,
    /// The length of the line last returned, newline included.
    consumed: usize,
    /// When the first byte of the line being read arrived (kept when a
    /// caller gives up waiting and comes back, so a slow client cannot
    /// reset its clock).
    line_started: Option<tokio::time::Instant>,
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    /// A reader over `stream`.
    pub fn new(stream: R) -> Self {
        Self {
            stream,
            buf: Zeroizing::new(vec![0; MAX_REQUEST]),
            filled: 0,
            consumed: 0,
            line_started: None,
        }
    }

    /// The next line (without its newline). `idle` bounds the wait for its
    /// first byte (`None`: no bound); `whole` the time from its first byte
    /// to its end. Cancel-safe: bytes read stay for the next call.
    pub async fn next_line(
        &mut self,
        idle: Option<Duration>,
        whole: Duration,
    ) -> Result<&[u8], ReadError> {
        self.discard_consumed();
        if self.filled > 0 {
            self.line_started
                .get_or_insert_with(tokio::time::Instant::now);
        }
        loop {
            if let Some(end) = self
                .buf
                .get(..self.filled)
                .and_then(|b| b.iter().position(|&c| c == b'\n'))
            {
                self.consumed = end + 1;
                self.line_started = None;
                let line = self.buf.get(..end).unwrap_or_default();
                return Ok(line.strip_suffix(b"\r").unwrap_or(line));
            }
            if self.filled == self.buf.len() {
                return Err(ReadError::TooLarge);
            }
            let started = self.line_started;
            let limit = match started {
                Some(t) => Some(t + whole),
                None => idle.map(|i| tokio::time::Instant::now() + i),
            };
            let Some(space) = self.buf.get_mut(self.filled..) else {
                return Err(ReadError::TooLarge);
            };
            let read = self.stream.read(space);
            let n = match limit {
                Some(deadline) => match tokio::time::timeout_at(deadline, read).await {
                    Ok(r) => r,
                    Err(_) if started.is_some() => return Err(ReadError::TooSlow),
                    Err(_) => return Err(ReadError::Idle),
                },
                None => read.await,
            }
            .map_err(|e| ReadError::Io(e.to_string()))?;
            if n == 0 {
                return Err(ReadError::Closed);
            }
            self.filled += n;
            self.line_started
                .get_or_insert_with(tokio::time::Instant::now);
        }
    }

    /// Moves what follows the last line to the front and wipes the rest.
    fn discard_consumed(&mut self) {
        if self.consumed == 0 {
            return;
        }
        self.buf.copy_within(self.consumed..self.filled, 0);
        self.filled -= self.consumed;
        self.consumed = 0;
        if let Some(rest) = self.buf.get_mut(self.filled..) {
            rest.zeroize();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn lines_split_across_reads_and_several_in_one() {
        let (mut a, b) = tokio::io::duplex(1024);
        let mut r = LineReader::new(b);
        a.write_all(b"{\"id\":1}\n{\"id").await.unwrap();
        let t = Duration::from_secs(1);
        assert_eq!(r.next_line(Some(t), t).await.unwrap(), b"{\"id\":1}");
        a.write_all(b"\":2}\r\n").await.unwrap();
        assert_eq!(r.next_line(Some(t), t).await.unwrap(), b"{\"id\":2}");
        drop(a);
        assert_eq!(
            r.next_line(Some(t), t).await.unwrap_err(),
            ReadError::Closed
        );
    }

    #[tokio::test]
    async fn too_large_slow_and_idle() {
        let (mut a, b) = tokio::io::duplex(MAX_REQUEST * 2);
        let mut r = LineReader::new(b);
        a.write_all(&vec![b'x'; MAX_REQUEST + 10]).await.unwrap();
        let t = Duration::from_secs(5);
        assert_eq!(
            r.next_line(Some(t), t).await.unwrap_err(),
            ReadError::TooLarge
        );

        let (mut a, b) = tokio::io::duplex(1024);
        let mut r = LineReader::new(b);
        a.write_all(b"{\"id\"").await.unwrap();
        let short = Duration::from_millis(100);
        assert_eq!(
            r.next_line(None, short).await.unwrap_err(),
            ReadError::TooSlow
        );

        let (_a, b) = tokio::io::duplex(1024);
        let mut r = LineReader::new(b);
        assert_eq!(
            r.next_line(Some(short), t).await.unwrap_err(),
            ReadError::Idle
        );
    }
}
