//! Explicit Congestion Notification across the tunnel (RFC 6040, as
//! required of IPsec tunnels by RFC 4301 §5.1.2 and Appendix C).

/// An ECN codepoint, the two low bits of the IPv4 TOS / IPv6 Traffic Class
/// octet (RFC 3168 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ecn {
    /// `00`: the transport is not ECN-capable.
    NotEct,
    /// `01`: ECN-capable transport, codepoint ECT(1).
    Ect1,
    /// `10`: ECN-capable transport, codepoint ECT(0).
    Ect0,
    /// `11`: congestion experienced.
    Ce,
}

impl Ecn {
    /// The codepoint in the two low bits of `bits` (higher bits, e.g. the
    /// DSCP of a whole TOS octet, are ignored).
    pub const fn from_bits(bits: u8) -> Self {
        match bits & 0b11 {
            0b00 => Ecn::NotEct,
            0b01 => Ecn::Ect1,
            0b10 => Ecn::Ect0,
            _ => Ecn::Ce,
        }
    }

    /// The two-bit value.
    pub const fn bits(self) -> u8 {
        match self {
            Ecn::NotEct => 0b00,
            Ecn::Ect1 => 0b01,
            Ecn::Ect0 => 0b10,
            Ecn::Ce => 0b11,
        }
    }
}

/// The ECN field of the packet forwarded after decapsulation, from the
/// arriving inner and outer fields (RFC 6040 §4.2, Figure 4, which normal
/// and compatibility mode share). `None` where the table says "drop": a CE
/// outer on a Not-ECT inner, which cannot signal the congestion onwards.
///
/// The currently-unused combinations the RFC marks `(!!!)` are forwarded as
/// the table says; they are not dropped.
pub const fn ecn_decapsulate(inner: Ecn, outer: Ecn) -> Option<Ecn> {
    match (inner, outer) {
        (Ecn::NotEct, Ecn::Ce) => None,
        (Ecn::NotEct, _) => Some(Ecn::NotEct),
        (_, Ecn::Ce) | (Ecn::Ce, _) => Some(Ecn::Ce),
        (Ecn::Ect0, Ecn::Ect1) | (Ecn::Ect1, _) => Some(Ecn::Ect1),
        (Ecn::Ect0, Ecn::NotEct | Ecn::Ect0) => Some(Ecn::Ect0),
    }
}

/// The ECN codepoint of an IPv4 or IPv6 packet, for the encapsulator:
/// RFC 6040 §4.1 normal mode copies it into the outer header. `None` if
/// `packet` is not an IP header.
pub fn inner_ecn(packet: &[u8]) -> Option<Ecn> {
    match packet {
        [b0, tos, ..] if b0 >> 4 == 4 => Some(Ecn::from_bits(*tos)),
        [b0, b1, ..] if b0 >> 4 == 6 => Some(Ecn::from_bits(b1 >> 4)),
        _ => None,
    }
}

/// Writes `ecn` into an IPv4 header (fixing its checksum incrementally,
/// RFC 1624 eqn. 3) or IPv6 header. The caller has checked the header.
pub(crate) fn set_ecn(packet: &mut [u8], ecn: Ecn) {
    match packet {
        [b0, tos, _, _, _, _, _, _, _, _, c0, c1, ..] if *b0 >> 4 == 4 => {
            let old = u16::from_be_bytes([*b0, *tos]);
            *tos = (*tos & !0b11) | ecn.bits();
            let new = u16::from_be_bytes([*b0, *tos]);
            let checksum = checksum_update(u16::from_be_bytes([*c0, *c1]), old, new);
            [*c0, *c1] = checksum.to_be_bytes();
        }
        [b0, b1, ..] if *b0 >> 4 == 6 => {
            *b1 = (*b1 & !0b0011_0000) | (ecn.bits() << 4);
        }
        _ => {}
    }
}

/// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), in ones' complement.
fn checksum_update(checksum: u16, old: u16, new: u16) -> u16 {
    let mut sum = u32::from(!checksum) + u32::from(!old) + u32::from(new);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    !u16::try_from(sum & 0xffff).unwrap_or(0)
}

/// The ones' complement checksum of an IPv4 header (RFC 791 §3.1), for
/// tests.
#[cfg(test)]
pub(crate) fn ipv4_header_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for (i, pair) in header.chunks(2).enumerate() {
        if i == 5 {
            continue;
        }
        let word = match pair {
            [a, b] => u16::from_be_bytes([*a, *b]),
            [a] => u16::from_be_bytes([*a, 0]),
            _ => 0,
        };
        sum += u32::from(word);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !u16::try_from(sum).unwrap_or(0)
}
