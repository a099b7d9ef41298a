//! The MS-CHAPv2 computations of RFC 2759 §8 and the MPPE key derivation of
//! RFC 3079 §3.4, over RustCrypto `md4` and `des` and `ring`'s SHA-1.
//!
//! Function names follow the RFCs' pseudocode. Every value derived from the
//! password (NT hash, its hash, the master key, start keys, MSK) is returned
//! in a zeroizing container.

use des::cipher::generic_array::GenericArray;
use des::cipher::{BlockEncrypt, KeyInit};
use md4::{Digest, Md4};
use ring::digest::{Context, SHA1_FOR_LEGACY_USE_ONLY};
use zeroize::Zeroizing;

use crate::crypto::SecretBytes;
use crate::eap::EapError;

/// Length of the Authenticator-Challenge and Peer-Challenge (RFC 2759 §4).
pub const CHALLENGE_LEN: usize = 16;

/// Length of the NT-Response (RFC 2759 §4).
pub const NT_RESPONSE_LEN: usize = 24;

/// Length of the authenticator response, in octets (RFC 2759 §8.7).
pub const AUTHENTICATOR_RESPONSE_LEN: usize = 20;

/// Length of the EAP-MSCHAPv2 MSK (RFC 3748 §7.10: at least 64 octets).
pub const MSK_LEN: usize = 64;

/// Length of an NT password hash (RFC 2759 §8.3).
pub const NT_HASH_LEN: usize = 16;

/// Length of the MPPE master key and of a 128-bit start key (RFC 3079 §3.4).
const MASTER_KEY_LEN: usize = 16;

/// "Magic server to client signing constant" (RFC 2759 §8.7).
const AUTH_MAGIC1: &[u8] = b"Magic server to client signing constant";

/// "Pad to make it do more than one iteration" (RFC 2759 §8.7).
const AUTH_MAGIC2: &[u8] = b"Pad to make it do more than one iteration";

/// GetMasterKey's magic constant (RFC 3079 §3.4).
const KEY_MAGIC1: &[u8] = b"This is the MPPE Master Key";

/// GetAsymmetricStartKey's Magic2: the client's send key, the server's
/// receive key (RFC 3079 §3.4).
const KEY_MAGIC2: &[u8] =
    b"On the client side, this is the send key; on the server side, it is the receive key.";

/// GetAsymmetricStartKey's Magic3: the client's receive key, the server's
/// send key (RFC 3079 §3.4).
const KEY_MAGIC3: &[u8] =
    b"On the client side, this is the receive key; on the server side, it is the send key.";

/// SHSpad1: 40 octets of 0x00 (RFC 3079 §3.4).
const SHS_PAD1: [u8; 40] = [0x00; 40];

/// SHSpad2: 40 octets of 0xf2 (RFC 3079 §3.4).
const SHS_PAD2: [u8; 40] = [0xf2; 40];

/// SHA-1 over the concatenation of `parts`.
fn sha1(parts: &[&[u8]]) -> Zeroizing<[u8; 20]> {
    let mut context = Context::new(&SHA1_FOR_LEGACY_USE_ONLY);
    for part in parts {
        context.update(part);
    }
    let digest = context.finish();
    let mut out = Zeroizing::new([0u8; 20]);
    copy_prefix(out.as_mut_slice(), digest.as_ref());
    out
}

/// Copies as much of `src` as fits into `dst`.
fn copy_prefix(dst: &mut [u8], src: &[u8]) {
    dst.iter_mut().zip(src).for_each(|(d, s)| *d = *s);
}

/// The first `N` octets of a SHA-1 digest.
fn truncate<const N: usize>(digest: &[u8; 20]) -> Zeroizing<[u8; N]> {
    let mut out = Zeroizing::new([0u8; N]);
    copy_prefix(out.as_mut_slice(), digest);
    out
}

/// The user name as MS-CHAPv2 hashes it: without a prepended
/// `DOMAIN\` (RFC 2759 §8.2: "Only the user name (as presented by the peer
/// and excluding any prepended domain name) is used"). As in strongSwan's
/// eap-mschapv2 plugin, everything up to the first backslash is the domain.
pub fn strip_domain(user_name: &[u8]) -> &[u8] {
    match user_name.iter().position(|&b| b == b'\\') {
        Some(backslash) => user_name.get(backslash.saturating_add(1)..).unwrap_or(&[]),
        None => user_name,
    }
}

/// `NtPasswordHash(Password)` = MD4 over the password in UTF-16LE without
/// terminator (RFC 2759 §8.3).
pub fn nt_password_hash(password: &str) -> Zeroizing<[u8; NT_HASH_LEN]> {
    let mut unicode = Zeroizing::new(Vec::with_capacity(password.len().saturating_mul(2)));
    for unit in password.encode_utf16() {
        unicode.extend_from_slice(&unit.to_le_bytes());
    }
    md4(&unicode)
}

