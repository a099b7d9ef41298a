//! DHCPINFORM (RFC 2131 §3.4): a host that has its address asks the
//! network's DHCP servers for configuration only. We ask for one
//! site-specific option (RFC 3942: 224-254) holding the SC's IPv4
//! addresses, and for the search domains and DNS servers.

use std::net::Ipv4Addr;

use super::names::{self, NameError};

/// The client port (RFC 2131 §4.1).
pub const CLIENT_PORT: u16 = 68;
/// The server port.
pub const SERVER_PORT: u16 = 67;

const BOOTREQUEST: u8 = 1;
const BOOTREPLY: u8 = 2;
/// RFC 2132 §2.
const MAGIC: [u8; 4] = [99, 130, 83, 99];
/// The fixed BOOTP header, up to the magic cookie (RFC 2131 §2).
const HEADER: usize = 236;
const DHCPINFORM: u8 = 8;
const DHCPACK: u8 = 5;
const DHCPNAK: u8 = 6;

const OPT_PAD: u8 = 0;
const OPT_DNS: u8 = 6;
const OPT_DOMAIN: u8 = 15;
const OPT_MESSAGE_TYPE: u8 = 53;
const OPT_SERVER_ID: u8 = 54;
const OPT_REQUEST_LIST: u8 = 55;
const OPT_MAX_SIZE: u8 = 57;
const OPT_DOMAIN_SEARCH: u8 = 119;
const OPT_END: u8 = 255;

/// A DHCPINFORM from `client` (its address, in `ciaddr`), with the
/// interface's MAC in `chaddr`, asking (option 55) for `requested`. No
/// client identifier or host name: nothing about the host beyond what
/// the link already shows (RFC 7844's spirit).
pub fn inform(xid: u32, client: Ipv4Addr, mac: Option<[u8; 6]>, requested: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8; HEADER];
    let header = [BOOTREQUEST, 1, 6, 0];
    m.splice(0..4, header);
    m.splice(4..8, xid.to_be_bytes());
    // secs and flags stay 0: no broadcast bit, the server unicasts to ciaddr.
    m.splice(12..16, client.octets());
    m.splice(28..34, mac.unwrap_or_default());
    m.extend_from_slice(&MAGIC);
    m.extend_from_slice(&[OPT_MESSAGE_TYPE, 1, DHCPINFORM]);
    let list: Vec<u8> = requested.iter().copied().take(255).collect();
    m.push(OPT_REQUEST_LIST);
    m.push(u8::try_from(list.len()).unwrap_or(u8::MAX));
    m.extend_from_slice(&list);
    m.extend_from_slice(&[OPT_MAX_SIZE, 2, 0x05, 0xdc]);
    m.push(OPT_END);
    // The BOOTP minimum (RFC 1542 §2.1).
    if m.len() < 300 {
        m.resize(300, OPT_PAD);
    }
    m
}

/// What a DHCPACK to our DHCPINFORM said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InformAck {
    /// The asked-for option's addresses, usable ones only, in order.
    pub sc_addresses: Vec<Ipv4Addr>,
    /// Option 119 (RFC 3397), else option 15.
    pub search_domains: Vec<String>,
    /// Option 6.
    pub name_servers: Vec<Ipv4Addr>,
    /// Option 54.
    pub server_id: Option<Ipv4Addr>,
    /// Problems with options we could do without (a broken search list
    /// does not hide a good SC option).
    pub problems: Vec<Dhcp4Error>,
}

/// Why a datagram is not a usable answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Dhcp4Error {
    /// Shorter than the BOOTP header and magic cookie.
    #[error("{0} octets: shorter than a DHCP message")]
    Truncated(usize),
    /// Not a BOOTREPLY.
    #[error("not a reply (op {0})")]
    NotReply(u8),
    /// Another exchange's transaction id.
    #[error("another transaction's id")]
    WrongXid,
    /// Addressed to another client's hardware address.
    #[error("for another client's hardware address")]
    WrongClient,
    /// No DHCP magic cookie.
    #[error("no DHCP magic cookie")]
    BadMagic,
    /// The server refused (DHCPNAK).
    #[error("the server refused (DHCPNAK)")]
    Nak,
    /// Not a DHCPACK.
    #[error("message type {0}, not an ACK")]
    NotAck(u8),
    /// No message type option.
    #[error("no message type option")]
    NoMessageType,
    /// An option's length runs past the end.
    #[error("option {0} runs past the end of the message")]
    OptionOverrun(u8),
    /// The options do not end with an End option.
    #[error("the options have no end")]
    NoEnd,
    /// An address option whose length is not a multiple of 4.
    #[error("option {code} is {len} octets, not a multiple of 4")]
    BadAddressList {
        /// The option.
        code: u8,
        /// Its length.
        len: usize,
    },
    /// The option held no address an SC could have.
    #[error("option {0} holds no usable address")]
    NoUsableAddress(u8),
    /// A broken domain name in option 15 or 119.
    #[error("option {code}: {error}")]
    BadName {
        /// The option.
        code: u8,
        /// What is wrong.
        error: NameError,
    },
}

