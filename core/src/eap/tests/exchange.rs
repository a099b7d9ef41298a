//! Complete and failing EAP-MSCHAPv2 conversations.

use super::*;

#[test]
fn full_exchange_yields_the_expected_msk() {
    let mut server = FakeAuthenticator::new(USER, PASSWORD);
    let mut peer = rfc_peer(PASSWORD);

    let identity = sent(peer.process(&server.identity_request()));
    server.check_identity(&identity);

    let challenge = server.challenge_request();
    let response = sent(peer.process(&challenge));
    // The whole Response, byte for byte, from the RFC 2759 §9.2 values.
    let mut expected = vec![2, 0x42, 0, 58, 49];
    expected.extend_from_slice(&unhex::<16>(PEER_CHALLENGE));
    expected.extend_from_slice(&[0; 8]);
    expected.extend_from_slice(&unhex::<24>(NT_RESPONSE));
    expected.push(0);
    expected.extend_from_slice(b"User");
    assert_eq!(response.data, expected);

    let success_request = server.answer_response(&response);
    let text = format!("S={AUTHENTICATOR_RESPONSE} M=Welcome2strongSwan");
    assert_eq!(&success_request.data[4..], text.as_bytes());
    let success_response = sent(peer.process(&success_request));
    assert_eq!(success_response.identifier, success_request.identifier);
    assert_eq!(success_response.method, Some(EapType::MsChapV2));
    assert_eq!(success_response.data, vec![3]);
    assert!(!peer.is_finished());

    let EapOutcome::Succeeded { msk } = peer.process(&server.success()) else {
        panic!("EAP-Success refused");
    };
    assert_eq!(hex::encode_upper(msk.as_bytes()), EXPECTED_MSK);
    assert_eq!(Some(&msk), server.msk.as_ref());
    assert!(peer.is_finished());
    // A repeated EAP-Success changes nothing; a later request is refused.
    assert!(matches!(
        peer.process(&server.success()),
        EapOutcome::Succeeded { .. }
    ));
    assert!(matches!(
        peer.process(&server.challenge_request()),
        EapOutcome::Failed {
            error: EapError::ConversationOver,
            response: None
        }
    ));
}

#[test]
fn full_exchange_with_system_random() {
    let mut server = FakeAuthenticator::new("EXAMPLE\\alice", "s3cret pass\u{e9}");
    let mut peer = EapPeer::mschapv2("EXAMPLE\\alice", "s3cret pass\u{e9}").unwrap();
    assert_eq!(peer.method_type(), EapType::MsChapV2);
    server.check_identity(&sent(peer.process(&server.identity_request())));
    let response = sent(peer.process(&server.challenge_request()));
    let success_request = server.answer_response(&response);
    assert_eq!(
        success_request.data[0], 3,
        "the server accepted the NT-Response"
    );
    sent(peer.process(&success_request));
    let EapOutcome::Succeeded { msk } = peer.process(&server.success()) else {
        panic!("EAP-Success refused");
    };
    assert_eq!(msk.len(), 64);
    assert_eq!(Some(&msk), server.msk.as_ref());
}

#[test]
fn wrong_password_is_rejected_without_retry() {
    let mut server = FakeAuthenticator::new(USER, PASSWORD);
    let mut peer = rfc_peer("wrongPass");
    sent(peer.process(&server.identity_request()));
    let response = sent(peer.process(&server.challenge_request()));
    let failure_request = server.answer_response(&response);
    assert_eq!(failure_request.data[0], 4);

    let outcome = peer.process(&failure_request);
    let expected_error = EapError::Rejected {
        code: MsChapV2ErrorCode::AuthenticationFailure,
        retriable: false,
        message: "Authentication failed".to_string(),
    };
    let EapOutcome::Failed {
        error,
        response: Some(failure_response),
    } = outcome.clone()
    else {
        panic!("expected a failure with a Failure-Response, got {outcome:?}");
    };
    assert_eq!(error, expected_error);
    assert_eq!(
        error.to_string(),
        "the server rejected the authentication: wrong user name or password (error 691) \
         (server says: Authentication failed)"
    );
    assert_eq!(failure_response.code, EapCode::Response);
    assert_eq!(failure_response.identifier, failure_request.identifier);
    assert_eq!(failure_response.method, Some(EapType::MsChapV2));
    assert_eq!(failure_response.data, vec![4]);
    assert!(peer.is_finished());

    // A retransmitted Failure-Request gets the same answer (RFC 3748 §4.1).
    assert_eq!(peer.process(&failure_request), outcome);
    // A new Challenge (a retry) is not answered.
    assert_eq!(
        peer.process(&server.challenge_request()),
        EapOutcome::Failed {
            error: expected_error.clone(),
            response: None
        }
    );
    // The final EAP-Failure reports the server's reason.
    assert_eq!(
        peer.process(&server.failure()),
        EapOutcome::Failed {
            error: expected_error,
            response: None
        }
    );
}

