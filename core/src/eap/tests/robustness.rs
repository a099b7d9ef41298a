//! Malformed input, limits and secrets in `Debug` output.

use super::*;

#[test]
fn malformed_mschapv2_requests_fail_cleanly() {
    let good_challenge = mschap(1, 1, &[&[16u8][..], &[0x33; 16], b"srv"].concat());
    let mut ms_length_lying = good_challenge.clone();
    ms_length_lying[3] = ms_length_lying[3].wrapping_add(1);
    let mut value_size_lying = good_challenge.clone();
    value_size_lying[4] = 49;
    let cases: Vec<(Vec<u8>, EapError)> = vec![
        (
            Vec::new(),
            EapError::Truncated {
                what: "EAP-MSCHAPv2 packet",
                needed: 1,
                available: 0,
            },
        ),
        (
            good_challenge[..10].to_vec(),
            EapError::LengthMismatch {
                what: "EAP-MSCHAPv2 MS-Length",
                claimed: good_challenge.len(),
                actual: 10,
            },
        ),
        (
            mschap(1, 1, &[&[16u8][..], &[0x33; 10]].concat()),
            EapError::Truncated {
                what: "EAP-MSCHAPv2 Challenge",
                needed: 17,
                available: 11,
            },
        ),
        (
            ms_length_lying,
            EapError::LengthMismatch {
                what: "EAP-MSCHAPv2 MS-Length",
                claimed: good_challenge.len() + 1,
                actual: good_challenge.len(),
            },
        ),
        (
            value_size_lying,
            EapError::InvalidValue {
                what: "EAP-MSCHAPv2 Challenge Value-Size",
                value: 49,
            },
        ),
        (
            mschap(3, 1, b"S=407A5589115FD0D6209F510FE9C04566932CDAZZ M=x"),
            EapError::MalformedAuthenticatorResponse,
        ),
        (
            mschap(3, 1, b"S=407A5589115FD0D6209F510FE9C04566932CDA56 M=x"),
            EapError::UnexpectedOpCode {
                opcode: 3,
                state: "awaiting the Challenge",
            },
        ),
        (
            mschap(7, 1, &[0; 20]),
            EapError::UnexpectedOpCode {
                opcode: 7,
                state: "expecting a Challenge, Success-Request or Failure-Request",
            },
        ),
    ];
    for (data, error) in cases {
        let mut peer = rfc_peer(PASSWORD);
        assert_eq!(
            peer.process(&request(1, EapType::MsChapV2, data.clone())),
            EapOutcome::Failed {
                error: error.clone(),
                response: None
            },
            "{}",
            hex::encode(&data)
        );
        assert!(peer.is_finished());
    }
}

#[test]
fn malformed_success_requests_fail_cleanly() {
    for text in [
        &b"S=407A5589115FD0D6209F510FE9C04566932CDAZZ M=x"[..],
        b"S=407A",
        b"",
        b"M=Welcome",
    ] {
        let mut peer = rfc_peer(PASSWORD);
        let challenge = FakeAuthenticator::new(USER, PASSWORD).challenge_request();
        sent(peer.process(&challenge));
        let data = mschap(3, 0x42, text);
        assert_eq!(
            peer.process(&request(3, EapType::MsChapV2, data)),
            EapOutcome::Failed {
                error: EapError::MalformedAuthenticatorResponse,
                response: None
            }
        );
    }
}

