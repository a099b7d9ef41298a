//! Our sending SA: outbound ESP processing (RFC 4303 §3.3).

use crate::ike::child::{ChildSa, EspSuite};

use super::cipher::{self, SealKey, TRAILER_LEN};
use super::{EspCounters, EspError, ESP_HEADER_LEN, NEXT_HEADER_IPV4, NEXT_HEADER_IPV6};

/// The outbound half of a CHILD_SA: it seals inner IP packets into ESP
/// packets for the SC, with the SC's inbound SPI (`ChildSa::spi_out`) and
/// the initiator-to-responder keys `encr_i`/`integ_i` (RFC 7296 §2.17).
pub struct EspOutbound {
    spi: u32,
    suite: EspSuite,
    /// The sequence number of the last packet sealed; 0 before the first
    /// (RFC 4303 §3.3.3: the first packet carries 1).
    last_seq: u64,
    key: SealKey,
    counters: EspCounters,
}

impl core::fmt::Debug for EspOutbound {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EspOutbound")
            .field("spi", &format_args!("{:#010x}", self.spi))
            .field("suite", &self.suite)
            .field("last_seq", &self.last_seq)
            .finish_non_exhaustive()
    }
}

impl EspOutbound {
    /// Sets up the outbound SA of `child`: checks the suite and key lengths
    /// and expands the keys once (RFC 4303 §3.3; RFC 4106 §8.1 and
    /// RFC 7634 §2 for the salt at the end of the AEAD keying material).
    pub fn from_child(child: &ChildSa) -> Result<Self, EspError> {
        if child.spi_out < 256 {
            return Err(EspError::ReservedSpi(child.spi_out));
        }
        let key = SealKey::new(
            &child.suite,
            child.keys.encr_i.as_bytes(),
            child.keys.integ_i.as_bytes(),
        )?;
        Ok(Self {
            spi: child.spi_out,
            suite: child.suite,
            last_seq: 0,
            key,
            counters: EspCounters::default(),
        })
    }

    /// The SPI this SA writes into its packets (the SC's inbound SPI).
    pub fn spi(&self) -> u32 {
        self.spi
    }

    /// The negotiated algorithms.
    pub fn suite(&self) -> &EspSuite {
        &self.suite
    }

    /// The sequence number of the last packet sealed (0 before the first).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// How many more packets may be sealed before the sequence number
    /// would cycle and the SA must be rekeyed (RFC 4303 §3.3.3).
    pub fn remaining(&self) -> u64 {
        self.seq_limit().saturating_sub(self.last_seq)
    }

    /// This SA's packet counters.
    pub fn counters(&self) -> &EspCounters {
        &self.counters
    }

    /// The length of the ESP packet [`EspOutbound::seal`] writes for an
    /// inner packet of `inner_len` octets.
    pub fn sealed_len(&self, inner_len: usize) -> usize {
        let padded = inner_len
            .saturating_add(TRAILER_LEN)
            .div_ceil(cipher::alignment(self.suite.encryption))
            .saturating_mul(cipher::alignment(self.suite.encryption));
        (ESP_HEADER_LEN + cipher::iv_len(self.suite.encryption) + cipher::icv_len(&self.suite))
            .saturating_add(padded)
    }

    /// Seals one inner IPv4 or IPv6 packet into an ESP packet in tunnel mode
    /// (RFC 4303 §3.3): `SPI | Seq | IV | ciphertext | ICV`, the ciphertext
    /// covering the packet, the minimal default padding (RFC 4303 §2.4) and
    /// Next Header 4 or 41 by the packet's version nibble.
    ///
    /// `out` is cleared first and its capacity reused: once it has grown to
    /// the largest packet, sealing allocates nothing. With ESN only the low
    /// 32 bits of the sequence number go on the wire; the high bits are
    /// authenticated (RFC 4303 §2.2.1).
    ///
    /// Errors: [`EspError::NotIpPacket`] for anything that is not IPv4 or
    /// IPv6, [`EspError::SequenceExhausted`] once the counter would cycle
    /// (the SA must then be rekeyed).
    pub fn seal(&mut self, inner: &[u8], out: &mut Vec<u8>) -> Result<(), EspError> {
        out.clear();
        self.seal_append(inner, out).map(|_| ())
    }

    /// [`EspOutbound::seal`] without clearing `out`: the ESP packet is
    /// appended after what `out` holds, so a batch of packets can be sealed
    /// back to back into one buffer for one segmented send (UDP GSO).
    /// Returns the length of the appended packet; on an error `out` is left
    /// as it was.
    pub fn seal_append(&mut self, inner: &[u8], out: &mut Vec<u8>) -> Result<usize, EspError> {
        let start = out.len();
        let next_header = next_header_of(inner)?;
        let seq = self.next_seq()?;
        let result = self
            .key
            .seal(out, self.spi, seq, self.suite.esn, inner, next_header);
        self.finish(result, inner.len(), out, start)?;
        Ok(out.len().saturating_sub(start))
    }

    /// [`EspOutbound::seal`] with a chosen IV, for known-answer tests.
    #[cfg(test)]
    pub(crate) fn seal_with_iv(
        &mut self,
        iv: &[u8],
        inner: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), EspError> {
        out.clear();
        let next_header = next_header_of(inner)?;
        let seq = self.next_seq()?;
        let result =
            self.key
                .seal_with_iv(out, self.spi, seq, self.suite.esn, iv, inner, next_header);
        self.finish(result, inner.len(), out, 0)
    }

    /// Pretends `seq` packets were sent, to test the counter's ends.
    #[cfg(test)]
    pub(crate) fn set_last_seq(&mut self, seq: u64) {
        self.last_seq = seq;
    }

    fn finish(
        &mut self,
        result: Result<(), EspError>,
        inner_len: usize,
        out: &mut Vec<u8>,
        start: usize,
    ) -> Result<(), EspError> {
        match result {
            Ok(()) => {
                self.counters.sent(inner_len);
                Ok(())
            }
            Err(e) => {
                out.truncate(start);
                Err(e)
            }
        }
    }

    fn seq_limit(&self) -> u64 {
        if self.suite.esn {
            u64::MAX
        } else {
            u64::from(u32::MAX)
        }
    }

    /// Takes the next sequence number, refusing to cycle (RFC 4303
    /// §3.3.3).
    fn next_seq(&mut self) -> Result<u64, EspError> {
        let next = self
            .last_seq
            .checked_add(1)
            .filter(|n| *n <= self.seq_limit())
            .ok_or(EspError::SequenceExhausted)?;
        self.last_seq = next;
        Ok(next)
    }
}

/// Next Header for tunnel mode from the IP version nibble (RFC 4303 §2.6).
fn next_header_of(inner: &[u8]) -> Result<u8, EspError> {
    match inner.first().map(|b| b >> 4) {
        Some(4) => Ok(NEXT_HEADER_IPV4),
        Some(6) => Ok(NEXT_HEADER_IPV6),
        other => Err(EspError::NotIpPacket(other)),
    }
}
