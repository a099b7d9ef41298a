//! Why received ESP packets are dropped, and the per-SA counters.

use core::fmt;

/// Why an inbound ESP packet was not delivered (RFC 4303 §3.4, RFC 4301
/// §5.2).
///
/// Every reason is counted in [`EspCounters`]; none of them is an error of
/// the SA, and the SA stays usable after any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Drop {
    /// The SPI is not this SA's (RFC 4303 §3.4.2).
    #[error("unknown SPI")]
    UnknownSpi,
    /// The sequence number was already received (RFC 4303 §3.4.3).
    #[error("replayed sequence number")]
    Replayed,
    /// The sequence number lies to the left of the anti-replay window, or is
    /// zero (RFC 4303 §3.4.3).
    #[error("sequence number too old for the replay window")]
    TooOld,
    /// The ICV (HMAC or AEAD tag) did not verify (RFC 4303 §3.4.4).
    #[error("integrity check failed")]
    IntegrityFailed,
    /// The packet is shorter than the header, IV, minimal ciphertext and ICV
    /// (RFC 4303 §2).
    #[error("truncated ESP packet")]
    Truncated,
    /// The ciphertext is not a whole number of cipher blocks (RFC 3602 §3).
    #[error("ciphertext is not a whole number of blocks")]
    BadLength,
    /// The Pad Length exceeds the decrypted data or the padding is not the
    /// default 1, 2, 3, ... sequence (RFC 4303 §2.4).
    #[error("bad ESP padding")]
    BadPadding,
    /// The Next Header is neither IPv4 (4) nor IPv6 (41); transport mode is
    /// not negotiated (RFC 4303 §2.6).
    #[error("unexpected next header")]
    BadNextHeader,
    /// A dummy packet (Next Header 59), which is discarded by design
    /// (RFC 4303 §2.6). Authentic, but carries nothing.
    #[error("dummy packet")]
    Dummy,
    /// The inner source address is outside the SC's traffic selectors
    /// (RFC 4301 §5.2 step 4): the inner-address spoofing the data path
    /// must refuse.
    #[error("inner source address outside the SC's traffic selectors")]
    SpoofedSource,
    /// The inner destination address is outside our traffic selectors
    /// (RFC 4301 §5.2 step 4).
    #[error("inner destination address outside our traffic selectors")]
    WrongDestination,
    /// The inner packet is not a well-formed IP header of the family the
    /// Next Header announced, or is shorter than its own length field
    /// (RFC 791 §3.1, RFC 8200 §3).
    #[error("malformed inner IP packet")]
    MalformedInner,
    /// The outer ECN codepoint is CE but the inner packet is Not-ECT: RFC
    /// 6040 §4.2 requires the packet to be dropped.
    #[error("ECN: congestion experienced on a Not-ECT packet")]
    EcnDrop,
}

impl Drop {
    /// Every reason, in the order of the RFC 4303 §3.4 processing steps.
    pub const ALL: [Drop; 13] = [
        Drop::UnknownSpi,
        Drop::Truncated,
        Drop::TooOld,
        Drop::Replayed,
        Drop::BadLength,
        Drop::IntegrityFailed,
        Drop::BadPadding,
        Drop::BadNextHeader,
        Drop::Dummy,
        Drop::MalformedInner,
        Drop::SpoofedSource,
        Drop::WrongDestination,
        Drop::EcnDrop,
    ];

    /// A short stable name, for logs and status output.
    pub const fn name(self) -> &'static str {
        match self {
            Drop::UnknownSpi => "unknown-spi",
            Drop::Replayed => "replayed",
            Drop::TooOld => "too-old",
            Drop::IntegrityFailed => "integrity-failed",
            Drop::Truncated => "truncated",
            Drop::BadLength => "bad-length",
            Drop::BadPadding => "bad-padding",
            Drop::BadNextHeader => "bad-next-header",
            Drop::Dummy => "dummy",
            Drop::SpoofedSource => "spoofed-source",
            Drop::WrongDestination => "wrong-destination",
            Drop::MalformedInner => "malformed-inner",
            Drop::EcnDrop => "ecn-drop",
        }
    }
}

