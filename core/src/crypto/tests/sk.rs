//! The Encrypted payload framing (RFC 7296 §3.14, RFC 5282, RFC 7634).

use ring::aead::Aad;

use super::h;
use crate::crypto::sk::{aead_key, aead_nonce, cbc_encrypt};
use crate::crypto::{CryptoError, DhGroup, Encryption, IkeSuite, Integrity, Prf, SkCipher};

fn suite(encryption: Encryption, integrity: Option<Integrity>) -> IkeSuite {
    IkeSuite {
        encryption,
        integrity,
        prf: Prf::HmacSha256,
        dh: DhGroup::Curve25519,
    }
}

fn all_suites() -> Vec<IkeSuite> {
    let mut suites = Vec::new();
    for key_bits in [128, 192, 256] {
        for integ in [
            Integrity::HmacSha256_128,
            Integrity::HmacSha384_192,
            Integrity::HmacSha512_256,
        ] {
            suites.push(suite(Encryption::AesCbc { key_bits }, Some(integ)));
        }
    }
    suites.push(suite(Encryption::AesGcm16 { key_bits: 128 }, None));
    suites.push(suite(Encryption::AesGcm16 { key_bits: 256 }, None));
    suites.push(suite(Encryption::ChaCha20Poly1305, None));
    suites
}

/// Direction keys of the right lengths for `suite` (distinct per byte).
fn keys(suite: &IkeSuite) -> (Vec<u8>, Vec<u8>) {
    let sk_e = (0u8..).take(suite.encr_keymat_len()).collect();
    let sk_a = (0x80u8..).take(suite.integ_key_len()).collect();
    (sk_e, sk_a)
}

