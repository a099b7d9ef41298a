//! A minimal, bounds-checked DER reader (ITU-T X.690 §8, §10) for the few
//! structures this module reads itself: the RFC 7427 AlgorithmIdentifier in
//! an AUTH payload, a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) and the
//! outer layers of a PKCS #8 PrivateKeyInfo (RFC 5208 §5).
//!
//! Certificates themselves are parsed by `webpki` and `x509-parser`; this
//! reader never decides trust. It only supports single-octet tags and
//! definite lengths of at most four octets, and rejects non-minimal length
//! encodings.

use thiserror::Error;

/// Universal tag: INTEGER.
pub(crate) const TAG_INTEGER: u8 = 0x02;
/// Universal tag: BIT STRING.
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
/// Universal tag: OCTET STRING.
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
/// Universal tag: NULL.
pub(crate) const TAG_NULL: u8 = 0x05;
/// Universal tag: OBJECT IDENTIFIER.
pub(crate) const TAG_OID: u8 = 0x06;
/// Universal tag: SEQUENCE (constructed).
pub(crate) const TAG_SEQUENCE: u8 = 0x30;

/// Context-specific constructed tag `[n]`.
pub(crate) const fn context(n: u8) -> u8 {
    0xa0 | n
}

/// Why a DER structure could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DerError {
    /// The input ended inside an element.
    #[error("the encoding ends early (truncated)")]
    Truncated,
    /// A length was indefinite, longer than four octets or not minimal.
    #[error("a DER length is not valid")]
    BadLength,
    /// A tag number above 30 (multi-octet tags are not used here).
    #[error("a DER tag is not valid")]
    BadTag,
    /// An element had a different tag than the structure requires.
    #[error("expected DER tag 0x{expected:02x}, found 0x{found:02x}")]
    UnexpectedTag {
        /// The tag the structure requires.
        expected: u8,
        /// The tag that was found.
        found: u8,
    },
    /// Octets followed the end of the structure.
    #[error("unexpected data after the end of the structure")]
    TrailingData,
    /// A value was out of the range this reader accepts.
    #[error("a DER value is out of range")]
    BadValue,
}

