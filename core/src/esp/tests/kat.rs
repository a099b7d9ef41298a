//! Known-answer tests with published ESP packets.
//!
//! - AES-GCM-16: the ESP test cases of D. McGrew, "Test Cases for the use
//!   of Galois/Counter Mode (GCM) and Galois Message Authentication Code
//!   (GMAC) in IPsec ESP", draft-mcgrew-gcm-test-01 §4 (the companion of
//!   RFC 4106): whole ESP packets with SPI, 32- or 64-bit sequence numbers,
//!   salt and IV. Their plaintexts use Next Header 1 and some are not IP
//!   packets, so they run against the transform layer (seal with the
//!   published IV, open, trailer). The GMAC cases (RFC 4543) and the one
//!   with a 192-bit key (no AES-192-GCM in ring) are left out.
//! - ChaCha20-Poly1305: RFC 7634 Appendix A, a tunnel-mode ESP packet,
//!   through the full [`EspOutbound`]/[`EspInbound`] path.
//! - AES-CBC: RFC 3602 §4 cases #5 (transport mode) and #7 (tunnel mode),
//!   encryption-only ESP packets; with an HMAC ICV no ESP packet vector is
//!   published, so the ICV is checked against an HMAC computed here over
//!   the coverage RFC 4303 §2.2.1/§3.3.2.2 defines.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ring::hmac;

use super::h;
use crate::crypto::{ChildSaKeys, CryptoError, Encryption, Integrity, SecretBytes};
use crate::esp::cipher::{split_seq, strip_trailer, OpenKey, SealKey};
use crate::esp::{Drop, EspError, EspInbound, EspOutbound, IpFamily};
use crate::ike::child::{ChildSa, EspSuite};
use crate::ike::payload::AddressRange;

struct GcmCase {
    /// Key followed by the 4-octet salt (the first third of the nonce).
    keymat: &'static str,
    spi: u32,
    seq: u64,
    esn: bool,
    iv: &'static str,
    /// Payload | Padding | Pad Length | Next Header.
    plaintext: &'static str,
    packet: &'static str,
}

