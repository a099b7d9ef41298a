//! EAP-MSCHAPv2 packets (draft-kamath-pppext-eap-mschapv2-02 §2) and the
//! Success/Failure message texts of RFC 2759 §5 and §6.
//!
//! All functions here take the EAP type-data, the bytes after the EAP Type
//! octet:
//!
//! ```text
//!  OpCode | MS-CHAPv2-ID | MS-Length (2) | data ...
//! ```
//!
//! MS-Length counts from the OpCode to the end, i.e. it is the EAP Length
//! minus 5; it must match the bytes present.

use super::crypto::{AUTHENTICATOR_RESPONSE_LEN, CHALLENGE_LEN, NT_RESPONSE_LEN};
use super::MsChapV2ErrorCode;
use crate::eap::{sanitize_text, EapError};

/// OpCode of a Challenge (draft-kamath §2.1).
pub(crate) const OP_CHALLENGE: u8 = 1;
/// OpCode of a Response (draft-kamath §2.2).
pub(crate) const OP_RESPONSE: u8 = 2;
/// OpCode of a Success-Request and Success-Response (draft-kamath §2.3,
/// §2.4).
pub(crate) const OP_SUCCESS: u8 = 3;
/// OpCode of a Failure-Request and Failure-Response (draft-kamath §2.5,
/// §2.6).
pub(crate) const OP_FAILURE: u8 = 4;

/// OpCode, MS-CHAPv2-ID and MS-Length.
const HEADER_LEN: usize = 4;

/// Value-Size of a Response: Peer-Challenge (16), Reserved (8), NT-Response
/// (24), Flags (1) (RFC 2759 §4).
pub(crate) const RESPONSE_VALUE_LEN: u8 = 49;

/// The longest `M=` text kept from the server.
const MAX_SERVER_TEXT: usize = 256;

/// An EAP-MSCHAPv2 request from the authenticator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Request<'a> {
    /// Challenge (OpCode 1).
    Challenge {
        /// MS-CHAPv2-ID, echoed in the Response.
        ms_chapv2_id: u8,
        /// The 16-octet Authenticator-Challenge.
        challenge: [u8; CHALLENGE_LEN],
        /// The authenticator's name (informational).
        name: &'a [u8],
    },
    /// Success-Request (OpCode 3, draft-kamath §2.3).
    Success {
        /// The authenticator response from `S=`.
        authenticator_response: [u8; AUTHENTICATOR_RESPONSE_LEN],
    },
    /// Failure-Request (OpCode 4, draft-kamath §2.5).
    Failure(FailureMessage),
}

/// The fields of a Failure-Request message (RFC 2759 §6):
/// `E=eeeeeeeeee R=r C=cccc... V=vvvvvvvvvv M=<msg>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FailureMessage {
    /// The error code from `E=`.
    pub(crate) code: MsChapV2ErrorCode,
    /// Whether `R=1` (the server would accept a retry).
    pub(crate) retriable: bool,
    /// The `M=` text, sanitized.
    pub(crate) text: String,
}

/// Parses an EAP-MSCHAPv2 request's type-data.
pub(crate) fn parse_request(type_data: &[u8]) -> Result<Request<'_>, EapError> {
    let Some(&opcode) = type_data.first() else {
        return Err(EapError::Truncated {
            what: "EAP-MSCHAPv2 packet",
            needed: 1,
            available: 0,
        });
    };
    if !matches!(opcode, OP_CHALLENGE | OP_SUCCESS | OP_FAILURE) {
        return Err(EapError::UnexpectedOpCode {
            opcode,
            state: "expecting a Challenge, Success-Request or Failure-Request",
        });
    }
    let (ms_chapv2_id, body) = split_header(type_data)?;
    match opcode {
        OP_CHALLENGE => parse_challenge(ms_chapv2_id, body),
        OP_SUCCESS => Ok(Request::Success {
            authenticator_response: parse_success_message(body)?,
        }),
        _ => Ok(Request::Failure(parse_failure_message(body)?)),
    }
}