#[test]
fn malformed_eap_packets() {
    let mut peer = rfc_peer(PASSWORD);
    let no_type = EapMessage {
        code: EapCode::Request,
        identifier: 1,
        method: None,
        data: Vec::new(),
    };
    assert_eq!(
        peer.process(&no_type),
        EapOutcome::Failed {
            error: EapError::MissingType(EapCode::Request),
            response: None
        }
    );
    let mut peer = rfc_peer(PASSWORD);
    assert!(matches!(
        peer.process(&request(1, EapType::Nak, vec![26])),
        EapOutcome::Failed {
            error: EapError::NakRequest,
            ..
        }
    ));
    let mut peer = rfc_peer(PASSWORD);
    let response = EapMessage {
        code: EapCode::Response,
        identifier: 1,
        method: Some(EapType::Identity),
        data: Vec::new(),
    };
    assert!(matches!(
        peer.process(&response),
        EapOutcome::Failed {
            error: EapError::UnexpectedCode(EapCode::Response),
            ..
        }
    ));
    let mut peer = rfc_peer(PASSWORD);
    assert!(matches!(
        peer.process(&bare(EapCode::Failure, 1)),
        EapOutcome::Failed {
            error: EapError::AuthenticatorFailure,
            ..
        }
    ));
}

/// A small deterministic generator for the robustness test.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn arbitrary_input_never_panics() {
    let mut rng = XorShift(0x5eed_1234_abcd_0001);
    let good = mschap(1, 1, &[&[16u8][..], &[0x33; 16], b"srv"].concat());
    for round in 0..3000u32 {
        let mut peer = rfc_peer(PASSWORD);
        // Sometimes get the method past its Challenge first.
        if round % 2 == 0 {
            sent(peer.process(&request(200, EapType::MsChapV2, good.clone())));
        }
        let len = usize::try_from(rng.next() % 64).unwrap();
        let mut data: Vec<u8> = (0..len).map(|_| rng.next().to_le_bytes()[0]).collect();
        // Bias towards plausible headers.
        if let Some(first) = data.first_mut() {
            *first %= 8;
        }
        if data.len() >= 4 && rng.next().is_multiple_of(2) {
            let l = u16::try_from(data.len()).unwrap().to_be_bytes();
            data[2] = l[0];
            data[3] = l[1];
        }
        let code = EapCode::from(u8::try_from(rng.next() % 6).unwrap());
        let method = EapType::from(rng.next().to_le_bytes()[0] % 30);
        let message = EapMessage {
            code,
            identifier: rng.next().to_le_bytes()[0],
            method: Some(method),
            data: data.clone(),
        };
        let _ = peer.process(&message);
        let _ = peer.process(&request(201, EapType::MsChapV2, data));
    }
}

#[test]
fn debug_output_has_no_secrets() {
    let mut peer = rfc_peer(PASSWORD);
    let mut server = FakeAuthenticator::new(USER, PASSWORD);
    sent(peer.process(&server.identity_request()));
    let response = sent(peer.process(&server.challenge_request()));
    sent(peer.process(&server.answer_response(&response)));
    let outcome = peer.process(&server.success());
    for text in [format!("{peer:?}"), format!("{outcome:?}")] {
        assert!(!text.contains(PASSWORD), "{text}");
        for secret in [PASSWORD_HASH, &EXPECTED_MSK[..32], &EXPECTED_MSK[32..64]] {
            assert!(!text.to_uppercase().contains(secret), "{text}");
        }
        assert!(!text.contains("68, 235"), "{text}"); // NT hash as decimal bytes
    }
    assert!(format!("{peer:?}").contains("complete"));
}

#[test]
fn credential_limits() {
    let long_name = "u".repeat(257);
    assert_eq!(
        MsChapV2::new(&long_name, "x").unwrap_err(),
        EapError::UserNameTooLong {
            max: 256,
            actual: 257
        }
    );
    let long_password = "p".repeat(257);
    let error = MsChapV2::new("u", &long_password).unwrap_err();
    assert_eq!(error, EapError::PasswordTooLong);
    assert!(!error.to_string().contains("ppp"));
    assert!(MsChapV2::new(&"u".repeat(256), &"p".repeat(256)).is_ok());
    let short_hash = SecretBytes::from_slice(&[0; 15]);
    assert_eq!(
        MsChapV2::from_nt_hash("u", &short_hash, Box::new(FixedPeerChallenge([0; 16])))
            .unwrap_err(),
        EapError::InvalidNtHash
    );
}