/// draft-mcgrew-gcm-test-01 §4, the AES-GCM cases with 128- and 256-bit
/// keys, in the document's order.
const GCM_CASES: [GcmCase; 13] = [
    // Case 1: 128-bit key, 64-bit extended sequence number.
    GcmCase {
        keymat: "4c80cdefbb5d10da906ac73c3613a634 2e443b68",
        spi: 0x0000_4321,
        seq: 0x8765_4321_0000_0000,
        esn: true,
        iv: "4956ed7e3b244cfe",
        plaintext: "45000048699a000080114db7c0a80102 c0a801010a9bf15638d3010000010000
                    00000000045f736970045f7564700373 69700963796265726369747902646b00
                    0021000101020201",
        packet: "00004321000000004956ed7e3b244cfe fecf537e729d5b07dc30df528dd22b76
                 8d1b98736696a6fd348509fa13ceac34 cfa2436f14a3f3cf65925bf1f4a13c5d
                 15b21e1884f5ff6247aeabb786b93bce 61bc17d768fd9732459018148f6cbe72
                 2fd04796562dfdb4",
    },
    // Case 2: 128-bit key, 32-bit sequence number.
    GcmCase {
        keymat: "feffe9928665731c6d6a8f9467308308 cafebabe",
        spi: 0x0000_a5f8,
        seq: 0x0000_000a,
        esn: false,
        iv: "facedbaddecaf888",
        plaintext: "4500003e698f000080114dccc0a80102 c0a801010a980035002a2343b2d00100
                    00010000000000000373697009637962 65726369747902646b00000100010001",
        packet: "0000a5f80000000afacedbaddecaf888 deb22cd9b07c72c16e3a65beeb8df304
                 a5a5897d33ae530f1ba76d5d114d2a5c 3de81827c10e9a4f51330d0eec416642
                 cfbb85a5b47e48a4ec3b9ba95d918bd1 83b70d3aa8bc6ee4c309e9d85a41ad4a",
    },
    // Case 3: 256-bit key.
    GcmCase {
        keymat: "abbccddef00112233445566778899aab abbccddef00112233445566778899aab
                 11223344",
        spi: 0x4a2c_bfe3,
        seq: 2,
        esn: false,
        iv: "0102030405060708",
        plaintext: "4500003069a6400080062690c0a80102 9389155e0a9e008b2dc57ee000000000
                    7002400020bf0000020405b401010402 01020201",
        packet: "4a2cbfe3000000020102030405060708 ff425c9b724599df7a3bcd510194e00d
                 6a78107f1b0b1cbf06efae9d65a5d763 748a637985771d347f0545659f14e99d
                 ef842d8eb335f4eecfdbf831824b4c49 15956c96",
    },
    // Case 4: all-zero key, salt and IV.
    GcmCase {
        keymat: "00000000000000000000000000000000 00000000",
        spi: 0,
        seq: 1,
        esn: false,
        iv: "0000000000000000",
        plaintext: "4500003c99c500008001cb7a40679318 010101010800075c0200440061626364
                    65666768696a6b6c6d6e6f7071727374 75767761626364656667686901020201",
        packet: "00000000000000010000000000000000 4688daf2f973a392732909c331d56d60
                 f694abaa414b5e7ff5fdcdfff5e9a284 456476492719ffb64de7d9dca1e1d894
                 bc3bd57873ed4d181d19d4d5c8c18af3 f821d496eeb096e98ad2b69e4799c71d",
    },
    // Case 5: extended sequence number.
    GcmCase {
        keymat: "3de09874b388e6491988d0c3607eae1f 57690e43",
        spi: 0x42f6_7e3f,
        seq: 0x1010_1010_1010_1010,
        esn: true,
        iv: "4e280000a2fca1a3",
        plaintext: "4500003c99c300008001cb7c40679318 010101010800085c0200430061626364
                    65666768696a6b6c6d6e6f7071727374 75767761626364656667686901020201",
        packet: "42f67e3f101010104e280000a2fca1a3 fba2caa4853cf9f0f22cb10d86dd83b0
                 fec75691cf1a04b00d1138ec9c357917 65acbd8701ad79845bf9fe3fba487bc9
                 1755e6662b4c8d0d1f5e22739530320a e0d731cc978ecafaeae88f00e80d6e48",
    },
    // Case 6: a short packet.
    GcmCase {
        keymat: "3de09874b388e6491988d0c3607eae1f 57690e43",
        spi: 0x42f6_7e3f,
        seq: 0x1010_1010_1010_1010,
        esn: true,
        iv: "4e280000a2fca1a3",
        plaintext: "4500001c42a200008001441f406793b6 e00000020a00f5ff01020201",
        packet: "42f67e3f101010104e280000a2fca1a3 fba2ca845e5df9f0f22c3e6e86dd831e
                 1fc65792cd1af9130e1379ed369f071f 35e034be95f112e4e7d05d35",
    },
    // Case 8: 128-bit key, ESN with a zero high half.
    GcmCase {
        keymat: "abbccddef00112233445566778899aab decaf888",
        spi: 0x0000_0100,
        seq: 1,
        esn: true,
        iv: "cafedebaceface74",
        plaintext: "4500004933ba00007f119106c3fb1d10 c2b1d326c02831ce0035dd7b800302d5
                    00004e20001e8c18d75b81dc91baa047 6b91b924b280389d92c963bac046ec95
                    9b6266c04722b14923010101",
        packet: "0000010000000001cafedebaceface74 18a6fd42f72cbf4ab2a2ea901f73d814
                 e3e7f243d95412e1c349c1d2fbec168f 9190feebaf2cb01984e65863965d7472
                 b79da345e0e780191f0d2f0e0f496c22 6f2127b27db35724e7845d68651f57e6
                 5f354f75ff17015769623436",
    },
    // Case 9: 256-bit key, ESN.
    GcmCase {
        keymat: "abbccddef00112233445566778899aab abbccddef00112233445566778899aab
                 73616c74",
        spi: 0x1740_5e67,
        seq: 0x156f_3126_dd0d_b99b,
        esn: true,
        iv: "616e640169766563",
        plaintext: "45080028732c00004006e9f90a010612 0a01038f06b88023dd6bafbecb712602
                    50101f646d540001",
        packet: "17405e67dd0db99b616e640169766563 f2d69ecdbd5a0d5b8d5ef38bad4da58d
                 1f278fde98ef67549d524a3018d9a57f f4d3a31ce673119e451626c2415771e3
                 b7eebca614c89b35",
    },
    // Case 10.
    GcmCase {
        keymat: "3de09874b388e6491988d0c3607eae1f 57690e43",
        spi: 0x42f6_7e3f,
        seq: 0x1010_1010_1010_1010,
        esn: true,
        iv: "4e280000a2fca1a3",
        plaintext: "45000049333e00007f119182c3fb1d10 c2b1d326c02831ce0035cb458003025b
                    000001e0001e8c18d65759d52284a035 2c71475c8880391c764d6e5ee0496b32
                    5ae270c03899493915010101",
        packet: "42f67e3f101010104e280000a2fca1a3 fba2cad12fc1f9f00d3cebf305410db8
                 3d7784b607323d220f24b0a97d541828 00cadb0f68d99ef0e0c0c89ae9bea888
                 4e52d65bc1afd0740f742444747b5b39 ab533163aad4550ee5160975cdb608c5
                 769189609763b8e18caa81e2",
    },
    // Case 11: a payload that is not an IP packet.
    GcmCase {
        keymat: "abbccddef00112233445566778899aab abbccddef00112233445566778899aab
                 73616c74",
        spi: 0x1740_5e67,
        seq: 0x156f_3126_dd0d_b99b,
        esn: true,
        iv: "616e640169766563",
        plaintext: "636973636f0172756c65730174686501 6e6574776501646566696e6501746865
                    746563686e6f6c6f6769657301746861 7477696c6c01646566696e65746f6d6f
                    72726f7701020201",
        packet: "17405e67dd0db99b616e640169766563 d4b7ed86a1777f2ea13d6973d324c69e
                 7b43f826fb56831226508bebd2dceb18 d0a6df10e5487df074113e14c641024e
                 3e6773d91a62ee429b043a10e3efe6b0 12a49363412364f8c0cac587f249e56b
                 11e24f30e44ccc76",
    },
    // Case 12: an empty payload, sequence number 2^32 - 1.
    GcmCase {
        keymat: "7d773d00c144c525ac619d18c84a3f47 d9664267",
        spi: 0x3354_67ae,
        seq: 0xffff_ffff,
        esn: false,
        iv: "43457e9182443bc6",
        plaintext: "01020201",
        packet: "335467aeffffffff43457e9182443bc6 437f866bcb3f699fe9b0822bac961c45
                 04bef270",
    },
    // Case 13.
    GcmCase {
        keymat: "abbccddef00112233445566778899aab decaf888",
        spi: 0x0000_0100,
        seq: 1,
        esn: true,
        iv: "cafedebaceface74",
        plaintext: "746f016265016f72016e6f7401746f01 62650001",
        packet: "0000010000000001cafedebaceface74 29c9fc69a197d038ccdd14e2ddfcaa05
                 43332164412503524303ed3c6c5f2838 43af8c3e",
    },
    // Case 14: 256-bit key, sequence number 2^64 - 1.
    GcmCase {
        keymat: "6c6567616c697a656d6172696a75616e 61616e64646f69746265666f72656961
                 7475726e",
        spi: 0x796b_6963,
        seq: u64::MAX,
        esn: true,
        iv: "333021696765746d",
        plaintext: "45000030da3a00008001df3bc0a80005 c0a800010800c6cd0200070061626364
                    65666768696a6b6c6d6e6f7071727374 01020201",
        packet: "796b6963ffffffff333021696765746d f97ab2aa356d8edce17644ac8c78e25d
                 d24dedbb29ebf1b64a274b39b49c3a86 4cd3d78ca4ae68a32b42458fb57dbe82
                 1dcc63b9d0937ba2945f669368661a32 9fb4c053",
    },
];