/// Checks the 4-octet header and MS-Length; returns the MS-CHAPv2-ID and
/// what follows the header.
fn split_header(type_data: &[u8]) -> Result<(u8, &[u8]), EapError> {
    let (Some(&ms_chapv2_id), Some(&hi), Some(&lo), Some(body)) = (
        type_data.get(1),
        type_data.get(2),
        type_data.get(3),
        type_data.get(HEADER_LEN..),
    ) else {
        return Err(EapError::Truncated {
            what: "EAP-MSCHAPv2 header",
            needed: HEADER_LEN,
            available: type_data.len(),
        });
    };
    let ms_length = usize::from(u16::from_be_bytes([hi, lo]));
    if ms_length != type_data.len() {
        return Err(EapError::LengthMismatch {
            what: "EAP-MSCHAPv2 MS-Length",
            claimed: ms_length,
            actual: type_data.len(),
        });
    }
    Ok((ms_chapv2_id, body))
}

/// Challenge: Value-Size (16) | Challenge (16) | Name (RFC 2759 §3,
/// draft-kamath §2.1).
fn parse_challenge(ms_chapv2_id: u8, body: &[u8]) -> Result<Request<'_>, EapError> {
    let Some(&value_size) = body.first() else {
        return Err(EapError::Truncated {
            what: "EAP-MSCHAPv2 Challenge",
            needed: 1 + CHALLENGE_LEN,
            available: 0,
        });
    };
    if usize::from(value_size) != CHALLENGE_LEN {
        return Err(EapError::InvalidValue {
            what: "EAP-MSCHAPv2 Challenge Value-Size",
            value: u64::from(value_size),
        });
    }
    let (Some(value), Some(name)) = (
        body.get(1..=CHALLENGE_LEN),
        body.get(CHALLENGE_LEN.saturating_add(1)..),
    ) else {
        return Err(EapError::Truncated {
            what: "EAP-MSCHAPv2 Challenge",
            needed: 1 + CHALLENGE_LEN,
            available: body.len(),
        });
    };
    let challenge = <[u8; CHALLENGE_LEN]>::try_from(value).map_err(|_| EapError::Internal)?;
    Ok(Request::Challenge {
        ms_chapv2_id,
        challenge,
        name,
    })
}

/// The Success-Request message `S=<40 hex digits>[ M=<text>]` (RFC 2759
/// §5): returns the 20-octet authenticator response.
fn parse_success_message(message: &[u8]) -> Result<[u8; AUTHENTICATOR_RESPONSE_LEN], EapError> {
    let first = message.split(|&b| b == b' ').next().unwrap_or(&[]);
    let digits = first
        .strip_prefix(b"S=")
        .ok_or(EapError::MalformedAuthenticatorResponse)?;
    let mut out = [0u8; AUTHENTICATOR_RESPONSE_LEN];
    if digits.len() != 2 * AUTHENTICATOR_RESPONSE_LEN {
        return Err(EapError::MalformedAuthenticatorResponse);
    }
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (Some(&hi), Some(&lo)) = (pair.first(), pair.get(1)) else {
            return Err(EapError::MalformedAuthenticatorResponse);
        };
        let (Some(hi), Some(lo)) = (hex_value(hi), hex_value(lo)) else {
            return Err(EapError::MalformedAuthenticatorResponse);
        };
        *byte = (hi << 4) | lo;
    }
    Ok(out)
}

/// The value of one hexadecimal digit (either case).
fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

/// The Failure-Request message (RFC 2759 §6). `E=` is required; `R=`, `C=`
/// and `V=` are optional and only `R=` is kept (we never retry, so the new
/// challenge in `C=` is not needed); `M=` takes the rest of the message.
fn parse_failure_message(message: &[u8]) -> Result<FailureMessage, EapError> {
    let mut code = None;
    let mut retriable = false;
    let mut text = String::new();
    let mut rest = message;
    while !rest.is_empty() {
        if let Some(m) = rest.strip_prefix(b"M=") {
            text = sanitize_text(m, MAX_SERVER_TEXT);
            break;
        }
        let (token, after) = match rest.iter().position(|&b| b == b' ') {
            Some(space) => (
                rest.get(..space).unwrap_or(&[]),
                rest.get(space.saturating_add(1)..).unwrap_or(&[]),
            ),
            None => (rest, &[][..]),
        };
        if let Some(digits) = token.strip_prefix(b"E=") {
            code = Some(parse_decimal(digits).ok_or(EapError::MalformedFailureRequest)?);
        } else if let Some(flag) = token.strip_prefix(b"R=") {
            retriable = flag == b"1";
        }
        rest = after;
    }
    let code = code.ok_or(EapError::MalformedFailureRequest)?;
    Ok(FailureMessage {
        code: MsChapV2ErrorCode::from_code(code),
        retriable,
        text,
    })
}

