//! Fuzzes the IKE message decoder: any input must decode or fail with an
//! error, and whatever decodes must re-encode and decode to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use softwire_core::ike::natt::{classify_port_4500, Port4500};
use softwire_core::ike::payload::decode_chain;
use softwire_core::ike::types::PayloadType;
use softwire_core::ike::Message;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = Message::decode(data) {
        let bytes = message.encode().expect("a decoded message encodes");
        let again = Message::decode(&bytes).expect("an encoded message decodes");
        assert_eq!(again.payloads, message.payloads);
    }
    if let Port4500::Ike(ike) = classify_port_4500(data) {
        let _ = Message::decode(ike);
    }
    // The inner chain of a decrypted SK payload, starting at any type.
    if let Some((&first, rest)) = data.split_first() {
        let _ = decode_chain(PayloadType::from(first), rest);
    }
});