fn gcm_suite(keymat_len: usize, esn: bool) -> EspSuite {
    let key_bits = if keymat_len == 36 { 256 } else { 128 };
    EspSuite {
        encryption: Encryption::AesGcm16 { key_bits },
        integrity: None,
        esn,
    }
}

/// Splits a published plaintext into payload and Next Header, checking
/// that its padding is the one this implementation writes.
fn payload_and_next_header(plaintext: &[u8]) -> (&[u8], u8) {
    let (len, next_header) = strip_trailer(plaintext).unwrap();
    (&plaintext[..len], next_header)
}

#[test]
fn aes_gcm_esp_vectors_seal_and_open() {
    for (i, case) in GCM_CASES.iter().enumerate() {
        let keymat = h(case.keymat);
        let plaintext = h(case.plaintext);
        let packet = h(case.packet);
        let suite = gcm_suite(keymat.len(), case.esn);
        let high = case.esn.then_some(split_seq(case.seq).0);

        let seal = SealKey::new(&suite, &keymat, &[]).unwrap();
        let (payload, next_header) = payload_and_next_header(&plaintext);
        let mut out = Vec::new();
        seal.seal_with_iv(
            &mut out,
            case.spi,
            case.seq,
            case.esn,
            &h(case.iv),
            payload,
            next_header,
        )
        .unwrap();
        assert_eq!(hex::encode(&out), hex::encode(&packet), "case {i}: seal");

        let open = OpenKey::new(&suite, &keymat, &[]).unwrap();
        let mut plain = Vec::new();
        open.open(&packet, high, &mut plain).unwrap();
        assert_eq!(plain, plaintext, "case {i}: open");

        // The ICV covers the ciphertext and, with ESN, the implicit high
        // half of the sequence number (RFC 4106 §5).
        let mut tampered = packet.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(
            open.open(&tampered, high, &mut plain),
            Err(Drop::IntegrityFailed)
        );
        if let Some(high) = high {
            assert_eq!(
                open.open(&packet, Some(high.wrapping_add(1)), &mut plain),
                Err(Drop::IntegrityFailed),
                "case {i}: the ESN high half is authenticated"
            );
        }
    }
}

