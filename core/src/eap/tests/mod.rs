//! Scripted EAP conversations between [`EapPeer`] running EAP-MSCHAPv2 and a
//! fake authenticator that behaves like strongSwan's eap-mschapv2 server.

mod exchange;
mod robustness;

use super::mschapv2::crypto::{self, CHALLENGE_LEN};
use super::mschapv2::{FixedPeerChallenge, MsChapV2, PeerChallengeSource};
use super::*;
use crate::ike::payload::EapMessage;

// RFC 2759 §9.2 values.
const USER: &str = "User";
const PASSWORD: &str = "clientPass";
const AUTHENTICATOR_CHALLENGE: &str = "5B5D7C7D7B3F2F3E3C2C602132262628";
const PEER_CHALLENGE: &str = "21402324255E262A28295F2B3A337C7E";
const NT_RESPONSE: &str = "82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF";
const AUTHENTICATOR_RESPONSE: &str = "407A5589115FD0D6209F510FE9C04566932CDA56";
const PASSWORD_HASH: &str = "44EBBA8D5312B8D611474411F56989AE";

/// The MSK for the RFC 2759 §9.2 exchange in strongSwan's layout: the
/// client's send start key (Magic2), the client's receive start key
/// (Magic3, RFC 3079 §3.5.3 "SendStartKey128"), 32 zero octets. Computed
/// independently with Python's hashlib from the RFC's PasswordHashHash and
/// NT-Response.
const EXPECTED_MSK: &str = "D5F0E9521E3EA9589645E86051C82226\
                            8B7CDC149B993A1BA118CB153F56DCCB\
                            0000000000000000000000000000000000000000000000000000000000000000";

fn unhex<const N: usize>(text: &str) -> [u8; N] {
    hex::decode(text).unwrap().try_into().unwrap()
}

fn request(identifier: u8, method: EapType, data: Vec<u8>) -> EapMessage {
    EapMessage {
        code: EapCode::Request,
        identifier,
        method: Some(method),
        data,
    }
}

fn bare(code: EapCode, identifier: u8) -> EapMessage {
    EapMessage {
        code,
        identifier,
        method: None,
        data: Vec::new(),
    }
}

/// Wraps an EAP-MSCHAPv2 body in OpCode, MS-CHAPv2-ID and MS-Length.
fn mschap(opcode: u8, ms_chapv2_id: u8, body: &[u8]) -> Vec<u8> {
    let len = u16::try_from(4 + body.len()).unwrap();
    let mut out = vec![opcode, ms_chapv2_id];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// The peer under test, with the RFC's Peer-Challenge.
fn rfc_peer(password: &str) -> EapPeer {
    let method = MsChapV2::with_challenge_source(
        USER,
        password,
        Box::new(FixedPeerChallenge(unhex(PEER_CHALLENGE))),
    )
    .unwrap();
    EapPeer::new(USER, Box::new(method)).unwrap()
}

fn sent(outcome: EapOutcome) -> EapMessage {
    match outcome {
        EapOutcome::Send(message) => message,
        other => panic!("expected a response, got {other:?}"),
    }
}

/// An authenticator that knows one user's password and runs
/// EAP-Identity then EAP-MSCHAPv2 like strongSwan (identifiers increase by
/// one per request, Success-Request `S=... M=Welcome2strongSwan`,
/// Failure-Request `E=691 R=0 C=... V=3 M=...`).
struct FakeAuthenticator {
    user: String,
    nt_hash: [u8; 16],
    challenge: [u8; CHALLENGE_LEN],
    identifier: u8,
    ms_chapv2_id: u8,
    msk: Option<SecretBytes>,
}

impl FakeAuthenticator {
    fn new(user: &str, password: &str) -> Self {
        Self {
            user: user.to_string(),
            nt_hash: *crypto::nt_password_hash(password),
            challenge: unhex(AUTHENTICATOR_CHALLENGE),
            identifier: 1,
            ms_chapv2_id: 0x42,
            msk: None,
        }
    }

    fn next_id(&mut self) -> u8 {
        self.identifier = self.identifier.wrapping_add(1);
        self.identifier
    }

    fn identity_request(&self) -> EapMessage {
        request(self.identifier, EapType::Identity, Vec::new())
    }

    fn check_identity(&self, response: &EapMessage) {
        assert_eq!(response.code, EapCode::Response);
        assert_eq!(response.identifier, self.identifier);
        assert_eq!(response.method, Some(EapType::Identity));
        assert_eq!(response.data, self.user.as_bytes());
    }

    fn challenge_request(&mut self) -> EapMessage {
        let mut body = vec![16];
        body.extend_from_slice(&self.challenge);
        body.extend_from_slice(b"strongSwan");
        let data = mschap(1, self.ms_chapv2_id, &body);
        request(self.next_id(), EapType::MsChapV2, data)
    }

    /// Verifies the Response like strongSwan's `process_server_response`
    /// and returns the Success-Request or a Failure-Request.
    fn answer_response(&mut self, response: &EapMessage) -> EapMessage {
        assert_eq!(response.code, EapCode::Response);
        assert_eq!(response.identifier, self.identifier);
        assert_eq!(response.method, Some(EapType::MsChapV2));
        let d = &response.data;
        assert_eq!(d[0], 2, "Response OpCode");
        assert_eq!(d[1], self.ms_chapv2_id);
        assert_eq!(usize::from(u16::from_be_bytes([d[2], d[3]])), d.len());
        assert_eq!(d[4], 49, "Value-Size");
        let peer_challenge: [u8; 16] = d[5..21].try_into().unwrap();
        assert_eq!(&d[21..29], &[0; 8], "reserved");
        let nt_response: [u8; 24] = d[29..53].try_into().unwrap();
        assert_eq!(d[53], 0, "Flags");
        let name = &d[54..];
        assert_eq!(name, self.user.as_bytes());
        let expected =
            crypto::generate_nt_response(&self.challenge, &peer_challenge, name, &self.nt_hash)
                .unwrap();
        if expected == nt_response {
            let auth = crypto::generate_authenticator_response(
                &self.nt_hash,
                &nt_response,
                &peer_challenge,
                &self.challenge,
                name,
            );
            self.msk = Some(crypto::msk(&self.nt_hash, &nt_response));
            let text = format!(
                "S={} M=Welcome2strongSwan",
                hex::encode_upper(auth.as_slice())
            );
            let data = mschap(3, self.ms_chapv2_id, text.as_bytes());
            request(self.next_id(), EapType::MsChapV2, data)
        } else {
            let text = format!(
                "E=691 R=0 C={} V=3 M=Authentication failed",
                hex::encode_upper([0x11; 16])
            );
            let data = mschap(4, self.ms_chapv2_id, text.as_bytes());
            request(self.next_id(), EapType::MsChapV2, data)
        }
    }

    fn success(&self) -> EapMessage {
        bare(EapCode::Success, self.identifier)
    }

    fn failure(&self) -> EapMessage {
        bare(EapCode::Failure, self.identifier)
    }
}