#[test]
fn retriable_failure_is_not_retried() {
    let mut peer = rfc_peer(PASSWORD);
    let challenge = FakeAuthenticator::new(USER, PASSWORD).challenge_request();
    sent(peer.process(&challenge));
    let data = mschap(4, 1, b"E=648 R=1 C=00112233445566778899AABBCCDDEEFF V=3");
    let outcome = peer.process(&request(9, EapType::MsChapV2, data));
    assert!(matches!(
        outcome,
        EapOutcome::Failed {
            error: EapError::Rejected {
                code: MsChapV2ErrorCode::PasswordExpired,
                retriable: true,
                ..
            },
            response: Some(_),
        }
    ));
    // The new challenge of C= is not used: nothing more is sent.
    let challenge = mschap(1, 2, &[&[16u8][..], &[0x33; 16]].concat());
    assert!(matches!(
        peer.process(&request(10, EapType::MsChapV2, challenge)),
        EapOutcome::Failed { response: None, .. }
    ));
}

#[test]
fn forged_success_request_is_an_attack() {
    let mut server = FakeAuthenticator::new(USER, PASSWORD);
    let mut peer = rfc_peer(PASSWORD);
    sent(peer.process(&server.identity_request()));
    sent(peer.process(&server.challenge_request()));
    // Well-formed, but not the value derived from the password.
    let mut forged = AUTHENTICATOR_RESPONSE.to_string();
    forged.replace_range(39..40, "7");
    let text = format!("S={forged} M=Welcome2strongSwan");
    let data = mschap(3, 0x42, text.as_bytes());
    assert_eq!(
        peer.process(&request(3, EapType::MsChapV2, data)),
        EapOutcome::Failed {
            error: EapError::ServerNotAuthenticated,
            response: None
        }
    );
    // The following EAP-Success does not produce an MSK.
    assert!(matches!(
        peer.process(&server.success()),
        EapOutcome::Failed {
            error: EapError::ServerNotAuthenticated,
            ..
        }
    ));
}

#[test]
fn success_request_from_a_server_with_another_password() {
    // A server that has the wrong password for us computes a different
    // authenticator response even though it accepts our NT-Response.
    let mut peer = rfc_peer(PASSWORD);
    let mut server = FakeAuthenticator::new(USER, PASSWORD);
    sent(peer.process(&server.identity_request()));
    let response = sent(peer.process(&server.challenge_request()));
    server.nt_hash = *crypto::nt_password_hash("otherPass");
    let peer_challenge: [u8; 16] = response.data[5..21].try_into().unwrap();
    let nt_response: [u8; 24] = response.data[29..53].try_into().unwrap();
    let auth = crypto::generate_authenticator_response(
        &server.nt_hash,
        &nt_response,
        &peer_challenge,
        &server.challenge,
        USER.as_bytes(),
    );
    let text = format!("S={}", hex::encode_upper(auth.as_slice()));
    let data = mschap(3, 0x42, text.as_bytes());
    assert!(matches!(
        peer.process(&request(3, EapType::MsChapV2, data)),
        EapOutcome::Failed {
            error: EapError::ServerNotAuthenticated,
            ..
        }
    ));
}

#[test]
fn early_success_is_refused() {
    // Right after the identity.
    let server = FakeAuthenticator::new(USER, PASSWORD);
    let mut peer = rfc_peer(PASSWORD);
    sent(peer.process(&server.identity_request()));
    assert_eq!(
        peer.process(&server.success()),
        EapOutcome::Failed {
            error: EapError::SuccessBeforeCompletion,
            response: None
        }
    );

    // After the Response, before the Success-Request was verified.
    let mut server = FakeAuthenticator::new(USER, PASSWORD);
    let mut peer = rfc_peer(PASSWORD);
    sent(peer.process(&server.identity_request()));
    let challenge = server.challenge_request();
    sent(peer.process(&challenge));
    assert!(matches!(
        peer.process(&server.success()),
        EapOutcome::Failed {
            error: EapError::SuccessBeforeCompletion,
            ..
        }
    ));
    // Nothing more is answered, not even the old Challenge again.
    assert!(matches!(
        peer.process(&challenge),
        EapOutcome::Failed { response: None, .. }
    ));
    assert!(peer.is_finished());

    // With no EAP exchange at all.
    let mut peer = rfc_peer(PASSWORD);
    assert!(matches!(
        peer.process(&bare(EapCode::Success, 0)),
        EapOutcome::Failed {
            error: EapError::SuccessBeforeCompletion,
            ..
        }
    ));
}

