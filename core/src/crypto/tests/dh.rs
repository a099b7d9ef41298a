//! Key exchange: X25519 (RFC 7748, RFC 8031), ECP (RFC 5903), MODP-2048
//! (RFC 3526), and peer value validation (RFC 6989).

use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::{Encoding, U2048};

use super::h;
use crate::crypto::modp::{MODP_2048_G, MODP_2048_P};
use crate::crypto::{CryptoError, DhGroup, KeyExchange};

/// Runs one side of a published exchange: our public value from the fixed
/// private key, then the shared secret with the peer's public value.
fn check_side(group: DhGroup, private: &str, public: &str, peer: &str, shared: &str) {
    let ke = KeyExchange::from_private_for_test(group, &h(private)).unwrap();
    assert_eq!(ke.group(), group);
    assert_eq!(
        ke.public_key(),
        h(public).as_slice(),
        "{group:?} public value"
    );
    let secret = ke.agree(&h(peer)).unwrap();
    assert_eq!(
        secret.as_bytes(),
        h(shared).as_slice(),
        "{group:?} shared secret"
    );
    assert_eq!(secret.len(), group.shared_secret_len());
}

/// RFC 7748 §6.1 (Alice and Bob).
#[test]
fn x25519_rfc7748() {
    let alice = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    let alice_pub = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    let bob = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    let bob_pub = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    check_side(DhGroup::Curve25519, alice, alice_pub, bob_pub, shared);
    check_side(DhGroup::Curve25519, bob, bob_pub, alice_pub, shared);
}

/// RFC 5903 §8.1, 256-bit random ECP group: the KE data is gix | giy and the
/// shared secret is girx.
#[test]
fn ecp256_rfc5903() {
    let i = "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433";
    let gi = "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180
              5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3";
    let r = "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53";
    let gr = "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63
              56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB";
    let girx = "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE";
    check_side(DhGroup::Ecp256, i, gi, gr, girx);
    check_side(DhGroup::Ecp256, r, gr, gi, girx);
}

/// RFC 5903 §8.2, 384-bit random ECP group.
#[test]
fn ecp384_rfc5903() {
    let i = "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655
             E35B5380 41E649EE 3FAEF896 783AB194";
    let gi = "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6
              DE3AC808 ACB4BDB4 C88732AE E95F41AA
              9482ED1F C0EEB9CA FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E
              EB9FCFF3 C2C947DA E69B4C63 4573A81C";
    let r = "41CB0779 B4BDB85D 47846725 FBEC3C94 30FAB46C C8DC5060 855CC9BD A0AA2942
             E0308312 916B8ED2 960E4BD5 5A7448FC";
    let gr = "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D
              0D1AC43A 0336DEF9 6FDA41D0 774A3571
              DCFBEC7A ACF31964 72169E83 8430367F 66EEBE3C 6E70C416 DD5F0C68 759DD1FF
              F83FA401 42209DFF 5EAAD96D B9E6386C";
    let girx = "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4
                D6031355 69B9E9D0 9CF5D4A2 70F59746";
    check_side(DhGroup::Ecp384, i, gi, gr, girx);
    check_side(DhGroup::Ecp384, r, gr, gi, girx);
}

/// RFC 3526 §3: the 2048-bit MODP group's prime, as printed in the RFC, and
/// generator 2.
const RFC3526_GROUP14_P: &str = "
    FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1
    29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD
    EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245
    E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
    EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D
    C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F
    83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D
    670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B
    E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9
    DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510
    15728E5A 8AACAA68 FFFFFFFF FFFFFFFF";

#[test]
fn modp2048_group_parameters() {
    assert_eq!(MODP_2048_P.to_be_bytes().to_vec(), h(RFC3526_GROUP14_P));
    assert_eq!(MODP_2048_G, U2048::from_u8(2));
    // p is a safe prime and 2 generates the subgroup of prime order
    // q = (p-1)/2 (p = 7 mod 8): Fermat's little theorem for base 2 and
    // 2^q = 1 mod p both hold.
    let params = DynResidueParams::new(&MODP_2048_P);
    let two = DynResidue::new(&MODP_2048_G, params);
    let p_minus_1 = MODP_2048_P.wrapping_sub(&U2048::ONE);
    assert_eq!(two.pow(&p_minus_1).retrieve(), U2048::ONE);
    assert_eq!(two.pow(&p_minus_1.shr_vartime(1)).retrieve(), U2048::ONE);
}

// strongSwan src/libstrongswan/plugins/test_vectors/test_vectors/modp.c,
// `modp2048`: its RNG seed holds the two 384-bit private exponents
// (initiator then responder); strongSwan notes it generated these vectors
// itself since none were published. Both public values and the shared
// secret are 256 bytes.
const MODP_XI: &str = "af3bfd3862caa11774ce2b74840807c1de5cd6a7619bb3a0c7af39eedaa6eb89\
    e2e9c144b3625b2731879cb58fa3766d";
