//! The Internet checksum (RFC 1071): the ones'-complement sum of 16-bit
//! big-endian words, an odd last byte padded with a zero byte.
//!
//! It runs over every byte that crosses the device, so the sum is taken 64
//! bits at a time into a 128-bit accumulator and folded to 16 bits only at
//! the end. That is the "larger word" shortcut of RFC 1071 §2 (B): because
//! `2^16 ≡ 1 (mod 2^16 - 1)`, adding big-endian 64-bit words and folding
//! the carries back in gives the same ones'-complement sum.

/// A running ones'-complement sum.
///
/// Bytes are summed as if all [`Checksum::add_bytes`] calls were one
/// buffer, as long as every call but the last has an even length (an odd
/// length is padded with a zero byte where it ends).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checksum {
    sum: u128,
}

impl Checksum {
    /// A sum of nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `data` as 16-bit big-endian words.
    pub fn add_bytes(&mut self, data: &[u8]) {
        let mut sum = self.sum;
        let words = data.chunks_exact(8);
        let rest = words.remainder();
        for word in words {
            if let Ok(word) = <[u8; 8]>::try_from(word) {
                sum += u128::from(u64::from_be_bytes(word));
            }
        }
        if !rest.is_empty() {
            // The remainder starts at an even offset, so zero padding on the
            // right is RFC 1071's padding of an odd last byte.
            let mut padded = [0u8; 8];
            for (to, from) in padded.iter_mut().zip(rest) {
                *to = *from;
            }
            sum += u128::from(u64::from_be_bytes(padded));
        }
        self.sum = sum;
    }

    /// Adds one 16-bit word.
    pub fn add_u16(&mut self, word: u16) {
        self.sum += u128::from(word);
    }

    /// Adds a 32-bit value as its two 16-bit words.
    pub fn add_u32(&mut self, value: u32) {
        self.sum += u128::from(value);
    }

    /// The sum folded to 16 bits, not complemented: what a partial
    /// checksum field holds (the kernel's `CHECKSUM_PARTIAL`). A sum over
    /// data that carries a correct checksum folds to `0xffff`.
    pub fn fold(self) -> u16 {
        let mut sum = self.sum;
        while sum > 0xffff {
            sum = (sum >> 16) + (sum & 0xffff);
        }
        u16::try_from(sum).unwrap_or(u16::MAX)
    }

    /// The checksum to store: the folded sum, complemented.
    pub fn finish(self) -> u16 {
        !self.fold()
    }
}

/// The RFC 1071 checksum of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum = Checksum::new();
    sum.add_bytes(data);
    sum.finish()
}

/// The sum of a TCP or UDP pseudo-header: source and destination address,
/// protocol and upper-layer length. One function serves IPv4 (RFC 9293
/// §3.1: addresses, zero, protocol, 16-bit length) and IPv6 (RFC 8200
/// §8.1: addresses, 32-bit length, zeros, next header), as zero bytes add
/// nothing and a 16-bit length is a 32-bit one with a zero upper half.
pub fn pseudo_header(source: &[u8], destination: &[u8], protocol: u8, length: u32) -> Checksum {
    let mut sum = Checksum::new();
    sum.add_bytes(source);
    sum.add_bytes(destination);
    sum.add_u16(u16::from(protocol));
    sum.add_u32(length);
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offload::testutil::{naive_sum, pseudo_random};

    #[test]
    fn rfc_1071_example() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        let mut sum = Checksum::new();
        sum.add_bytes(&data);
        assert_eq!(sum.fold(), 0xddf2);
        assert_eq!(sum.finish(), 0x220d);
        assert_eq!(checksum(&data), 0x220d);
        // The same bytes with the checksum appended verify.
        let mut sum = Checksum::new();
        sum.add_bytes(&data);
        sum.add_u16(0x220d);
        assert_eq!(sum.fold(), 0xffff);
    }

    #[test]
    fn odd_last_byte_is_padded_with_zero() {
        assert_eq!(checksum(&[0xab]), !0xab00);
        assert_eq!(checksum(&[0x12, 0x34, 0x56]), !(0x1234 + 0x5600));
        assert_eq!(checksum(&[]), 0xffff);
    }

    #[test]
    fn matches_a_word_by_word_sum_for_every_length_and_split() {
        let data = pseudo_random(300, 7);
        for len in 0..data.len() {
            let bytes = &data[..len];
            let mut sum = Checksum::new();
            sum.add_bytes(bytes);
            assert_eq!(sum.fold(), naive_sum(bytes), "length {len}");
            // Split at every even offset: the same sum.
            for at in (0..=len).step_by(2).filter(|at| at % 14 == 0) {
                let mut parts = Checksum::new();
                parts.add_bytes(&bytes[..at]);
                parts.add_bytes(&bytes[at..]);
                assert_eq!(parts.fold(), sum.fold(), "length {len} split at {at}");
            }
        }
    }

    #[test]
    fn carries_fold_back_in() {
        let ones = [0xff; 64 * 1024];
        assert_eq!(Checksum::new().fold(), 0);
        let mut sum = Checksum::new();
        sum.add_bytes(&ones);
        assert_eq!(sum.fold(), 0xffff);
        assert_eq!(naive_sum(&ones), 0xffff);
        let mut sum = Checksum::new();
        sum.add_u16(0xffff);
        sum.add_u16(0x0002);
        assert_eq!(sum.fold(), 0x0002);
        let mut sum = Checksum::new();
        sum.add_u32(0x0001_fffe);
        assert_eq!(sum.fold(), 0xffff);
    }

    #[test]
    fn pseudo_header_sums_its_fields() {
        let sum = pseudo_header(&[192, 0, 2, 1], &[198, 51, 100, 2], 6, 40);
        let expected = naive_sum(&[192, 0, 2, 1, 198, 51, 100, 2, 0, 6, 0, 40]);
        assert_eq!(sum.fold(), expected);
        let source = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let destination = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        let sum = pseudo_header(&source, &destination, 17, 0x0001_0004);
        let mut block = Vec::new();
        block.extend_from_slice(&source);
        block.extend_from_slice(&destination);
        block.extend_from_slice(&0x0001_0004u32.to_be_bytes());
        block.extend_from_slice(&[0, 0, 0, 17]);
        assert_eq!(sum.fold(), naive_sum(&block));
    }
}