/// RFC 7634 Appendix B: an INFORMATIONAL request whose Encrypted payload
/// carries one Notify payload, protected with ChaCha20-Poly1305. The AAD is
/// the IKE header (length 0x45 = 69) and the Encrypted payload header
/// (length 0x29 = 41); the Notify payload is 12 bytes and the Pad Length is
/// zero.
#[test]
fn rfc7634_appendix_b_ikev2_example() {
    let suite = suite(Encryption::ChaCha20Poly1305, None);
    let sk_e = h("80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f
                  90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f
                  a0 a1 a2 a3");
    let iv = h("10 11 12 13 14 15 16 17");
    let aad = h("c0 c1 c2 c3 c4 c5 c6 c7 d0 d1 d2 d3 d4 d5 d6 d7
                 2e 20 25 00 00 00 00 09 00 00 00 45 29 00 00 29");
    let notify = h("00 00 00 0c 00 00 40 01 00 00 00 0a");
    let expected_ct = h("61 03 94 70 1f 8d 01 7f 7c 12 92 48 89");
    let expected_icv = h("6b 71 bf e2 52 36 ef d7 cd c6 70 66 90 63 15 b2");

    let cipher = SkCipher::new(&suite, &sk_e, &[]).unwrap();
    assert_eq!((cipher.iv_len(), cipher.icv_len()), (8, 16));
    let sealed_len = cipher.sealed_len(notify.len());
    // The lengths in the AAD are consistent with the sealed body.
    assert_eq!(aad.len() + sealed_len, 0x45);
    assert_eq!(4 + sealed_len, 0x29);

    let body = cipher.seal_with_iv(&aad, &notify, &iv).unwrap();
    assert_eq!(body, [iv.clone(), expected_ct, expected_icv].concat());
    assert_eq!(body.len(), sealed_len);
    assert_eq!(cipher.open(&aad, &body).unwrap(), notify);
}

#[test]
fn round_trips_for_every_suite() {
    let aad = h("0011223344556677 8899aabbccddeeff 2e202508 00000001 00000000 2e000000");
    for suite in all_suites() {
        let (sk_e, sk_a) = keys(&suite);
        let mut sender = SkCipher::new(&suite, &sk_e, &sk_a).unwrap();
        let receiver = SkCipher::new(&suite, &sk_e, &sk_a).unwrap();
        assert_eq!(sender.icv_len(), suite.icv_len());
        assert_eq!(sender.iv_len(), suite.encryption.iv_len());
        let mut ivs = Vec::new();
        for len in 0..40 {
            let plaintext: Vec<u8> = (0u8..).take(len).map(|i| i.wrapping_mul(7)).collect();
            let body = sender.seal(&aad, &plaintext).unwrap();
            assert_eq!(body.len(), sender.sealed_len(len), "{suite:?} len {len}");
            let ct_len = body.len() - sender.iv_len() - sender.icv_len();
            // Minimum padding: one Pad Length byte, rounded up to the block.
            let block = suite.encryption.block_size();
            assert_eq!(ct_len % block, 0);
            assert!(ct_len > len && ct_len <= len + block, "{suite:?} len {len}");
            assert_eq!(receiver.open(&aad, &body).unwrap(), plaintext, "{suite:?}");
            ivs.push(body[..sender.iv_len()].to_vec());
        }
        ivs.sort();
        ivs.dedup();
        assert_eq!(ivs.len(), 40, "IVs repeat for {suite:?}");
    }
}

#[test]
fn aead_ivs_are_a_counter() {
    let suite = suite(Encryption::AesGcm16 { key_bits: 128 }, None);
    let (sk_e, _) = keys(&suite);
    let mut cipher = SkCipher::new(&suite, &sk_e, &[]).unwrap();
    let first = cipher.seal(b"", b"a").unwrap();
    let second = cipher.seal(b"", b"a").unwrap();
    let iv = |body: &[u8]| u64::from_be_bytes(body[..8].try_into().unwrap());
    assert_eq!(iv(&second), iv(&first).wrapping_add(1));
}

/// The CBC body is IV | AES-CBC(plaintext | zero padding | pad length) |
/// truncated HMAC over aad | IV | ciphertext (RFC 7296 §3.14).
#[test]
fn cbc_body_layout() {
    for integ in [
        Integrity::HmacSha256_128,
        Integrity::HmacSha384_192,
        Integrity::HmacSha512_256,
    ] {
        let suite = suite(Encryption::AesCbc { key_bits: 256 }, Some(integ));
        let (sk_e, sk_a) = keys(&suite);
        let cipher = SkCipher::new(&suite, &sk_e, &sk_a).unwrap();
        let iv = h("000102030405060708090a0b0c0d0e0f");
        let aad = b"header bytes";
        let plaintext = b"twenty bytes of data";
        let body = cipher.seal_with_iv(aad, plaintext, &iv).unwrap();

        let mut expected_ct = plaintext.to_vec();
        expected_ct.extend_from_slice(&[0; 11]);
        expected_ct.push(11);
        cbc_encrypt(&sk_e, &iv, &mut expected_ct).unwrap();
        let covered = [iv.as_slice(), &expected_ct].concat();
        let icv = integ.compute(&sk_a, &[aad, &covered]).unwrap();
        assert_eq!(body, [covered, icv].concat());
    }
}

#[test]
fn tampering_is_detected() {
    let aad = b"the IKE header and SK header";
    for suite in all_suites() {
        let (sk_e, sk_a) = keys(&suite);
        let mut cipher = SkCipher::new(&suite, &sk_e, &sk_a).unwrap();
        let body = cipher.seal(aad, b"inner payloads").unwrap();
        for i in 0..body.len() {
            let mut bad = body.clone();
            bad[i] ^= 0x01;
            assert_eq!(
                cipher.open(aad, &bad),
                Err(CryptoError::IntegrityCheckFailed),
                "{suite:?} byte {i}"
            );
        }
        let mut bad_aad = aad.to_vec();
        bad_aad[0] ^= 0x01;
        assert_eq!(
            cipher.open(&bad_aad, &body),
            Err(CryptoError::IntegrityCheckFailed)
        );
        // A cipher with other keys refuses the body too.
        let other = SkCipher::new(&suite, &vec![0x55; sk_e.len()], &vec![0x66; sk_a.len()]);
        assert_eq!(
            other.unwrap().open(aad, &body),
            Err(CryptoError::IntegrityCheckFailed)
        );
    }
}

#[test]
fn short_and_misaligned_bodies_are_refused() {
    for suite in all_suites() {
        let (sk_e, sk_a) = keys(&suite);
        let cipher = SkCipher::new(&suite, &sk_e, &sk_a).unwrap();
        let min = cipher.iv_len() + suite.encryption.block_size() + cipher.icv_len();
        for len in 0..min {
            assert_eq!(
                cipher.open(b"", &vec![0; len]),
                Err(CryptoError::BodyTooShort { min, actual: len }),
                "{suite:?}"
            );
        }
        if !suite.encryption.is_aead() {
            // A ciphertext of 17 or 31 bytes is not a whole number of blocks.
            for ct_len in [17, 31] {
                let body = vec![0; cipher.iv_len() + ct_len + cipher.icv_len()];
                assert_eq!(
                    cipher.open(b"", &body),
                    Err(CryptoError::BadBlockAlignment(ct_len))
                );
            }
        }
    }
}

/// A correctly authenticated body whose Pad Length points before the start
/// of the data is refused.
#[test]
fn oversized_pad_length_is_refused() {
    let aad = b"aad";
    // AEAD: encrypt `01 02 ff` directly, bypassing `seal`'s padding.
    for encryption in [
        Encryption::AesGcm16 { key_bits: 256 },
        Encryption::ChaCha20Poly1305,
    ] {
        let suite = suite(encryption, None);
        let (sk_e, _) = keys(&suite);
        let cipher = SkCipher::new(&suite, &sk_e, &[]).unwrap();
        let (key, salt) = sk_e.split_at(encryption.key_len());
        let iv = [9u8; 8];
        let nonce = aead_nonce(&salt.try_into().unwrap(), &iv).unwrap();
        let mut buf = vec![0x01, 0x02, 0xff];
        let key = aead_key(encryption, key).unwrap();
        key.seal_in_place_append_tag(nonce, Aad::from(aad), &mut buf)
            .unwrap();
        let body = [iv.as_slice(), &buf].concat();
        assert_eq!(
            cipher.open(aad, &body),
            Err(CryptoError::InvalidPadding {
                pad_len: 0xff,
                available: 2
            })
        );
    }
    // CBC: one block ending in 0x10 (16 pad bytes before it would be needed).
    let suite = suite(
        Encryption::AesCbc { key_bits: 128 },
        Some(Integrity::HmacSha256_128),
    );
    let (sk_e, sk_a) = keys(&suite);
    let cipher = SkCipher::new(&suite, &sk_e, &sk_a).unwrap();
    let iv = [3u8; 16];
    let mut block = [0u8; 16];
    block[15] = 0x10;
    cbc_encrypt(&sk_e, &iv, &mut block).unwrap();
    let covered = [iv.as_slice(), &block].concat();
    let icv = Integrity::HmacSha256_128
        .compute(&sk_a, &[aad, &covered])
        .unwrap();
    let body = [covered, icv].concat();
    assert_eq!(
        cipher.open(aad, &body),
        Err(CryptoError::InvalidPadding {
            pad_len: 0x10,
            available: 15
        })
    );
    // The largest valid Pad Length (everything before it is padding) yields
    // an empty payload chain.
    let mut block = [0u8; 16];
    block[15] = 0x0f;
    cbc_encrypt(&sk_e, &iv, &mut block).unwrap();
    let covered = [iv.as_slice(), &block].concat();
    let icv = Integrity::HmacSha256_128
        .compute(&sk_a, &[aad, &covered])
        .unwrap();
    assert_eq!(
        cipher.open(aad, &[covered, icv].concat()).unwrap(),
        Vec::<u8>::new()
    );
}

#[test]
fn wrong_key_and_iv_lengths_are_refused() {
    for suite in all_suites() {
        let (sk_e, sk_a) = keys(&suite);
        assert!(matches!(
            SkCipher::new(&suite, &sk_e[1..], &sk_a),
            Err(CryptoError::InvalidKeyLength { what: "SK_e", .. })
        ));
        assert!(matches!(
            SkCipher::new(&suite, &sk_e, &[sk_a.as_slice(), &[0]].concat()),
            Err(CryptoError::InvalidKeyLength { what: "SK_a", .. })
        ));
        let cipher = SkCipher::new(&suite, &sk_e, &sk_a).unwrap();
        let iv = vec![0; cipher.iv_len() + 1];
        assert_eq!(
            cipher.seal_with_iv(b"", b"x", &iv),
            Err(CryptoError::InvalidIvLength {
                expected: cipher.iv_len(),
                actual: iv.len()
            })
        );
    }
}

#[test]
fn invalid_suites_are_refused() {
    let (sk_e, sk_a) = (vec![0; 36], vec![0; 32]);
    let cases = [
        (
            suite(Encryption::AesGcm16 { key_bits: 192 }, None),
            CryptoError::Aes192GcmUnsupported,
        ),
        (
            suite(Encryption::AesGcm16 { key_bits: 100 }, None),
            CryptoError::UnsupportedKeySize {
                algorithm: "AES-GCM-16",
                key_bits: 100,
            },
        ),
        (
            suite(
                Encryption::AesCbc { key_bits: 512 },
                Some(Integrity::HmacSha256_128),
            ),
            CryptoError::UnsupportedKeySize {
                algorithm: "AES-CBC",
                key_bits: 512,
            },
        ),
        (
            suite(
                Encryption::ChaCha20Poly1305,
                Some(Integrity::HmacSha256_128),
            ),
            CryptoError::AeadWithIntegrity,
        ),
        (
            suite(Encryption::AesCbc { key_bits: 128 }, None),
            CryptoError::MissingIntegrity,
        ),
    ];
    for (suite, err) in cases {
        assert_eq!(suite.validate(), Err(err.clone()));
        assert_eq!(SkCipher::new(&suite, &sk_e, &sk_a).unwrap_err(), err);
    }
    assert!(CryptoError::Aes192GcmUnsupported
        .to_string()
        .contains("ring"));
}

#[test]
fn encryption_transform_ids() {
    assert_eq!(
        Encryption::from_iana(12, Some(128)),
        Some(Encryption::AesCbc { key_bits: 128 })
    );
    assert_eq!(
        Encryption::from_iana(20, Some(256)),
        Some(Encryption::AesGcm16 { key_bits: 256 })
    );
    assert_eq!(
        Encryption::from_iana(28, None),
        Some(Encryption::ChaCha20Poly1305)
    );
    assert_eq!(
        Encryption::from_iana(28, Some(256)),
        Some(Encryption::ChaCha20Poly1305)
    );
    assert_eq!(Encryption::from_iana(28, Some(128)), None);
    assert_eq!(Encryption::from_iana(12, None), None);
    assert_eq!(Encryption::from_iana(20, None), None);
    assert_eq!(Encryption::from_iana(3, Some(128)), None);
    for (enc, id, keymat, iv, aead) in [
        (Encryption::AesCbc { key_bits: 192 }, 12, 24, 16, false),
        (Encryption::AesGcm16 { key_bits: 128 }, 20, 20, 8, true),
        (Encryption::AesGcm16 { key_bits: 256 }, 20, 36, 8, true),
        (Encryption::ChaCha20Poly1305, 28, 36, 8, true),
    ] {
        assert_eq!(enc.iana_id(), id);
        assert_eq!(enc.keymat_len(), keymat);
        assert_eq!(enc.iv_len(), iv);
        assert_eq!(enc.is_aead(), aead);
        assert_eq!(
            Encryption::from_iana(id, enc.key_length_attribute()),
            Some(enc)
        );
    }
}

#[test]
fn debug_output_hides_keys() {
    let suite = suite(
        Encryption::AesCbc { key_bits: 128 },
        Some(Integrity::HmacSha256_128),
    );
    let cipher = SkCipher::new(&suite, &[0xab; 16], &[0xcd; 32]).unwrap();
    let shown = format!("{cipher:?}");
    assert!(shown.contains("AesCbc") && !shown.contains("171") && !shown.contains("ab"));
}