/// `HashNtPasswordHash(PasswordHash)` = MD4(PasswordHash) (RFC 2759 §8.4).
pub fn hash_nt_password_hash(password_hash: &[u8; NT_HASH_LEN]) -> Zeroizing<[u8; NT_HASH_LEN]> {
    md4(password_hash)
}

/// MD4 into a zeroizing buffer.
fn md4(data: &[u8]) -> Zeroizing<[u8; NT_HASH_LEN]> {
    let mut out = Zeroizing::new([0u8; NT_HASH_LEN]);
    let mut hasher = Md4::new();
    hasher.update(data);
    hasher.finalize_into(GenericArray::from_mut_slice(out.as_mut_slice()));
    out
}

/// `ChallengeHash(PeerChallenge, AuthenticatorChallenge, UserName)`: the
/// first 8 octets of SHA-1(PeerChallenge | AuthenticatorChallenge |
/// UserName), with `UserName` stripped of any domain (RFC 2759 §8.2).
pub fn challenge_hash(
    peer_challenge: &[u8; CHALLENGE_LEN],
    authenticator_challenge: &[u8; CHALLENGE_LEN],
    user_name: &[u8],
) -> [u8; 8] {
    let digest = sha1(&[
        peer_challenge,
        authenticator_challenge,
        strip_domain(user_name),
    ]);
    *truncate::<8>(&digest)
}

/// Expands 7 key octets into a DES key: each 7-bit group becomes the high
/// bits of one octet, whose low bit is set for odd parity (RFC 2759 §8.6,
/// `DesEncrypt`'s key handling).
fn des_key(seven: &[u8]) -> Zeroizing<[u8; 8]> {
    let bits = seven
        .iter()
        .take(7)
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let mut spread = 0u64;
    for i in 0..8u32 {
        let septet = (bits >> (49 - 7 * i)) & 0x7f;
        spread |= septet << (57 - 8 * i);
    }
    let mut key = Zeroizing::new(spread.to_be_bytes());
    for byte in key.iter_mut() {
        if byte.count_ones() % 2 == 0 {
            *byte |= 1;
        }
    }
    key
}

/// `ChallengeResponse(Challenge, PasswordHash)`: the 16-octet hash is
/// zero-padded to 21 octets, split into three 7-octet DES keys, and the
/// 8-octet challenge is DES-encrypted with each (RFC 2759 §8.5).
pub fn challenge_response(
    challenge: &[u8; 8],
    password_hash: &[u8; NT_HASH_LEN],
) -> Result<[u8; NT_RESPONSE_LEN], EapError> {
    let mut z_password_hash = Zeroizing::new([0u8; 21]);
    copy_prefix(z_password_hash.as_mut_slice(), password_hash);
    let mut response = [0u8; NT_RESPONSE_LEN];
    for (out, seven) in response
        .chunks_exact_mut(8)
        .zip(z_password_hash.chunks_exact(7))
    {
        let key = des_key(seven);
        let cipher = des::Des::new_from_slice(key.as_slice()).map_err(|_| EapError::Internal)?;
        let mut block = GenericArray::from(*challenge);
        cipher.encrypt_block(&mut block);
        copy_prefix(out, &block);
    }
    Ok(response)
}

/// `GenerateNTResponse(AuthenticatorChallenge, PeerChallenge, UserName,
/// Password)` from the password's NT hash (RFC 2759 §8.1).
pub fn generate_nt_response(
    authenticator_challenge: &[u8; CHALLENGE_LEN],
    peer_challenge: &[u8; CHALLENGE_LEN],
    user_name: &[u8],
    password_hash: &[u8; NT_HASH_LEN],
) -> Result<[u8; NT_RESPONSE_LEN], EapError> {
    let challenge = challenge_hash(peer_challenge, authenticator_challenge, user_name);
    challenge_response(&challenge, password_hash)
}

/// `GenerateAuthenticatorResponse(...)` from the password's NT hash
/// (RFC 2759 §8.7): the 20 octets the server proves knowledge of the
/// password with, sent as `S=` and 40 hexadecimal digits.
pub fn generate_authenticator_response(
    password_hash: &[u8; NT_HASH_LEN],
    nt_response: &[u8; NT_RESPONSE_LEN],
    peer_challenge: &[u8; CHALLENGE_LEN],
    authenticator_challenge: &[u8; CHALLENGE_LEN],
    user_name: &[u8],
) -> Zeroizing<[u8; AUTHENTICATOR_RESPONSE_LEN]> {
    let password_hash_hash = hash_nt_password_hash(password_hash);
    let digest = sha1(&[password_hash_hash.as_slice(), nt_response, AUTH_MAGIC1]);
    let challenge = challenge_hash(peer_challenge, authenticator_challenge, user_name);
    sha1(&[digest.as_slice(), &challenge, AUTH_MAGIC2])
}

