//! Domain names inside DHCP options (RFC 1035 §3.1 wire form): a single
//! uncompressed name (DHCPv6 AFTR-Name, RFC 6334 §3), uncompressed lists
//! (DHCPv6 domain list, RFC 3646 §4) and compressed lists (DHCPv4 domain
//! search, RFC 3397 §2, where pointers are offsets into the option's data).

/// Longest name on the wire, root label included (RFC 1035 §2.3.4).
const MAX_NAME: usize = 255;
/// Longest label (RFC 1035 §2.3.4).
const MAX_LABEL: usize = 63;
/// Compression pointers followed per name: more is a loop or abuse.
const MAX_HOPS: usize = 16;

/// What is wrong with a name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The data ends inside a name.
    #[error("a name runs past the end of the option")]
    Truncated,
    /// A label longer than 63 octets, or a reserved label type.
    #[error("a label of {0} octets (at most 63)")]
    LongLabel(usize),
    /// A name longer than 255 octets.
    #[error("a name longer than 255 octets")]
    LongName,
    /// A compression pointer where none is allowed.
    #[error("a compression pointer where names must be uncompressed")]
    Pointer,
    /// A pointer that does not point strictly backwards, or too many.
    #[error("a compression pointer that loops or points forward")]
    BadPointer,
    /// No root label at the end.
    #[error("the name has no root label at its end")]
    NoRoot,
    /// Bytes after the name in an option that holds exactly one.
    #[error("{0} octets after the name")]
    Trailing(usize),
    /// A label with a dot or a character that is not printable ASCII.
    #[error("a label with a character that is not printable ASCII")]
    BadCharacter,
    /// Only the root: no name at all.
    #[error("an empty name")]
    Empty,
}

/// Reads one name starting at `start` in `data`; returns it (lower case,
/// no final dot) and the offset just after it in the original sequence.
fn read_name(data: &[u8], start: usize, compressed: bool) -> Result<(String, usize), NameError> {
    let mut labels: Vec<String> = Vec::new();
    let mut wire_len = 0usize;
    let mut at = start;
    let mut end = None;
    let mut hops = 0usize;
    loop {
        let len = usize::from(*data.get(at).ok_or(NameError::Truncated)?);
        match len {
            0 => {
                wire_len += 1;
                if wire_len > MAX_NAME {
                    return Err(NameError::LongName);
                }
                let after = end.unwrap_or(at + 1);
                if labels.is_empty() {
                    return Err(NameError::Empty);
                }
                return Ok((labels.join("."), after));
            }
            l if l & 0xc0 == 0xc0 => {
                if !compressed {
                    return Err(NameError::Pointer);
                }
                let low = usize::from(*data.get(at + 1).ok_or(NameError::Truncated)?);
                let target = ((l & 0x3f) << 8) | low;
                hops += 1;
                if target >= at || hops > MAX_HOPS {
                    return Err(NameError::BadPointer);
                }
                if end.is_none() {
                    end = Some(at + 2);
                }
                at = target;
            }
            l if l > MAX_LABEL => return Err(NameError::LongLabel(l)),
            l => {
                let label = data.get(at + 1..at + 1 + l).ok_or(NameError::Truncated)?;
                wire_len += 1 + l;
                if wire_len > MAX_NAME {
                    return Err(NameError::LongName);
                }
                if label.iter().any(|b| !b.is_ascii_graphic() || *b == b'.') {
                    return Err(NameError::BadCharacter);
                }
                labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
                at += 1 + l;
            }
        }
    }
}

/// Exactly one uncompressed name filling `data` (RFC 6334 §3).
pub(crate) fn single(data: &[u8]) -> Result<String, NameError> {
    let (name, after) = read_name(data, 0, false).map_err(|e| match e {
        // The data ended before a root label.
        NameError::Truncated => NameError::NoRoot,
        other => other,
    })?;
    match data.len().saturating_sub(after) {
        0 => Ok(name),
        n => Err(NameError::Trailing(n)),
    }
}

/// A sequence of names filling `data`, compressed (RFC 3397) or not
/// (RFC 3646).
pub(crate) fn list(data: &[u8], compressed: bool) -> Result<Vec<String>, NameError> {
    let mut names = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let (name, after) = read_name(data, at, compressed)?;
        if !names.contains(&name) {
            names.push(name);
        }
        at = after;
    }
    Ok(names)
}

/// `name` in wire form (for building test answers and requests).
#[cfg(test)]
pub(crate) fn encode(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        out.push(u8::try_from(label.len()).unwrap_or(63));
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}
