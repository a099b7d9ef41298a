//! A bounds-checked cursor over received bytes.
//!
//! Every read checks the remaining length first and fails with
//! [`DecodeError::Truncated`]; nothing here indexes or panics.

use super::error::DecodeError;

/// Cursor over a byte slice that never reads past its end.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Takes `n` bytes, or fails naming `what`.
    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if n > self.rest.len() {
            return Err(DecodeError::Truncated {
                what,
                needed: n,
                available: self.rest.len(),
            });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// Takes everything that is left.
    pub(crate) fn take_rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.rest)
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        let [b] = self.array::<1>(what)?;
        Ok(b)
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// Reads a 16-bit length field that counts `header` bytes already read
    /// plus a body, and returns a reader over exactly that body. The length
    /// must cover at least the header and must not run past this reader.
    pub(crate) fn sub_by_length(
        &mut self,
        length: u16,
        header: usize,
        what: &'static str,
    ) -> Result<Reader<'a>, DecodeError> {
        let length = usize::from(length);
        let max = header.saturating_add(self.rest.len());
        if length < header || length > max {
            return Err(DecodeError::BadLength {
                what,
                length,
                min: header,
                max,
            });
        }
        let body = self.take(length - header, what)?;
        Ok(Reader::new(body))
    }
}

/// Converts a length to a 16-bit wire field, failing when it does not fit.
pub(crate) fn len16(len: usize, what: &'static str) -> Result<u16, super::EncodeError> {
    u16::try_from(len).map_err(|_| super::EncodeError::TooLong { what, length: len })
}