/// `GetMasterKey(PasswordHashHash, NTResponse)`: the first 16 octets of
/// SHA-1(PasswordHashHash | NTResponse | Magic1) (RFC 3079 §3.4).
pub fn get_master_key(
    password_hash_hash: &[u8; NT_HASH_LEN],
    nt_response: &[u8; NT_RESPONSE_LEN],
) -> Zeroizing<[u8; MASTER_KEY_LEN]> {
    truncate(&sha1(&[password_hash_hash, nt_response, KEY_MAGIC1]))
}

/// `GetAsymmetricStartKey(MasterKey, 16, IsSend, IsServer)`: the 128-bit
/// start key, the first 16 octets of SHA-1(MasterKey | SHSpad1 | s |
/// SHSpad2) where `s` is Magic2 for the client's send and the server's
/// receive key and Magic3 otherwise (RFC 3079 §3.3, §3.4).
pub fn get_asymmetric_start_key(
    master_key: &[u8; MASTER_KEY_LEN],
    is_send: bool,
    is_server: bool,
) -> Zeroizing<[u8; MASTER_KEY_LEN]> {
    let magic = if is_send != is_server {
        KEY_MAGIC2
    } else {
        KEY_MAGIC3
    };
    truncate(&sha1(&[master_key, &SHS_PAD1, magic, &SHS_PAD2]))
}