#[test]
fn aes_192_gcm_case_is_refused_not_mangled() {
    // draft-mcgrew-gcm-test-01 case 7 uses a 192-bit key, which ring lacks.
    let suite = EspSuite {
        encryption: Encryption::AesGcm16 { key_bits: 192 },
        integrity: None,
        esn: false,
    };
    let keymat = h("feffe9928665731c6d6a8f9467308308 feffe9928665731c cafebabe");
    assert_eq!(
        SealKey::new(&suite, &keymat, &[]).unwrap_err(),
        EspError::Crypto(CryptoError::Aes192GcmUnsupported)
    );
}

/// RFC 7634 Appendix A: the ESP packet (SPI 0x01020304, sequence number 5,
/// IV 0x1011121314151617) carrying an ICMP echo request from 198.51.100.5
/// to 192.0.2.5 in tunnel mode.
const RFC7634_KEYMAT: &str = "808182838485868788898a8b8c8d8e8f 909192939495969798999a9b9c9d9e9f
                              a0a1a2a3";
const RFC7634_INNER: &str = "
    45 00 00 54 a6 f2 00 00 40 01 e7 78 c6 33 64 05
    c0 00 02 05 08 00 5b 7a 3a 08 00 00 55 3b ec 10
    00 07 36 27 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13
    14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23
    24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33
    34 35 36 37";
const RFC7634_PACKET: &str = "
    01 02 03 04 00 00 00 05 10 11 12 13 14 15 16 17
    24 03 94 28 b9 7f 41 7e 3c 13 75 3a 4f 05 08 7b
    67 c3 52 e6 a7 fa b1 b9 82 d4 66 ef 40 7a e5 c6
    14 ee 80 99 d5 28 44 eb 61 aa 95 df ab 4c 02 f7
    2a a7 1e 7c 4c 4f 64 c9 be fe 2f ac c6 38 e8 f3
    cb ec 16 3f ac 46 9b 50 27 73 f6 fb 94 e6 64 da
    91 65 b8 28 29 f6 41 e0
    76 aa a8 26 6b 7f b0 f7 b1 1b 36 99 07 e1 ad 43";

fn rfc7634_child() -> ChildSa {
    let keymat = SecretBytes::new(h(RFC7634_KEYMAT));
    ChildSa {
        spi_in: 0x0102_0304,
        spi_out: 0x0102_0304,
        suite: EspSuite {
            encryption: Encryption::ChaCha20Poly1305,
            integrity: None,
            esn: false,
        },
        keys: ChildSaKeys {
            encr_i: keymat.clone(),
            integ_i: SecretBytes::default(),
            encr_r: keymat,
            integ_r: SecretBytes::default(),
        },
        local_ts: vec![AddressRange::any_v4(), AddressRange::any_v6()],
        remote_ts: vec![AddressRange::any_v4(), AddressRange::any_v6()],
    }
}