/// A cursor over DER-encoded elements.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `input`.
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    /// Whether every octet has been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Fails unless every octet has been read.
    pub(crate) fn finish(&self) -> Result<(), DerError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DerError::TrailingData)
        }
    }

    /// The tag of the next element, if there is one.
    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads one element: its tag and its contents.
    pub(crate) fn read_any(&mut self) -> Result<(u8, &'a [u8]), DerError> {
        let (&tag, after_tag) = self.rest.split_first().ok_or(DerError::Truncated)?;
        if tag & 0x1f == 0x1f {
            return Err(DerError::BadTag);
        }
        let (&first, mut after_len) = after_tag.split_first().ok_or(DerError::Truncated)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 {
                return Err(DerError::BadLength);
            }
            let (len_octets, rest) = after_len
                .split_at_checked(count)
                .ok_or(DerError::Truncated)?;
            after_len = rest;
            let mut len: usize = 0;
            for &octet in len_octets {
                len = len
                    .checked_mul(256)
                    .and_then(|l| l.checked_add(usize::from(octet)))
                    .ok_or(DerError::BadLength)?;
            }
            // Minimal encoding (X.690 §10.1): no leading zero octet and no
            // long form for lengths below 128.
            if len < 0x80 || len_octets.first() == Some(&0) {
                return Err(DerError::BadLength);
            }
            len
        };
        let (value, rest) = after_len.split_at_checked(len).ok_or(DerError::Truncated)?;
        self.rest = rest;
        Ok((tag, value))
    }

    /// Reads one element that must carry `tag`, returning its contents.
    pub(crate) fn expect(&mut self, tag: u8) -> Result<&'a [u8], DerError> {
        let (found, value) = self.read_any()?;
        if found == tag {
            Ok(value)
        } else {
            Err(DerError::UnexpectedTag {
                expected: tag,
                found,
            })
        }
    }

    /// Reads the next element only if it carries `tag`.
    pub(crate) fn optional(&mut self, tag: u8) -> Result<Option<&'a [u8]>, DerError> {
        if self.peek_tag() == Some(tag) {
            self.expect(tag).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// Reads `input` as exactly one element with `tag` and returns its contents.
pub(crate) fn single(input: &[u8], tag: u8) -> Result<&[u8], DerError> {
    let mut reader = Reader::new(input);
    let value = reader.expect(tag)?;
    reader.finish()?;
    Ok(value)
}

/// Reads a small non-negative INTEGER's contents (at most `u32`).
pub(crate) fn small_uint(contents: &[u8]) -> Result<u32, DerError> {
    let digits = match contents {
        [] => return Err(DerError::BadValue),
        [first, ..] if *first & 0x80 != 0 => return Err(DerError::BadValue),
        [0, rest @ ..] if !rest.is_empty() => {
            // A leading zero is only allowed before a high bit.
            if rest.first().is_some_and(|b| *b & 0x80 == 0) {
                return Err(DerError::BadValue);
            }
            rest
        }
        all => all,
    };
    if digits.len() > 4 {
        return Err(DerError::BadValue);
    }
    Ok(digits
        .iter()
        .fold(0u32, |acc, &octet| (acc << 8) | u32::from(octet)))
}

/// The number of significant bits of an unsigned big-endian INTEGER's
/// contents (used for RSA modulus sizes).
pub(crate) fn uint_bits(contents: &[u8]) -> usize {
    let mut digits = contents;
    while let [0, rest @ ..] = digits {
        digits = rest;
    }
    match digits.first() {
        None => 0,
        Some(&first) => {
            let leading = usize::try_from(first.leading_zeros()).unwrap_or(0);
            digits.len().saturating_mul(8).saturating_sub(leading)
        }
    }
}

/// Renders OID contents in dotted form ("1.2.840.113549.1.1.11") for
/// messages; falls back to hex when the encoding is not a valid OID.
pub(crate) fn oid_to_string(oid: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    let mut in_arc = false;
    for &octet in oid {
        let Some(next) = value
            .checked_mul(128)
            .and_then(|v| v.checked_add(u64::from(octet & 0x7f)))
        else {
            return hex_string(oid);
        };
        value = next;
        in_arc = octet & 0x80 != 0;
        if !in_arc {
            arcs.push(value);
            value = 0;
        }
    }
    if in_arc || arcs.is_empty() {
        return hex_string(oid);
    }
    let mut out = String::new();
    for (i, arc) in arcs.iter().enumerate() {
        if i == 0 {
            let (first, second) = match *arc {
                a if a < 40 => (0, a),
                a if a < 80 => (1, a - 40),
                a => (2, a - 80),
            };
            out.push_str(&format!("{first}.{second}"));
        } else {
            out.push_str(&format!(".{arc}"));
        }
    }
    out
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let mut short = Reader::new(&[0x04, 0x02, 0xaa, 0xbb]);
        assert_eq!(short.expect(TAG_OCTET_STRING), Ok(&[0xaa, 0xbb][..]));
        assert!(short.is_empty());

        let mut long = vec![0x04, 0x81, 0x80];
        long.extend(std::iter::repeat_n(0x11, 0x80));
        let mut reader = Reader::new(&long);
        assert_eq!(reader.expect(TAG_OCTET_STRING).map(<[u8]>::len), Ok(0x80));
    }

    #[test]
    fn rejects_bad_lengths_and_truncation() {
        // Indefinite length.
        assert_eq!(
            Reader::new(&[0x30, 0x80, 0x00, 0x00]).read_any(),
            Err(DerError::BadLength)
        );
        // Long form for a short length.
        assert_eq!(
            Reader::new(&[0x04, 0x81, 0x01, 0x00]).read_any(),
            Err(DerError::BadLength)
        );
        // Five length octets.
        assert_eq!(
            Reader::new(&[0x04, 0x85, 1, 0, 0, 0, 0]).read_any(),
            Err(DerError::BadLength)
        );
        // Length beyond the input.
        assert_eq!(
            Reader::new(&[0x04, 0x05, 0x00]).read_any(),
            Err(DerError::Truncated)
        );
        assert_eq!(Reader::new(&[0x04]).read_any(), Err(DerError::Truncated));
        assert_eq!(Reader::new(&[]).read_any(), Err(DerError::Truncated));
        // Multi-octet tag.
        assert_eq!(
            Reader::new(&[0x1f, 0x01, 0x00]).read_any(),
            Err(DerError::BadTag)
        );
    }

    #[test]
    fn small_integers() {
        assert_eq!(small_uint(&[0x20]), Ok(32));
        assert_eq!(small_uint(&[0x00, 0x80]), Ok(128));
        assert_eq!(small_uint(&[0x00, 0x01]), Err(DerError::BadValue));
        assert_eq!(small_uint(&[0x80]), Err(DerError::BadValue));
        assert_eq!(small_uint(&[]), Err(DerError::BadValue));
        assert_eq!(small_uint(&[1, 2, 3, 4, 5]), Err(DerError::BadValue));
    }

    #[test]
    fn oid_rendering() {
        assert_eq!(
            oid_to_string(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]),
            "1.2.840.113549.1.1.11"
        );
        assert_eq!(oid_to_string(&[0x2b, 0x65, 0x70]), "1.3.101.112");
        assert_eq!(oid_to_string(&[0x55, 0x1d, 0x25, 0x00]), "2.5.29.37.0");
        // Unterminated arc: hex.
        assert_eq!(oid_to_string(&[0x2a, 0x86]), "2a86");
    }

    #[test]
    fn bit_counts() {
        assert_eq!(uint_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(uint_bits(&[0x01]), 1);
        assert_eq!(uint_bits(&[0x00]), 0);
    }
}
