//! HMAC-SHA2 as PRF (RFC 4231) and as truncated integrity transform
//! (RFC 4231 test case 5, RFC 4868 §2.7.2).

use super::h;
use crate::crypto::{CryptoError, Integrity, Prf};

const CASE7_DATA: &[u8] = b"This is a test using a larger than block-size key and a larger \
than block-size data. The key needs to be hashed before being used by the HMAC algorithm.";

/// RFC 4231 §4.2-§4.8 inputs: (key, data) for test cases 1-7.
fn rfc4231_inputs() -> Vec<(Vec<u8>, Vec<u8>)> {
    vec![
        (vec![0x0b; 20], b"Hi There".to_vec()),
        (b"Jefe".to_vec(), b"what do ya want for nothing?".to_vec()),
        (vec![0xaa; 20], vec![0xdd; 50]),
        (
            h("0102030405060708090a0b0c0d0e0f10111213141516171819"),
            vec![0xcd; 50],
        ),
        (vec![0x0c; 20], b"Test With Truncation".to_vec()),
        (
            vec![0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
        ),
        (vec![0xaa; 131], CASE7_DATA.to_vec()),
    ]
}

/// RFC 4231 outputs for test cases 1-4, 6 and 7 (case 5 is only published
/// truncated to 128 bits, see `rfc4231_case5_truncated`).
const RFC4231_SHA256: [&str; 6] = [
    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
];

const RFC4231_SHA384: [&str; 6] = [
    "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c\
     faea9ea9076ede7f4af152e8b2fa9cb6",
    "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e\
     8e2240ca5e69e2c78b3239ecfab21649",
    "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b\
     2a5ab39dc13814b94e3ab6e101a34f27",
    "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e\
     6801dd23c4a7d679ccf8a386c674cffb",
    "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6\
     0c2ef6ab4030fe8296248df163f44952",
    "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5\
     a678cc31e799176d3860e6110c46523e",
];

const RFC4231_SHA512: [&str; 6] = [
    "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde\
     daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
     9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39\
     bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
    "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db\
     a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
    "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352\
     6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
    "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944\
     b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
];

#[test]
fn rfc4231_full_outputs() {
    let inputs = rfc4231_inputs();
    let cases = [0usize, 1, 2, 3, 5, 6];
    for (prf, expected) in [
        (Prf::HmacSha256, RFC4231_SHA256),
        (Prf::HmacSha384, RFC4231_SHA384),
        (Prf::HmacSha512, RFC4231_SHA512),
    ] {
        for (case, want) in cases.iter().zip(expected) {
            let (key, data) = &inputs[*case];
            let out = prf.compute(key, data);
            assert_eq!(
                out.as_bytes(),
                h(want).as_slice(),
                "{prf:?} RFC 4231 case {}",
                case + 1
            );
            assert_eq!(out.len(), prf.output_len());
            // The split-input form gives the same answer.
            let (a, b) = data.split_at(data.len() / 2);
            assert_eq!(prf.compute_parts(key, &[a, b]), out);
        }
    }
}

/// RFC 4231 §4.6 (test case 5): outputs truncated to 128 bits.
#[test]
fn rfc4231_case5_truncated() {
    let (key, data) = &rfc4231_inputs()[4];
    for (prf, want) in [
        (Prf::HmacSha256, "a3b6167473100ee06e0c796c2955552b"),
        (Prf::HmacSha384, "3abf34c3503b2a23a46efc619baef897"),
        (Prf::HmacSha512, "415fad6271580a531d4179bc891d87a6"),
    ] {
        assert_eq!(
            &prf.compute(key, data).as_bytes()[..16],
            h(want).as_slice(),
            "{prf:?}"
        );
    }
    // AUTH_HMAC_SHA2_256_128 is exactly this truncation.
    let icv = Integrity::HmacSha256_128.compute(key, &[data]).unwrap();
    assert_eq!(icv, h("a3b6167473100ee06e0c796c2955552b"));
}

/// RFC 4868 §2.7.2.1-§2.7.2.3 authentication test cases 1-3 (keys of the
/// full hash length; the 4-byte "Jefe" key is repeated to that length).
/// Transcribed from strongSwan's sha2_hmac.c test vectors, which reproduce
/// RFC 4868; the SHA-256 values match other published copies.
#[test]
fn rfc4868_truncated_icvs() {
    let cases: [(Integrity, usize, [&str; 3]); 3] = [
        (
            Integrity::HmacSha256_128,
            32,
            [
                "198a607eb44bfbc69903a0f1cf2bbdc5",
                "167f928588c5cc2eef8e3093caa0e87c",
                "cdcb1220d1ecccea91e53aba3092f962",
            ],
        ),
        (
            Integrity::HmacSha384_192,
            48,
            [
                "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973",
                "2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d",
                "809f439be00274321d4a538652164b53554a508184a0c316",
            ],
        ),
        (
            Integrity::HmacSha512_256,
            64,
            [
                "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8",
                "cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454",
                "2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8",
            ],
        ),
    ];
    for (integ, key_len, icvs) in cases {
        assert_eq!(integ.key_len(), key_len);
        assert_eq!(integ.icv_len(), key_len / 2);
        let inputs: [(Vec<u8>, Vec<u8>); 3] = [
            (vec![0x0b; key_len], b"Hi There".to_vec()),
            (
                b"Jefe".repeat(key_len / 4),
                b"what do ya want for nothing?".to_vec(),
            ),
            (vec![0xaa; key_len], vec![0xdd; 50]),
        ];
        for ((key, data), want) in inputs.iter().zip(icvs) {
            let want = h(want);
            assert_eq!(integ.compute(key, &[data]).unwrap(), want, "{integ:?}");
            integ.verify(key, &[data], &want).unwrap();
            // A flipped bit, a truncated ICV and a wrong key all fail.
            let mut bad = want.clone();
            bad[0] ^= 1;
            assert_eq!(
                integ.verify(key, &[data], &bad),
                Err(CryptoError::IntegrityCheckFailed)
            );
            assert_eq!(
                integ.verify(key, &[data], &want[..want.len() - 1]),
                Err(CryptoError::IntegrityCheckFailed)
            );
            assert_eq!(
                integ.verify(&[0u8; 8], &[data], &want),
                Err(CryptoError::IntegrityCheckFailed)
            );
        }
    }
}

#[test]
fn transform_ids() {
    for (id, prf) in [
        (5, Prf::HmacSha256),
        (6, Prf::HmacSha384),
        (7, Prf::HmacSha512),
    ] {
        assert_eq!(Prf::from_iana(id), Some(prf));
        assert_eq!(prf.iana_id(), id);
        assert_eq!(prf.key_len(), prf.output_len());
    }
    for id in [0, 1, 2, 3, 4, 8, 9, 0xffff] {
        assert_eq!(Prf::from_iana(id), None);
    }
    for (id, integ) in [
        (12, Integrity::HmacSha256_128),
        (13, Integrity::HmacSha384_192),
        (14, Integrity::HmacSha512_256),
    ] {
        assert_eq!(Integrity::from_iana(id), Some(integ));
        assert_eq!(integ.iana_id(), id);
    }
    for id in [0, 1, 2, 5, 11, 15] {
        assert_eq!(Integrity::from_iana(id), None);
    }
}

#[test]
fn prf_plus_length_limit() {
    // RFC 7296 §2.13: prf+ is undefined past 255 blocks.
    for prf in [Prf::HmacSha256, Prf::HmacSha384, Prf::HmacSha512] {
        let max = 255 * prf.output_len();
        let out = prf.prf_plus(b"key", b"seed", max).unwrap();
        assert_eq!(out.len(), max);
        assert_eq!(
            prf.prf_plus(b"key", b"seed", max + 1),
            Err(CryptoError::PrfPlusTooLong {
                requested: max + 1,
                max
            })
        );
        assert!(prf.prf_plus(b"key", b"seed", 0).unwrap().is_empty());
        // Shorter outputs are prefixes of longer ones.
        let short = prf.prf_plus(b"key", b"seed", prf.output_len() + 3).unwrap();
        assert_eq!(short.as_bytes(), &out.as_bytes()[..short.len()]);
        // The first block is prf(K, S | 0x01).
        assert_eq!(
            &out.as_bytes()[..prf.output_len()],
            prf.compute(b"key", b"seed\x01").as_bytes()
        );
    }
}

#[test]
fn secret_debug_shows_only_the_length() {
    let secret = Prf::HmacSha256.compute(b"k", b"d");
    assert_eq!(format!("{secret:?}"), "SecretBytes(32 bytes)");
}