#[test]
fn chacha20_poly1305_rfc7634_appendix_a() {
    let child = rfc7634_child();
    let inner = h(RFC7634_INNER);
    assert_eq!(inner.len(), 84);
    let packet = h(RFC7634_PACKET);

    let mut outbound = EspOutbound::from_child(&child).unwrap();
    outbound.set_last_seq(4);
    let mut out = Vec::new();
    outbound
        .seal_with_iv(&h("1011121314151617"), &inner, &mut out)
        .unwrap();
    assert_eq!(hex::encode(&out), hex::encode(&packet));

    let mut inbound = EspInbound::from_child(&child).unwrap();
    let mut plain = Vec::new();
    let delivered = inbound.open(&packet, None, &mut plain).unwrap();
    assert_eq!(delivered.family, IpFamily::V4);
    assert_eq!(delivered.seq, 5);
    assert_eq!(delivered.range, 0..84);
    assert_eq!(plain, inner);
    assert_eq!(inbound.counters().packets_in, 1);
    assert_eq!(inbound.counters().bytes_in, 84);

    // The same packet again is a replay.
    assert_eq!(inbound.open(&packet, None, &mut plain), Err(Drop::Replayed));
    assert!(plain.is_empty());
}

#[test]
fn chacha20_poly1305_rfc7634_source_outside_selectors_is_spoofed() {
    let mut child = rfc7634_child();
    // The SC may only send from 192.0.2.0/24; the packet claims 198.51.100.5.
    child.remote_ts = vec![AddressRange::any(
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 0)),
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 255)),
    )];
    let mut inbound = EspInbound::from_child(&child).unwrap();
    let mut plain = Vec::new();
    assert_eq!(
        inbound.open(&h(RFC7634_PACKET), None, &mut plain),
        Err(Drop::SpoofedSource)
    );
    assert_eq!(inbound.counters().spoofed_source, 1);

    // Our side only has an IPv6 selector: 192.0.2.5 is not ours.
    let mut child = rfc7634_child();
    child.local_ts = vec![AddressRange::any(
        IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        IpAddr::V6(Ipv6Addr::from([0xff; 16])),
    )];
    let mut inbound = EspInbound::from_child(&child).unwrap();
    assert_eq!(
        inbound.open(&h(RFC7634_PACKET), None, &mut plain),
        Err(Drop::WrongDestination)
    );
}

struct CbcCase {
    key: &'static str,
    spi: u32,
    seq: u64,
    iv: &'static str,
    payload: &'static str,
    next_header: u8,
    /// Padding | Pad Length | Next Header.
    trailer: &'static str,
    ciphertext: &'static str,
}

/// RFC 3602 §4 cases #5 and #7 (AES-CBC-128, no authentication).
const CBC_CASES: [CbcCase; 2] = [
    // Case #5: transport mode, an ICMP echo request to 192.168.123.100.
    CbcCase {
        key: "90d382b4 10eeba7a d938c46c ec1a82bf",
        spi: 0x4321,
        seq: 1,
        iv: "e96e8c08 ab465763 fd098d45 dd3ff893",
        payload: "08000ebd a70a0000 8e9c083d b95b0700 08090a0b 0c0d0e0f 10111213 14151617
                  18191a1b 1c1d1e1f 20212223 24252627 28292a2b 2c2d2e2f 30313233 34353637",
        next_header: 1,
        trailer: "01020304 05060708 090a0b0c 0d0e 0e 01",
        ciphertext: "f663c25d 325c18c6 a9453e19 4e120849 a4870b66 cc6b9965 330013b4 898dc856
                     a4699e52 3a55db08 0b59ec3a 8e4b7e52 775b07d1 db34ed9c 538ab50c 551b874a
                     a269add0 47ad2d59 13ac19b7 cfbad4a6",
    },
    // Case #7: tunnel mode, the echo request 192.168.123.3 -> .200 inside.
    CbcCase {
        key: "01234567 89abcdef 01234567 89abcdef",
        spi: 0x8765,
        seq: 2,
        iv: "f4e76524 4f6407ad f13dc138 0f673f37",
        payload: "45000054 09040000 4001f988 c0a87b03 c0a87bc8 08009f76 a90a0100 b49c083d
                  02a20400 08090a0b 0c0d0e0f 10111213 14151617 18191a1b 1c1d1e1f 20212223
                  24252627 28292a2b 2c2d2e2f 30313233 34353637",
        next_header: 4,
        trailer: "01020304 05060708 090a 0a 04",
        ciphertext: "773b5241 a4c44922 5e4f3ce5 ed611b0c 237ca96c f74a9301 3c1b0ea1 a0cf70f8
                     e4ecaec7 8ac53aad 7a0f022b 859243c6 47752e94 a859352b 8a4d4d2d ecd136e5
                     c177f132 ad3fbfb2 201ac990 4c74ee0a 109e0ca1 e4dfe9d5 a100b842 f1c22f0d",
    },
];