const MODP_XR: &str = "77a48e4772e23e284ce4af81399dcd589beb7cefbcc9d196f06dcfdfc3a88e3b\
    4c1c82befec0e64ba495ccde329936ce";
const MODP_PUB_I: &str = "1a27c5a7237ae8fe0a71c0af6494faeccdd4a5031d47a1a6b7162dfcdf03bb17\
    b7bb089bd652a5f31b3661bb114d7c48d83d244f46db64870c9c8327f1a830ab\
    f531e518dd521a2e94e7061e944209ba5331012b3dff00849eaab58c7c7af152\
    65210fbcf0f87b9dd932f8ba4e9a9f91b63294530a1200b88b3a03e1a0c7fd34\
    deec6fad501ede06ce7ec9e291d47b69b3a4b61bb08763b6d46bfbdab97bdece\
    a0ff09a872221fb4b6ccca6b5c6faad8eb873b9a2f39b63e62cfadd47607e68e\
    2c290583f7268fb43fc00a7dc8810ecdac1a59bd1b477aaf41cb4b24ada3e5f7\
    b8cb986f1ae476afc7677aa62570a1b1838dda26be7863ee2f40b5e538a4e181";
const MODP_PUB_R: &str = "667282318d65cb05cd323c25091e664cc75a3a20c014b2f6389d3b27f5c1e908\
    e0d40ff8552bd587752550302285b49f75f8ffaec937fb2e69c8150f88d6508b\
    f0fb1f16e9676f5ecf718f874f3d8de3c8688749dbcf1affd4d62ff9ea5d9e30\
    35b2ce4a6eae281c408fc8084ae235d998a037610a8cb48c878cd0635fa1369f\
    c90b864c532367384597fdeefdb6742b006adedae2015bc4ce2f9c5451c9636a\
    16ed7d10b4e40d825b50aa7633a0e8fb813bebc049f7ff6a71ecfb14e880f509\
    d38b571a809808a496b451b5b5567a3608b01a22e4998355f181b879de262304\
    f29de142ff5e52cc564f3a2d1e84a0c33d8f3da7bf6412b3f018e00d90fa5b94";
const MODP_SHARED: &str = "26f9e8457cf2d7d56dd819c2a867d7c3a90aa2b944e20b8bded3a5bf91aa1ff8\
    1a7ea89d524c365f3823510835cd8644c4d5dacf893e610d2c1a140616d1c8c1\
    d35f46de2c5faad9aecec6b677acd984098142a8aa0c8542e9ac98b3bc7b577c\
    59b8ec53346e1567a90039ac92b224635ab216731b06353925642c330a201ba4\
    b31284a9515860f35e9308f5515a779984fbd9f5ce4177db78d1cb0384b63c73\
    9c6d744ad7a700b95a531b29f3b744ed38e69aee67072c45a91cee6b14215e04\
    f27c31358c86dce448d60a223bdc554edaa3e4072ef603a0f4619f8db39cec29\
    1c860174155d8abf9e1082931df58ed9ee9c1215dd2393de02f5c1767f070e28";

#[test]
fn modp2048_known_answer() {
    check_side(
        DhGroup::Modp2048,
        MODP_XI,
        MODP_PUB_I,
        MODP_PUB_R,
        MODP_SHARED,
    );
    check_side(
        DhGroup::Modp2048,
        MODP_XR,
        MODP_PUB_R,
        MODP_PUB_I,
        MODP_SHARED,
    );
    // The public constructor gives the same key exchange.
    let ke = KeyExchange::from_modp_exponent(&h(MODP_XI)).unwrap();
    assert_eq!(ke.public_key(), h(MODP_PUB_I).as_slice());
}

#[test]
fn modp2048_peer_value_range() {
    // RFC 6989 §2.1 (required by RFC 7296 §2.12): 1 < y < p-1.
    let p = MODP_2048_P;
    let bad = [
        U2048::ZERO,
        U2048::ONE,
        p.wrapping_sub(&U2048::ONE),
        p,
        p.wrapping_add(&U2048::ONE),
        U2048::MAX,
    ];
    for y in bad {
        let ke = KeyExchange::from_modp_exponent(&h(MODP_XI)).unwrap();
        assert_eq!(
            ke.agree(&y.to_be_bytes()),
            Err(CryptoError::InvalidPublicKey(DhGroup::Modp2048)),
            "{y:?}"
        );
    }
    // The extremes of the valid range are accepted: y = 2 and y = p-2.
    for y in [U2048::from_u8(2), p.wrapping_sub(&U2048::from_u8(2))] {
        let ke = KeyExchange::from_modp_exponent(&[0x05]).unwrap();
        let secret = ke.agree(&y.to_be_bytes()).unwrap();
        assert_eq!(secret.len(), 256);
    }
    // 2^5 = 32, zero-padded to 256 bytes (RFC 7296 §2.14).
    let ke = KeyExchange::from_modp_exponent(&[0x05]).unwrap();
    let mut expected = vec![0u8; 256];
    expected[255] = 32;
    assert_eq!(
        ke.agree(&U2048::from_u8(2).to_be_bytes())
            .unwrap()
            .as_bytes(),
        expected
    );
}