/// Packet and drop counters of one SA (or, added up with
/// [`EspCounters::add`], of several).
///
/// `bytes_in`/`bytes_out` count inner IP packet bytes, i.e. what the TUN
/// device saw. `Display` prints one `name: value` line per counter, for
/// status output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EspCounters {
    /// Inner packets delivered.
    pub packets_in: u64,
    /// Bytes of the inner packets delivered.
    pub bytes_in: u64,
    /// Inner packets sealed.
    pub packets_out: u64,
    /// Bytes of the inner packets sealed.
    pub bytes_out: u64,
    /// Drops for [`Drop::UnknownSpi`].
    pub unknown_spi: u64,
    /// Drops for [`Drop::Replayed`].
    pub replayed: u64,
    /// Drops for [`Drop::TooOld`].
    pub too_old: u64,
    /// Drops for [`Drop::IntegrityFailed`].
    pub integrity_failed: u64,
    /// Drops for [`Drop::Truncated`].
    pub truncated: u64,
    /// Drops for [`Drop::BadLength`].
    pub bad_length: u64,
    /// Drops for [`Drop::BadPadding`].
    pub bad_padding: u64,
    /// Drops for [`Drop::BadNextHeader`].
    pub bad_next_header: u64,
    /// Discarded dummy packets ([`Drop::Dummy`]).
    pub dummy: u64,
    /// Drops for [`Drop::SpoofedSource`].
    pub spoofed_source: u64,
    /// Drops for [`Drop::WrongDestination`].
    pub wrong_destination: u64,
    /// Drops for [`Drop::MalformedInner`].
    pub malformed_inner: u64,
    /// Drops for [`Drop::EcnDrop`].
    pub ecn_drop: u64,
}

impl EspCounters {
    /// Counts one dropped packet.
    pub fn record(&mut self, reason: Drop) {
        let slot = self.slot_mut(reason);
        *slot = slot.saturating_add(1);
    }

    /// How many packets were dropped for `reason`.
    pub fn drops(&self, reason: Drop) -> u64 {
        match reason {
            Drop::UnknownSpi => self.unknown_spi,
            Drop::Replayed => self.replayed,
            Drop::TooOld => self.too_old,
            Drop::IntegrityFailed => self.integrity_failed,
            Drop::Truncated => self.truncated,
            Drop::BadLength => self.bad_length,
            Drop::BadPadding => self.bad_padding,
            Drop::BadNextHeader => self.bad_next_header,
            Drop::Dummy => self.dummy,
            Drop::SpoofedSource => self.spoofed_source,
            Drop::WrongDestination => self.wrong_destination,
            Drop::MalformedInner => self.malformed_inner,
            Drop::EcnDrop => self.ecn_drop,
        }
    }

    /// All drops together.
    pub fn total_drops(&self) -> u64 {
        Drop::ALL
            .iter()
            .fold(0u64, |sum, reason| sum.saturating_add(self.drops(*reason)))
    }

    /// Adds `other` to these counters (e.g. the SA being replaced by a
    /// rekey, to keep totals for the tunnel).
    pub fn add(&mut self, other: &EspCounters) {
        for (mine, theirs) in [
            (&mut self.packets_in, other.packets_in),
            (&mut self.bytes_in, other.bytes_in),
            (&mut self.packets_out, other.packets_out),
            (&mut self.bytes_out, other.bytes_out),
        ] {
            *mine = mine.saturating_add(theirs);
        }
        for reason in Drop::ALL {
            let theirs = other.drops(reason);
            let slot = self.slot_mut(reason);
            *slot = slot.saturating_add(theirs);
        }
    }

    /// Every counter with its name: the four traffic counters, then one per
    /// [`Drop`] reason in [`Drop::ALL`] order.
    pub fn entries(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        [
            ("packets-in", self.packets_in),
            ("bytes-in", self.bytes_in),
            ("packets-out", self.packets_out),
            ("bytes-out", self.bytes_out),
        ]
        .into_iter()
        .chain(Drop::ALL.into_iter().map(|r| (r.name(), self.drops(r))))
    }

    pub(crate) fn delivered(&mut self, bytes: usize) {
        self.packets_in = self.packets_in.saturating_add(1);
        self.bytes_in = self
            .bytes_in
            .saturating_add(u64::try_from(bytes).unwrap_or(u64::MAX));
    }

    pub(crate) fn sent(&mut self, bytes: usize) {
        self.packets_out = self.packets_out.saturating_add(1);
        self.bytes_out = self
            .bytes_out
            .saturating_add(u64::try_from(bytes).unwrap_or(u64::MAX));
    }

    fn slot_mut(&mut self, reason: Drop) -> &mut u64 {
        match reason {
            Drop::UnknownSpi => &mut self.unknown_spi,
            Drop::Replayed => &mut self.replayed,
            Drop::TooOld => &mut self.too_old,
            Drop::IntegrityFailed => &mut self.integrity_failed,
            Drop::Truncated => &mut self.truncated,
            Drop::BadLength => &mut self.bad_length,
            Drop::BadPadding => &mut self.bad_padding,
            Drop::BadNextHeader => &mut self.bad_next_header,
            Drop::Dummy => &mut self.dummy,
            Drop::SpoofedSource => &mut self.spoofed_source,
            Drop::WrongDestination => &mut self.wrong_destination,
            Drop::MalformedInner => &mut self.malformed_inner,
            Drop::EcnDrop => &mut self.ecn_drop,
        }
    }
}

/// One `name: value` line per counter, names right-aligned.
impl fmt::Display for EspCounters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, value) in self.entries() {
            writeln!(f, "{name:>17}: {value}")?;
        }
        Ok(())
    }
}