#[test]
fn other_methods_get_a_nak() {
    let mut peer = rfc_peer(PASSWORD);
    for (id, ty) in [
        (1u8, EapType::Md5Challenge),
        (2, EapType::Tls),
        (3, EapType::Gtc),
        (4, EapType::Unknown(0)),
        (5, EapType::Unknown(200)),
    ] {
        let nak = sent(peer.process(&request(id, ty, vec![1, 2, 3])));
        assert_eq!(nak.code, EapCode::Response);
        assert_eq!(nak.identifier, id);
        assert_eq!(nak.method, Some(EapType::Nak));
        assert_eq!(nak.data, vec![26], "{ty}");
    }
    // Expanded Type: an Expanded Nak naming IETF type 26.
    let nak = sent(peer.process(&request(
        6,
        EapType::Unknown(254),
        vec![0, 0, 0, 0, 0, 0, 4],
    )));
    assert_eq!(nak.method, Some(EapType::Unknown(254)));
    assert_eq!(
        nak.data,
        vec![0, 0, 0, 0, 0, 0, 3, 254, 0, 0, 0, 0, 0, 0, 26]
    );
    // Our method is still available afterwards.
    let challenge = mschap(1, 1, &[&[16u8][..], &[0x33; 16]].concat());
    let response = sent(peer.process(&request(7, EapType::MsChapV2, challenge)));
    assert_eq!(response.data[0], 2);
    // Once it has started, switching methods is refused.
    assert_eq!(
        peer.process(&request(8, EapType::Md5Challenge, vec![1])),
        EapOutcome::Failed {
            error: EapError::MethodSwitch {
                expected: EapType::MsChapV2,
                received: EapType::Md5Challenge
            },
            response: None
        }
    );
}

#[test]
fn notification_is_acknowledged() {
    let mut peer = rfc_peer(PASSWORD);
    let ack = sent(peer.process(&request(
        5,
        EapType::Notification,
        b"Password expires in 3 days\n".to_vec(),
    )));
    assert_eq!(ack.method, Some(EapType::Notification));
    assert_eq!(ack.identifier, 5);
    assert!(ack.data.is_empty());
    assert_eq!(
        peer.last_notification(),
        Some("Password expires in 3 days?")
    );
}

/// Hands out a different Peer-Challenge each time and counts the calls.
#[derive(Debug)]
struct CountingChallenges(u8);

impl PeerChallengeSource for CountingChallenges {
    fn peer_challenge(&mut self) -> Result<[u8; CHALLENGE_LEN], EapError> {
        self.0 = self.0.wrapping_add(1);
        Ok([self.0; CHALLENGE_LEN])
    }
}

#[test]
fn duplicate_requests_get_the_same_response() {
    let method =
        MsChapV2::with_challenge_source(USER, PASSWORD, Box::new(CountingChallenges(0))).unwrap();
    let mut peer = EapPeer::new(USER, Box::new(method)).unwrap();
    let mut server = FakeAuthenticator::new(USER, PASSWORD);
    let identity_request = server.identity_request();
    let first = peer.process(&identity_request);
    assert_eq!(peer.process(&identity_request), first);

    let challenge = server.challenge_request();
    let first = peer.process(&challenge);
    // Not processed again: a second Peer-Challenge would change the bytes.
    let again = peer.process(&challenge);
    assert_eq!(again, first);
    let response = sent(again);
    assert_eq!(&response.data[5..21], &[1; 16]);

    let success_request = server.answer_response(&response);
    let first = peer.process(&success_request);
    assert_eq!(peer.process(&success_request), first);
    assert!(matches!(
        peer.process(&server.success()),
        EapOutcome::Succeeded { .. }
    ));
}

#[test]
fn stored_nt_hash_works_like_the_password() {
    let hash = SecretBytes::from_slice(&unhex::<16>(PASSWORD_HASH));
    let method = MsChapV2::from_nt_hash(
        USER,
        &hash,
        Box::new(FixedPeerChallenge(unhex(PEER_CHALLENGE))),
    )
    .unwrap();
    let mut peer = EapPeer::new(USER, Box::new(method)).unwrap();
    let mut server = FakeAuthenticator::new(USER, PASSWORD);
    sent(peer.process(&server.identity_request()));
    let response = sent(peer.process(&server.challenge_request()));
    sent(peer.process(&server.answer_response(&response)));
    let EapOutcome::Succeeded { msk } = peer.process(&server.success()) else {
        panic!("EAP-Success refused");
    };
    assert_eq!(hex::encode_upper(msk.as_bytes()), EXPECTED_MSK);
}
