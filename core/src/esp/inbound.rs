//! The SC's sending SA: inbound ESP processing (RFC 4303 §3.4) and the
//! inbound policy check of RFC 4301 §5.2.

use core::ops::Range;

use crate::ike::child::{ChildSa, EspSuite};

use super::cipher::{split_seq, strip_trailer, OpenKey};
use super::ecn::{ecn_decapsulate, set_ecn, Ecn};
use super::inner::{self, IpFamily, Selectors, Side};
use super::replay::ReplayWindow;
use super::{
    Drop, EspCounters, EspError, ESP_HEADER_LEN, NEXT_HEADER_DUMMY, NEXT_HEADER_IPV4,
    NEXT_HEADER_IPV6,
};

/// A delivered inner packet: where it lies in the output buffer and what
/// it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decapsulated {
    /// The inner IP packet's octets: in the output buffer of
    /// [`EspInbound::open`], which is truncated to the packet, so
    /// `0..out.len()`; in the packet buffer of
    /// [`EspInbound::open_in_place`], after the ESP header and IV. TFC
    /// padding (RFC 4303 §2.7) and the ESP trailer are excluded.
    pub range: Range<usize>,
    /// IPv4 or IPv6, by the Next Header field (RFC 4303 §2.6).
    pub family: IpFamily,
    /// The full (with ESN, 64-bit) sequence number of the packet.
    pub seq: u64,
}

impl Decapsulated {
    /// Length of the inner packet.
    pub fn len(&self) -> usize {
        self.range.len()
    }

    /// Whether the inner packet is empty (never true for a delivered
    /// packet, which holds at least an IP header).
    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }
}

/// The inbound half of a CHILD_SA: it opens the ESP packets the SC sends to
/// our inbound SPI (`ChildSa::spi_in`) with the responder-to-initiator keys
/// `encr_r`/`integ_r` (RFC 7296 §2.17), and enforces the anti-replay
/// window and the negotiated traffic selectors.
pub struct EspInbound {
    spi: u32,
    suite: EspSuite,
    window: ReplayWindow,
    key: OpenKey,
    /// The SC's traffic selectors: where inner packets may come from.
    remote: Selectors,
    /// Ours: where inner packets may go.
    local: Selectors,
    counters: EspCounters,
}

impl core::fmt::Debug for EspInbound {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EspInbound")
            .field("spi", &format_args!("{:#010x}", self.spi))
            .field("suite", &self.suite)
            .field("highest_seq", &self.window.top())
            .finish_non_exhaustive()
    }
}

impl EspInbound {
    /// Sets up the inbound SA of `child`: checks the suite and key lengths,
    /// expands the keys once and prepares the traffic selectors
    /// (`remote_ts` for inner sources, `local_ts` for inner destinations).
    pub fn from_child(child: &ChildSa) -> Result<Self, EspError> {
        if child.spi_in < 256 {
            return Err(EspError::ReservedSpi(child.spi_in));
        }
        let key = OpenKey::new(
            &child.suite,
            child.keys.encr_r.as_bytes(),
            child.keys.integ_r.as_bytes(),
        )?;
        Ok(Self {
            spi: child.spi_in,
            suite: child.suite,
            window: ReplayWindow::new(),
            key,
            remote: Selectors::new(&child.remote_ts),
            local: Selectors::new(&child.local_ts),
            counters: EspCounters::default(),
        })
    }

    /// The SPI this SA accepts (ours).
    pub fn spi(&self) -> u32 {
        self.spi
    }

    /// The negotiated algorithms.
    pub fn suite(&self) -> &EspSuite {
        &self.suite
    }

    /// The highest sequence number received so far (0 before the first).
    pub fn highest_seq(&self) -> u64 {
        self.window.top()
    }

    /// This SA's packet and drop counters.
    pub fn counters(&self) -> &EspCounters {
        &self.counters
    }

    /// Opens one ESP packet (the UDP payload, RFC 3948 §2.1) into the inner
    /// IP packet, following RFC 4303 §3.4:
    ///
    /// 1. the SPI must be this SA's (§3.4.2, [`Drop::UnknownSpi`]);
    /// 2. replay pre-check against the 4096-packet window, inferring the
    ///    high half of an extended sequence number (§3.4.3, Appendix A2.2;
    ///    [`Drop::TooOld`], [`Drop::Replayed`]);
    /// 3. ICV verification, then decryption (§3.4.4;
    ///    [`Drop::IntegrityFailed`], [`Drop::Truncated`],
    ///    [`Drop::BadLength`]);
    /// 4. only then the window is updated (§3.4.3);
    /// 5. padding and Next Header (§2.4, §2.6; [`Drop::BadPadding`],
    ///    [`Drop::BadNextHeader`], [`Drop::Dummy`]);
    /// 6. the inner IP header must be well formed and no longer than the
    ///    data ([`Drop::MalformedInner`]); octets after it are TFC padding
    ///    (§2.7) and removed;
    /// 7. the inner source must lie in the SC's traffic selectors and the
    ///    destination in ours (RFC 4301 §5.2 step 4;
    ///    [`Drop::SpoofedSource`], [`Drop::WrongDestination`]);
    /// 8. `outer_ecn`, the ECN bits of the outer IP header if the caller
    ///    could read them, is combined into the inner header by RFC 6040
    ///    §4.2 (normal mode), fixing the IPv4 header checksum
    ///    ([`Drop::EcnDrop`]).
    ///
    /// `out` is cleared, its capacity reused, and on success holds exactly
    /// the inner packet; on a drop it is left empty. Every outcome is
    /// counted in [`EspInbound::counters`]. The ciphertext is copied into
    /// `out` and decrypted there; [`EspInbound::open_in_place`] saves that
    /// copy when the receive buffer may be overwritten.
    pub fn open(
        &mut self,
        esp: &[u8],
        outer_ecn: Option<u8>,
        out: &mut Vec<u8>,
    ) -> Result<Decapsulated, Drop> {
        let result = self.open_into(esp, outer_ecn, out);
        if result.is_err() {
            out.clear();
        }
        self.count(result)
    }