/// The EAP-MSCHAPv2 MSK, 64 octets, as strongSwan's eap-mschapv2 plugin
/// (`GenerateMSK`) and wpa_supplicant compute it on both sides:
///
/// ```text
/// MasterKey = GetMasterKey(PasswordHashHash, NT-Response)
/// MSK = GetAsymmetricStartKey(MasterKey, 16, IsSend=TRUE,  IsServer=FALSE)  (Magic2)
///     | GetAsymmetricStartKey(MasterKey, 16, IsSend=FALSE, IsServer=FALSE)  (Magic3)
///     | 32 zero octets
/// ```
///
/// That is the peer's MPPE send key then its receive key, which is the
/// server's MS-MPPE-Recv-Key then MS-MPPE-Send-Key (RFC 3079 §3.3–3.4,
/// RFC 2548 §2.4.2–2.4.3), padded to the 64 octets RFC 3748 §7.10 requires.
pub fn msk(password_hash: &[u8; NT_HASH_LEN], nt_response: &[u8; NT_RESPONSE_LEN]) -> SecretBytes {
    let password_hash_hash = hash_nt_password_hash(password_hash);
    let master_key = get_master_key(&password_hash_hash, nt_response);
    let send = get_asymmetric_start_key(&master_key, true, false);
    let receive = get_asymmetric_start_key(&master_key, false, false);
    let mut msk = Vec::with_capacity(MSK_LEN);
    msk.extend_from_slice(send.as_slice());
    msk.extend_from_slice(receive.as_slice());
    msk.resize(MSK_LEN, 0);
    SecretBytes::new(msk)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex<const N: usize>(text: &str) -> [u8; N] {
        let bytes = hex::decode(text.replace(' ', "")).unwrap();
        <[u8; N]>::try_from(bytes.as_slice()).unwrap()
    }

    // RFC 2759 §9.2 (Hash Example), repeated as the initial values of
    // RFC 3079 §3.5.
    const USER_NAME: &[u8] = b"User";
    const PASSWORD: &str = "clientPass";
    const AUTHENTICATOR_CHALLENGE: &str = "5B5D7C7D7B3F2F3E3C2C602132262628";
    const PEER_CHALLENGE: &str = "21402324255E262A28295F2B3A337C7E";
    const CHALLENGE: &str = "D02E4386BCE91226";
    const PASSWORD_HASH: &str = "44EBBA8D5312B8D611474411F56989AE";
    const NT_RESPONSE: &str = "82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF";
    const PASSWORD_HASH_HASH: &str = "41C00C584BD2D91C4017A2A12FA59F3F";
    const AUTHENTICATOR_RESPONSE: &str = "407A5589115FD0D6209F510FE9C04566932CDA56";

    // RFC 3079 §3.5.3 (Sample 128-bit Key Derivation).
    const MASTER_KEY: &str = "FDECE3717A8C838CB388E527AE3CDD31";
    /// "SendStartKey128" of RFC 3079 §3.5.3: the server's send key (Magic3),
    /// which is the client's receive key.
    const SEND_START_KEY_128: &str = "8B7CDC149B993A1BA118CB153F56DCCB";
    /// The other direction (Magic2: the client's send key, the server's
    /// receive key), which RFC 3079 does not list: computed independently
    /// with Python's hashlib from the RFC's MasterKey.
    const CLIENT_SEND_START_KEY_128: &str = "D5F0E9521E3EA9589645E86051C82226";

    #[test]
    fn rfc2759_nt_password_hash() {
        assert_eq!(*nt_password_hash(PASSWORD), unhex::<16>(PASSWORD_HASH));
    }

    #[test]
    fn rfc2759_password_hash_hash() {
        let hash = unhex::<16>(PASSWORD_HASH);
        assert_eq!(
            *hash_nt_password_hash(&hash),
            unhex::<16>(PASSWORD_HASH_HASH)
        );
    }

    #[test]
    fn rfc2759_challenge_hash() {
        let challenge = challenge_hash(
            &unhex(PEER_CHALLENGE),
            &unhex(AUTHENTICATOR_CHALLENGE),
            USER_NAME,
        );
        assert_eq!(challenge, unhex::<8>(CHALLENGE));
    }

    #[test]
    fn rfc2759_challenge_response() {
        let response = challenge_response(&unhex(CHALLENGE), &unhex(PASSWORD_HASH)).unwrap();
        assert_eq!(response, unhex::<24>(NT_RESPONSE));
    }

    #[test]
    fn rfc2759_generate_nt_response() {
        let response = generate_nt_response(
            &unhex(AUTHENTICATOR_CHALLENGE),
            &unhex(PEER_CHALLENGE),
            USER_NAME,
            &nt_password_hash(PASSWORD),
        )
        .unwrap();
        assert_eq!(response, unhex::<24>(NT_RESPONSE));
    }

    #[test]
    fn rfc2759_authenticator_response() {
        let response = generate_authenticator_response(
            &unhex(PASSWORD_HASH),
            &unhex(NT_RESPONSE),
            &unhex(PEER_CHALLENGE),
            &unhex(AUTHENTICATOR_CHALLENGE),
            USER_NAME,
        );
        assert_eq!(
            format!("S={}", hex::encode_upper(response.as_slice())),
            format!("S={AUTHENTICATOR_RESPONSE}")
        );
    }

    #[test]
    fn challenge_hash_ignores_the_domain() {
        let plain = challenge_hash(
            &unhex(PEER_CHALLENGE),
            &unhex(AUTHENTICATOR_CHALLENGE),
            USER_NAME,
        );
        let with_domain = challenge_hash(
            &unhex(PEER_CHALLENGE),
            &unhex(AUTHENTICATOR_CHALLENGE),
            b"EXAMPLE\\User",
        );
        assert_eq!(plain, with_domain);
        assert_eq!(strip_domain(b"A\\B\\c"), b"B\\c");
        assert_eq!(strip_domain(b"trailing\\"), b"");
        assert_eq!(strip_domain(b"user@realm"), b"user@realm");
    }

    #[test]
    fn rfc3079_master_key() {
        let master = get_master_key(&unhex(PASSWORD_HASH_HASH), &unhex(NT_RESPONSE));
        assert_eq!(*master, unhex::<16>(MASTER_KEY));
    }

    #[test]
    fn rfc3079_start_keys_128() {
        let master = unhex::<16>(MASTER_KEY);
        let server_send = get_asymmetric_start_key(&master, true, true);
        let client_receive = get_asymmetric_start_key(&master, false, false);
        assert_eq!(*server_send, unhex::<16>(SEND_START_KEY_128));
        assert_eq!(*client_receive, unhex::<16>(SEND_START_KEY_128));
        let client_send = get_asymmetric_start_key(&master, true, false);
        let server_receive = get_asymmetric_start_key(&master, false, true);
        assert_eq!(*client_send, unhex::<16>(CLIENT_SEND_START_KEY_128));
        assert_eq!(*server_receive, unhex::<16>(CLIENT_SEND_START_KEY_128));
    }

    #[test]
    fn msk_layout_matches_strongswan() {
        let msk = msk(&unhex(PASSWORD_HASH), &unhex(NT_RESPONSE));
        let expected = format!(
            "{CLIENT_SEND_START_KEY_128}{SEND_START_KEY_128}{}",
            "00".repeat(32)
        );
        assert_eq!(hex::encode_upper(msk.as_bytes()), expected);
        assert_eq!(msk.len(), MSK_LEN);
    }

    #[test]
    fn non_ascii_password_is_utf16le() {
        // U+00E9 and U+1F600 (a surrogate pair) in UTF-16LE.
        let direct = md4(&[0xe9, 0x00, 0x3d, 0xd8, 0x00, 0xde]);
        assert_eq!(*nt_password_hash("\u{e9}\u{1f600}"), *direct);
    }
}
