//! DHCPv6 Information-Request (RFC 8415 §18.2.6) for the AFTR-Name option
//! (RFC 6334), with which a network names its softwire concentrator, plus
//! the DNS servers and domain list (RFC 3646).

use std::net::Ipv6Addr;

use super::names::{self, NameError};

/// The client port (RFC 8415 §7.2).
pub const CLIENT_PORT: u16 = 546;
/// The server port.
pub const SERVER_PORT: u16 = 547;
/// All_DHCP_Relay_Agents_and_Servers (RFC 8415 §7.1).
pub const ALL_DHCP_SERVERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);

const INFORMATION_REQUEST: u8 = 11;
const REPLY: u8 = 7;
const OPT_ORO: u16 = 6;
const OPT_ELAPSED_TIME: u16 = 8;
const OPT_STATUS_CODE: u16 = 13;
/// RFC 3646 §3.
pub const OPT_DNS_SERVERS: u16 = 23;
/// RFC 3646 §4.
pub const OPT_DOMAIN_LIST: u16 = 24;
/// RFC 6334 §3.
pub const OPT_AFTR_NAME: u16 = 64;

/// An Information-Request asking (Option Request, RFC 8415 §21.7) for
/// `requested`, with Elapsed Time 0 (§21.9). No Client Identifier
/// (RFC 7844 §4.3.1: an Information-Request may go without one).
pub fn information_request(xid: [u8; 3], requested: &[u16]) -> Vec<u8> {
    let mut m = vec![INFORMATION_REQUEST];
    m.extend_from_slice(&xid);
    m.extend_from_slice(&OPT_ELAPSED_TIME.to_be_bytes());
    m.extend_from_slice(&2u16.to_be_bytes());
    m.extend_from_slice(&0u16.to_be_bytes());
    let codes: Vec<u16> = requested.iter().copied().take(64).collect();
    m.extend_from_slice(&OPT_ORO.to_be_bytes());
    m.extend_from_slice(&u16::try_from(codes.len() * 2).unwrap_or(0).to_be_bytes());
    for c in codes {
        m.extend_from_slice(&c.to_be_bytes());
    }
    m
}

/// What a Reply said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dhcp6Reply {
    /// The first AFTR-Name option's name.
    pub aftr_name: Option<String>,
    /// Option 24.
    pub search_domains: Vec<String>,
    /// Option 23.
    pub name_servers: Vec<Ipv6Addr>,
    /// Problems with options we could do without.
    pub problems: Vec<Dhcp6Error>,
}

/// Why a datagram is not a usable Reply.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Dhcp6Error {
    /// Shorter than the message header.
    #[error("{0} octets: shorter than a DHCPv6 message")]
    Truncated(usize),
    /// Not a Reply.
    #[error("message type {0}, not a Reply")]
    NotReply(u8),
    /// Another exchange's transaction id.
    #[error("another transaction's id")]
    WrongXid,
    /// An option's length runs past the end.
    #[error("option {0} runs past the end of the message")]
    OptionOverrun(u16),
    /// The server reported a failure (RFC 8415 §21.13).
    #[error("the server answered status {code}: {message}")]
    Status {
        /// The status code.
        code: u16,
        /// Its message.
        message: String,
    },
    /// A broken AFTR-Name or domain list.
    #[error("option {code}: {error}")]
    BadName {
        /// The option.
        code: u16,
        /// What is wrong.
        error: NameError,
    },
    /// A DNS server list whose length is not a multiple of 16.
    #[error("option 23 is {0} octets, not a multiple of 16")]
    BadServerList(usize),
}

/// Checks that `datagram` is the Reply to our Information-Request `xid`
/// and reads AFTR-Name and the DNS options from it.
pub fn parse_reply(datagram: &[u8], xid: [u8; 3]) -> Result<Dhcp6Reply, Dhcp6Error> {
    let (&kind, rest) = datagram
        .split_first()
        .ok_or(Dhcp6Error::Truncated(datagram.len()))?;
    if kind != REPLY {
        return Err(Dhcp6Error::NotReply(kind));
    }
    let id = rest.get(..3).ok_or(Dhcp6Error::Truncated(datagram.len()))?;
    if id != xid {
        return Err(Dhcp6Error::WrongXid);
    }
    let mut reply = Dhcp6Reply::default();
    let mut rest = rest.get(3..).unwrap_or_default();
    while !rest.is_empty() {
        let head = rest.get(..4).ok_or(Dhcp6Error::OptionOverrun(0))?;
        let code = u16::from_be_bytes([
            head.first().copied().unwrap_or(0),
            head.get(1).copied().unwrap_or(0),
        ]);
        let len = usize::from(u16::from_be_bytes([
            head.get(2).copied().unwrap_or(0),
            head.get(3).copied().unwrap_or(0),
        ]));
        let data = rest
            .get(4..4 + len)
            .ok_or(Dhcp6Error::OptionOverrun(code))?;
        rest = rest.get(4 + len..).unwrap_or_default();
        match code {
            OPT_STATUS_CODE => {
                let status = data
                    .get(..2)
                    .map(|c| {
                        u16::from_be_bytes([
                            c.first().copied().unwrap_or(0),
                            c.get(1).copied().unwrap_or(0),
                        ])
                    })
                    .ok_or(Dhcp6Error::OptionOverrun(code))?;
                if status != 0 {
                    return Err(Dhcp6Error::Status {
                        code: status,
                        message: String::from_utf8_lossy(data.get(2..).unwrap_or_default())
                            .chars()
                            .filter(|c| !c.is_control())
                            .take(200)
                            .collect(),
                    });
                }
            }
            // RFC 6334 §3: the option holds one uncompressed name; only
            // the first instance counts.
            OPT_AFTR_NAME if reply.aftr_name.is_none() => {
                reply.aftr_name =
                    Some(names::single(data).map_err(|error| Dhcp6Error::BadName { code, error })?);
            }
            OPT_DOMAIN_LIST => match names::list(data, false) {
                Ok(list) => reply.search_domains.extend(list),
                Err(error) => reply.problems.push(Dhcp6Error::BadName { code, error }),
            },
            OPT_DNS_SERVERS => {
                if !data.len().is_multiple_of(16) {
                    reply.problems.push(Dhcp6Error::BadServerList(data.len()));
                } else {
                    reply.name_servers.extend(
                        data.chunks_exact(16)
                            .filter_map(|c| <[u8; 16]>::try_from(c).ok())
                            .map(Ipv6Addr::from),
                    );
                }
            }
            _ => {}
        }
    }
    Ok(reply)
}

#[cfg(test)]
#[path = "dhcp6_tests.rs"]
mod tests;