    /// [`EspInbound::open`] without the copy: decrypts in the receive
    /// buffer itself, and the returned range tells where the inner packet
    /// lies in `packet` (after the ESP header and IV). The same steps and
    /// drops as [`EspInbound::open`]; after a drop `packet` may have been
    /// partly overwritten.
    pub fn open_in_place(
        &mut self,
        packet: &mut [u8],
        outer_ecn: Option<u8>,
    ) -> Result<Decapsulated, Drop> {
        let result = self.open_in_place_inner(packet, outer_ecn);
        self.count(result)
    }

    fn count(&mut self, result: Result<Decapsulated, Drop>) -> Result<Decapsulated, Drop> {
        match &result {
            Ok(delivered) => self.counters.delivered(delivered.len()),
            Err(reason) => self.counters.record(*reason),
        }
        result
    }

    /// Pretends that sequence number `seq` was received, to test the
    /// window's and ESN's edges.
    #[cfg(test)]
    pub(crate) fn mark_received(&mut self, seq: u64) {
        self.window.update(seq);
    }

    fn open_into(
        &mut self,
        esp: &[u8],
        outer_ecn: Option<u8>,
        out: &mut Vec<u8>,
    ) -> Result<Decapsulated, Drop> {
        out.clear();
        let (seq, seq_high) = self.precheck(esp)?;
        self.key.open(esp, seq_high, out)?;
        let (len, family) = self.after_integrity(seq, out, outer_ecn)?;
        out.truncate(len);
        Ok(Decapsulated {
            range: 0..len,
            family,
            seq,
        })
    }

    fn open_in_place_inner(
        &mut self,
        packet: &mut [u8],
        outer_ecn: Option<u8>,
    ) -> Result<Decapsulated, Drop> {
        let (seq, seq_high) = self.precheck(packet)?;
        let plain = self.key.open_in_place(packet, seq_high)?;
        let start = plain.start;
        let plain = packet.get_mut(plain).ok_or(Drop::Truncated)?;
        let (len, family) = self.after_integrity(seq, plain, outer_ecn)?;
        Ok(Decapsulated {
            range: start..start + len,
            family,
            seq,
        })
    }

    /// Steps 1 and 2: the SPI, then the sequence number against the
    /// window. Returns the full sequence number and, with ESN, its high
    /// half for the ICV.
    fn precheck(&self, esp: &[u8]) -> Result<(u64, Option<u32>), Drop> {
        let header: &[u8; ESP_HEADER_LEN] = esp.first_chunk().ok_or(Drop::Truncated)?;
        let [s0, s1, s2, s3, l0, l1, l2, l3] = *header;
        if u32::from_be_bytes([s0, s1, s2, s3]) != self.spi {
            return Err(Drop::UnknownSpi);
        }
        let low = u32::from_be_bytes([l0, l1, l2, l3]);
        let seq = if self.suite.esn {
            self.window.infer_esn(low).ok_or(Drop::TooOld)?
        } else {
            u64::from(low)
        };
        self.window.check(seq)?;
        Ok((seq, self.suite.esn.then_some(split_seq(seq).0)))
    }

    /// Steps 4 to 8 on the decrypted `Payload | Padding | Pad Length | Next
    /// Header`: returns the inner packet's length (it starts at 0) and
    /// family.
    fn after_integrity(
        &mut self,
        seq: u64,
        plain: &mut [u8],
        outer_ecn: Option<u8>,
    ) -> Result<(usize, IpFamily), Drop> {
        self.window.update(seq);
        let (payload_len, next_header) = strip_trailer(plain)?;
        let family = match next_header {
            NEXT_HEADER_IPV4 => IpFamily::V4,
            NEXT_HEADER_IPV6 => IpFamily::V6,
            NEXT_HEADER_DUMMY => return Err(Drop::Dummy),
            _ => return Err(Drop::BadNextHeader),
        };
        let payload = plain.get_mut(..payload_len).ok_or(Drop::BadPadding)?;
        let header = inner::parse(payload, family)?;
        let packet = payload.get_mut(..header.len).ok_or(Drop::MalformedInner)?;
        if !self.remote.matches(packet, &header, Side::Source) {
            return Err(Drop::SpoofedSource);
        }
        if !self.local.matches(packet, &header, Side::Destination) {
            return Err(Drop::WrongDestination);
        }
        if let Some(outer) = outer_ecn {
            let arriving = super::inner_ecn(packet).ok_or(Drop::MalformedInner)?;
            let forwarded =
                ecn_decapsulate(arriving, Ecn::from_bits(outer)).ok_or(Drop::EcnDrop)?;
            if forwarded != arriving {
                set_ecn(packet, forwarded);
            }
        }
        Ok((header.len, family))
    }
}