/// The options of a message, each code's instances concatenated
/// (RFC 3396 §7). Option overload (52) is not followed: servers put
/// site-specific options in the options field.
fn options(mut rest: &[u8]) -> Result<Vec<(u8, Vec<u8>)>, Dhcp4Error> {
    let mut found: Vec<(u8, Vec<u8>)> = Vec::new();
    loop {
        let (&code, after) = rest.split_first().ok_or(Dhcp4Error::NoEnd)?;
        match code {
            OPT_PAD => rest = after,
            OPT_END => return Ok(found),
            _ => {
                let (&len, after) = after.split_first().ok_or(Dhcp4Error::OptionOverrun(code))?;
                let len = usize::from(len);
                let data = after.get(..len).ok_or(Dhcp4Error::OptionOverrun(code))?;
                match found.iter_mut().find(|(c, _)| *c == code) {
                    Some((_, v)) => v.extend_from_slice(data),
                    None => found.push((code, data.to_vec())),
                }
                rest = after.get(len..).unwrap_or_default();
            }
        }
    }
}

fn addresses(code: u8, data: &[u8]) -> Result<Vec<Ipv4Addr>, Dhcp4Error> {
    if data.is_empty() || !data.len().is_multiple_of(4) {
        return Err(Dhcp4Error::BadAddressList {
            code,
            len: data.len(),
        });
    }
    Ok(data
        .chunks_exact(4)
        .filter_map(|c| <[u8; 4]>::try_from(c).ok())
        .map(Ipv4Addr::from)
        .collect())
}

fn usable(a: &Ipv4Addr) -> bool {
    !(a.is_unspecified() || a.is_broadcast() || a.is_loopback() || a.is_multicast())
}

/// Checks that `datagram` answers our DHCPINFORM (`xid`, our `mac`) and
/// reads option `code` and the DNS settings from it.
pub fn parse_ack(
    datagram: &[u8],
    xid: u32,
    mac: Option<[u8; 6]>,
    code: u8,
) -> Result<InformAck, Dhcp4Error> {
    let header = datagram
        .get(..HEADER + MAGIC.len())
        .ok_or(Dhcp4Error::Truncated(datagram.len()))?;
    let op = header.first().copied().unwrap_or_default();
    if op != BOOTREPLY {
        return Err(Dhcp4Error::NotReply(op));
    }
    if header.get(4..8) != Some(&xid.to_be_bytes()[..]) {
        return Err(Dhcp4Error::WrongXid);
    }
    if let Some(mac) = mac {
        if header.get(28..34) != Some(&mac[..]) {
            return Err(Dhcp4Error::WrongClient);
        }
    }
    if header.get(HEADER..) != Some(&MAGIC[..]) {
        return Err(Dhcp4Error::BadMagic);
    }
    let options = options(datagram.get(HEADER + MAGIC.len()..).unwrap_or_default())?;
    let get = |c: u8| {
        options
            .iter()
            .find(|(k, _)| *k == c)
            .map(|(_, v)| v.as_slice())
    };
    match get(OPT_MESSAGE_TYPE) {
        Some([DHCPACK]) => {}
        Some([DHCPNAK]) => return Err(Dhcp4Error::Nak),
        Some([t]) => return Err(Dhcp4Error::NotAck(*t)),
        _ => return Err(Dhcp4Error::NoMessageType),
    }
    let mut ack = InformAck::default();
    if let Some(data) = get(code) {
        let all = addresses(code, data)?;
        ack.sc_addresses = all.iter().copied().filter(usable).collect();
        ack.sc_addresses.dedup();
        if ack.sc_addresses.is_empty() {
            return Err(Dhcp4Error::NoUsableAddress(code));
        }
    }
    match get(OPT_DNS).map(|d| addresses(OPT_DNS, d)) {
        Some(Ok(servers)) => ack.name_servers = servers.into_iter().filter(usable).collect(),
        Some(Err(e)) => ack.problems.push(e),
        None => {}
    }
    let domains = match (get(OPT_DOMAIN_SEARCH), get(OPT_DOMAIN)) {
        (Some(list), _) => Some((OPT_DOMAIN_SEARCH, names::list(list, true))),
        (None, Some(name)) => Some((OPT_DOMAIN, domain_name(name))),
        (None, None) => None,
    };
    match domains {
        Some((_, Ok(list))) => ack.search_domains = list,
        Some((code, Err(error))) => ack.problems.push(Dhcp4Error::BadName { code, error }),
        None => {}
    }
    ack.server_id = get(OPT_SERVER_ID)
        .and_then(|d| <[u8; 4]>::try_from(d).ok())
        .map(Ipv4Addr::from);
    Ok(ack)
}

/// Option 15: a name in text (RFC 2132 §3.17), sometimes with a final
/// dot or NUL.
fn domain_name(data: &[u8]) -> Result<Vec<String>, NameError> {
    let text = data.strip_suffix(&[0]).unwrap_or(data);
    let text = text.strip_suffix(b".").unwrap_or(text);
    if text.is_empty() {
        return Err(NameError::Empty);
    }
    if text.iter().any(|b| !b.is_ascii_graphic()) {
        return Err(NameError::BadCharacter);
    }
    if text.len() > 253 {
        return Err(NameError::LongName);
    }
    if let Some(long) = text
        .split(|b| *b == b'.')
        .find(|l| l.len() > 63 || l.is_empty())
    {
        return Err(NameError::LongLabel(long.len()));
    }
    Ok(vec![String::from_utf8_lossy(text).to_ascii_lowercase()])
}

#[cfg(test)]
#[path = "dhcp4_tests.rs"]
mod tests;