/// A non-empty decimal number that fits in a `u32`.
fn parse_decimal(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &d| {
        if !d.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

/// Builds the Response's type-data (draft-kamath §2.2): OpCode 2, the
/// Challenge's MS-CHAPv2-ID, MS-Length, Value-Size 49, Peer-Challenge, 8
/// reserved zeros, NT-Response, Flags 0, Name.
pub(crate) fn encode_response(
    ms_chapv2_id: u8,
    peer_challenge: &[u8; CHALLENGE_LEN],
    nt_response: &[u8; NT_RESPONSE_LEN],
    name: &[u8],
) -> Result<Vec<u8>, EapError> {
    let length = HEADER_LEN
        .checked_add(1 + usize::from(RESPONSE_VALUE_LEN))
        .and_then(|n| n.checked_add(name.len()))
        .ok_or(EapError::Internal)?;
    let ms_length = u16::try_from(length).map_err(|_| EapError::IdentityTooLong {
        max: usize::from(u16::MAX) - HEADER_LEN - 1 - usize::from(RESPONSE_VALUE_LEN),
        actual: name.len(),
    })?;
    let mut out = Vec::with_capacity(length);
    out.push(OP_RESPONSE);
    out.push(ms_chapv2_id);
    out.extend_from_slice(&ms_length.to_be_bytes());
    out.push(RESPONSE_VALUE_LEN);
    out.extend_from_slice(peer_challenge);
    out.extend_from_slice(&[0u8; 8]);
    out.extend_from_slice(nt_response);
    out.push(0);
    out.extend_from_slice(name);
    Ok(out)
}

/// The Success-Response's type-data: the OpCode alone (draft-kamath §2.4).
pub(crate) fn success_response() -> Vec<u8> {
    vec![OP_SUCCESS]
}

/// The Failure-Response's type-data: the OpCode alone (draft-kamath §2.6).
pub(crate) fn failure_response() -> Vec<u8> {
    vec![OP_FAILURE]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wraps `body` in an EAP-MSCHAPv2 header with a correct MS-Length.
    fn packet(opcode: u8, body: &[u8]) -> Vec<u8> {
        let len = u16::try_from(HEADER_LEN + body.len()).unwrap();
        let mut out = vec![opcode, 7];
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    fn challenge_body(value_size: u8, challenge_len: usize, name: &[u8]) -> Vec<u8> {
        let mut body = vec![value_size];
        body.extend((0..challenge_len).map(|i| u8::try_from(i).unwrap()));
        body.extend_from_slice(name);
        body
    }

    #[test]
    fn parses_a_challenge() {
        let data = packet(OP_CHALLENGE, &challenge_body(16, 16, b"strongSwan"));
        let Request::Challenge {
            ms_chapv2_id,
            challenge,
            name,
        } = parse_request(&data).unwrap()
        else {
            panic!("not a challenge");
        };
        assert_eq!(ms_chapv2_id, 7);
        assert_eq!(challenge[15], 15);
        assert_eq!(name, b"strongSwan");
        // An empty name is accepted.
        let data = packet(OP_CHALLENGE, &challenge_body(16, 16, b""));
        assert!(matches!(
            parse_request(&data),
            Ok(Request::Challenge { name: b"", .. })
        ));
    }

    #[test]
    fn empty_and_truncated_headers() {
        assert!(matches!(
            parse_request(&[]),
            Err(EapError::Truncated { available: 0, .. })
        ));
        for len in 1..HEADER_LEN {
            let data = &[OP_CHALLENGE, 1, 0, 4][..len];
            assert!(
                matches!(parse_request(data), Err(EapError::Truncated { .. })),
                "{len}"
            );
        }
    }

    #[test]
    fn truncated_challenge() {
        for n in 0..16 {
            let data = packet(OP_CHALLENGE, &challenge_body(16, n, b""));
            assert!(
                matches!(
                    parse_request(&data),
                    Err(EapError::Truncated {
                        what: "EAP-MSCHAPv2 Challenge",
                        ..
                    })
                ),
                "{n}"
            );
        }
        let data = packet(OP_CHALLENGE, &[]);
        assert!(matches!(
            parse_request(&data),
            Err(EapError::Truncated { .. })
        ));
    }

    #[test]
    fn value_size_lying() {
        for size in [0u8, 8, 15, 17, 49, 255] {
            let data = packet(OP_CHALLENGE, &challenge_body(size, 16, b"x"));
            assert_eq!(
                parse_request(&data),
                Err(EapError::InvalidValue {
                    what: "EAP-MSCHAPv2 Challenge Value-Size",
                    value: u64::from(size),
                })
            );
        }
    }

    #[test]
    fn ms_length_lying() {
        let good = packet(OP_CHALLENGE, &challenge_body(16, 16, b"srv"));
        for claimed in [0u16, 4, 20, 23, 25, 1000, u16::MAX] {
            let mut data = good.clone();
            data[2..4].copy_from_slice(&claimed.to_be_bytes());
            assert_eq!(
                parse_request(&data),
                Err(EapError::LengthMismatch {
                    what: "EAP-MSCHAPv2 MS-Length",
                    claimed: usize::from(claimed),
                    actual: good.len(),
                })
            );
        }
    }

    #[test]
    fn success_messages() {
        let hex = "407A5589115FD0D6209F510FE9C04566932CDA56";
        let expected: [u8; 20] = hex::decode(hex).unwrap().try_into().unwrap();
        for text in [
            format!("S={hex} M=Welcome2strongSwan"),
            format!("S={hex}"),
            format!("S={} M=x y z", hex.to_lowercase()),
        ] {
            let data = packet(OP_SUCCESS, text.as_bytes());
            assert_eq!(
                parse_request(&data),
                Ok(Request::Success {
                    authenticator_response: expected
                }),
                "{text}"
            );
        }
        for text in [
            "".to_string(),
            "S=".to_string(),
            format!("S={}", &hex[..39]),
            format!("S={hex}0"),
            format!("S={}G M=x", &hex[..39]),
            format!("S={}\u{e9} M=x", &hex[..38]),
            format!("M=hello S={hex}"),
            format!(" S={hex}"),
            format!("s={hex}"),
        ] {
            let data = packet(OP_SUCCESS, text.as_bytes());
            assert_eq!(
                parse_request(&data),
                Err(EapError::MalformedAuthenticatorResponse),
                "{text}"
            );
        }
    }

    #[test]
    fn failure_messages() {
        let data = packet(
            OP_FAILURE,
            b"E=691 R=0 C=00112233445566778899AABBCCDDEEFF V=3 M=bad user or pass\x07",
        );
        assert_eq!(
            parse_request(&data),
            Ok(Request::Failure(FailureMessage {
                code: MsChapV2ErrorCode::AuthenticationFailure,
                retriable: false,
                text: "bad user or pass?".to_string(),
            }))
        );
        let data = packet(OP_FAILURE, b"E=648 R=1");
        assert_eq!(
            parse_request(&data),
            Ok(Request::Failure(FailureMessage {
                code: MsChapV2ErrorCode::PasswordExpired,
                retriable: true,
                text: String::new(),
            }))
        );
        let data = packet(OP_FAILURE, b"E=12345");
        assert!(matches!(
            parse_request(&data),
            Ok(Request::Failure(FailureMessage {
                code: MsChapV2ErrorCode::Other(12345),
                ..
            }))
        ));
        for text in [
            &b""[..],
            b"E=",
            b"E=69x",
            b"E=-1",
            b"E=99999999999",
            b"R=0 C=00 V=3",
            b"M=E=691",
        ] {
            let data = packet(OP_FAILURE, text);
            assert_eq!(
                parse_request(&data),
                Err(EapError::MalformedFailureRequest),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn other_opcodes_are_refused() {
        for opcode in [0u8, OP_RESPONSE, 5, 6, 7, 255] {
            let data = packet(opcode, &challenge_body(16, 16, b"x"));
            assert!(
                matches!(
                    parse_request(&data),
                    Err(EapError::UnexpectedOpCode { opcode: o, .. }) if o == opcode
                ),
                "{opcode}"
            );
        }
    }

    #[test]
    fn response_layout() {
        let data = encode_response(9, &[0xaa; 16], &[0xbb; 24], b"User").unwrap();
        assert_eq!(data.len(), 4 + 1 + 49 + 4);
        assert_eq!(&data[..5], &[OP_RESPONSE, 9, 0, 58, 49]);
        assert_eq!(&data[5..21], &[0xaa; 16]);
        assert_eq!(&data[21..29], &[0; 8]);
        assert_eq!(&data[29..53], &[0xbb; 24]);
        assert_eq!(data[53], 0);
        assert_eq!(&data[54..], b"User");
    }
}