#[test]
fn aes_cbc_rfc3602_esp_vectors() {
    for (i, case) in CBC_CASES.iter().enumerate() {
        let key = h(case.key);
        let payload = h(case.payload);
        let mut expected = Vec::new();
        expected.extend_from_slice(&case.spi.to_be_bytes());
        expected.extend_from_slice(&u32::try_from(case.seq).unwrap().to_be_bytes());
        expected.extend_from_slice(&h(case.iv));
        expected.extend_from_slice(&h(case.ciphertext));

        let seal = SealKey::cbc_without_integrity(&key).unwrap();
        let mut out = Vec::new();
        seal.seal_with_iv(
            &mut out,
            case.spi,
            case.seq,
            false,
            &h(case.iv),
            &payload,
            case.next_header,
        )
        .unwrap();
        assert_eq!(hex::encode(&out), hex::encode(&expected), "case {i}: seal");

        let open = OpenKey::cbc_without_integrity(&key).unwrap();
        let mut plain = Vec::new();
        open.open(&expected, None, &mut plain).unwrap();
        let mut plaintext = payload.clone();
        plaintext.extend_from_slice(&h(case.trailer));
        assert_eq!(plain, plaintext, "case {i}: open");
        assert_eq!(
            strip_trailer(&plain).unwrap(),
            (payload.len(), case.next_header)
        );
    }
}

/// With HMAC-SHA2-256-128 the ICV is the first 16 octets of HMAC-SHA-256
/// over `SPI | Seq | IV | ciphertext`, with ESN's high half appended for
/// the computation only (RFC 4303 §2.2.1, §3.3.2.2; RFC 4868 §2.1.1). The
/// encryption part is RFC 3602 case #7; the HMAC is computed here directly
/// with ring.
#[test]
fn aes_cbc_hmac_icv_coverage() {
    let case = &CBC_CASES[1];
    let key = h(case.key);
    let integ_key: Vec<u8> = (0u8..32).collect();
    for esn in [false, true] {
        let seq: u64 = if esn { 0x0000_0007_0000_0002 } else { 2 };
        let suite = EspSuite {
            encryption: Encryption::AesCbc { key_bits: 128 },
            integrity: Some(Integrity::HmacSha256_128),
            esn,
        };
        let seal = SealKey::new(&suite, &key, &integ_key).unwrap();
        let mut out = Vec::new();
        seal.seal_with_iv(
            &mut out,
            case.spi,
            seq,
            esn,
            &h(case.iv),
            &h(case.payload),
            case.next_header,
        )
        .unwrap();
        let (covered, icv) = out.split_at(out.len() - 16);
        // The encryption is unchanged by the ICV (encrypt-then-MAC).
        assert_eq!(&covered[24..], h(case.ciphertext).as_slice());

        let mut context = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, &integ_key));
        context.update(covered);
        if esn {
            context.update(&[0, 0, 0, 7]);
        }
        assert_eq!(icv, &context.sign().as_ref()[..16], "esn {esn}");

        let open = OpenKey::new(&suite, &key, &integ_key).unwrap();
        let mut plain = Vec::new();
        let high = esn.then_some(7);
        open.open(&out, high, &mut plain).unwrap();
        if esn {
            assert_eq!(
                open.open(&out, Some(8), &mut plain),
                Err(Drop::IntegrityFailed)
            );
        }
    }
}
