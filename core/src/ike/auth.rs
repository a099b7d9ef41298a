//! The AUTH payload computation for shared keys and EAP MSKs
//! (RFC 7296 §2.15–2.16).

use subtle::ConstantTimeEq;

use crate::crypto::{Prf, SecretBytes};

use super::payload::Identification;

/// RFC 7296 §2.15: the fixed key pad for shared-key authentication.
pub const KEY_PAD: &[u8] = b"Key Pad for IKEv2";

/// The octets a peer's AUTH covers (RFC 7296 §2.15):
/// `first_message | peer_nonce | prf(SK_p, RestOfIDPayload)`, where
/// `first_message` is the signer's own IKE_SA_INIT message, `peer_nonce` the
/// other side's nonce, and `sk_p` the signer's SK_pi or SK_pr.
pub fn signed_octets(
    prf: Prf,
    first_message: &[u8],
    peer_nonce: &[u8],
    sk_p: &[u8],
    id: &Identification,
) -> Vec<u8> {
    let maced_id = prf.compute(sk_p, &id.body());
    let mut out = Vec::with_capacity(first_message.len() + peer_nonce.len() + maced_id.len());
    out.extend_from_slice(first_message);
    out.extend_from_slice(peer_nonce);
    out.extend_from_slice(maced_id.as_bytes());
    out
}

/// AUTH = prf(prf(secret, "Key Pad for IKEv2"), signed octets), for a
/// pre-shared key or, with EAP, the MSK (RFC 7296 §2.15, §2.16).
pub fn shared_key_auth(prf: Prf, secret: &[u8], signed: &[u8]) -> SecretBytes {
    let key = prf.compute(secret, KEY_PAD);
    prf.compute(key.as_bytes(), signed)
}

/// Checks a peer's shared-key AUTH data in constant time.
pub fn verify_shared_key_auth(prf: Prf, secret: &[u8], signed: &[u8], received: &[u8]) -> bool {
    let expected = shared_key_auth(prf, secret, signed);
    bool::from(expected.as_bytes().ct_eq(received))
}