#[test]
fn modp2048_private_exponent_checks() {
    for bad in [&[][..], &[0u8; 4][..], &[1u8; 257][..]] {
        assert_eq!(
            KeyExchange::from_modp_exponent(bad).unwrap_err(),
            CryptoError::InvalidPrivateKey(DhGroup::Modp2048)
        );
    }
    // A small exponent gives a public value zero-padded to 256 bytes.
    let ke = KeyExchange::from_modp_exponent(&[0x03]).unwrap();
    let mut expected = vec![0u8; 256];
    expected[255] = 8;
    assert_eq!(ke.public_key(), expected.as_slice());
}

#[test]
fn wrong_lengths_are_refused() {
    for group in [
        DhGroup::Modp2048,
        DhGroup::Ecp256,
        DhGroup::Ecp384,
        DhGroup::Curve25519,
    ] {
        let expected = group.public_key_len();
        for actual in [0, 1, expected - 1, expected + 1, 2 * expected] {
            let ke = KeyExchange::generate(group).unwrap();
            assert_eq!(
                ke.agree(&vec![2u8; actual]),
                Err(CryptoError::InvalidPublicKeyLength {
                    group,
                    expected,
                    actual
                }),
            );
        }
    }
}

#[test]
fn ecp_points_are_validated() {
    for (group, i) in [
        (
            DhGroup::Ecp256,
            "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433",
        ),
        (
            DhGroup::Ecp384,
            "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655\
             E35B538041E649EE3FAEF896783AB194",
        ),
    ] {
        let peer = KeyExchange::generate(group).unwrap();
        let good = peer.public_key().to_vec();
        // Not on the curve: y changed by one; all zeros; all ones.
        let mut off_curve = good.clone();
        *off_curve.last_mut().unwrap() ^= 1;
        let len = group.public_key_len();
        for bad in [off_curve, vec![0u8; len], vec![0xffu8; len]] {
            let ke = KeyExchange::from_private_for_test(group, &h(i)).unwrap();
            assert_eq!(ke.agree(&bad), Err(CryptoError::InvalidPublicKey(group)));
        }
        // The SEC 1 encoding (with the 0x04 tag) is not the IKE encoding.
        let tagged = [&[0x04][..], &good].concat();
        let ke = KeyExchange::generate(group).unwrap();
        assert!(matches!(
            ke.agree(&tagged),
            Err(CryptoError::InvalidPublicKeyLength { .. })
        ));
    }
}

#[test]
fn x25519_small_order_points_are_refused() {
    // u = 0 and u = 1 are points of small order; the shared secret would be
    // all zero (RFC 7748 §6.1, RFC 8031 §2).
    let mut one = [0u8; 32];
    one[0] = 1;
    for u in [[0u8; 32], one] {
        let ke = KeyExchange::generate(DhGroup::Curve25519).unwrap();
        assert_eq!(ke.agree(&u), Err(CryptoError::ZeroSharedSecret));
    }
}

#[test]
fn generated_keys_agree() {
    for group in [
        DhGroup::Modp2048,
        DhGroup::Ecp256,
        DhGroup::Ecp384,
        DhGroup::Curve25519,
    ] {
        let a = KeyExchange::generate(group).unwrap();
        let b = KeyExchange::generate(group).unwrap();
        assert_eq!(a.public_key().len(), group.public_key_len());
        assert_ne!(a.public_key(), b.public_key());
        let (a_pub, b_pub) = (a.public_key().to_vec(), b.public_key().to_vec());
        let shared_a = a.agree(&b_pub).unwrap();
        let shared_b = b.agree(&a_pub).unwrap();
        assert_eq!(shared_a, shared_b, "{group:?}");
        assert_eq!(shared_a.len(), group.shared_secret_len());
    }
}

#[test]
fn group_ids_and_debug() {
    for (id, group) in [
        (14, DhGroup::Modp2048),
        (19, DhGroup::Ecp256),
        (20, DhGroup::Ecp384),
        (31, DhGroup::Curve25519),
    ] {
        assert_eq!(DhGroup::from_iana(id), Some(group));
        assert_eq!(group.iana_id(), id);
    }
    for id in [0, 1, 2, 5, 15, 21, 32] {
        assert_eq!(DhGroup::from_iana(id), None);
    }
    let ke = KeyExchange::generate(DhGroup::Curve25519).unwrap();
    assert_eq!(
        format!("{ke:?}"),
        "KeyExchange { group: Curve25519, public_len: 32, .. }"
    );
}
