//! The Encrypted and Authenticated payload SK (RFC 7296 §3.14) and its
//! fragment form SKF (RFC 7383 §2.5), as they appear before decryption.

use crate::ike::error::DecodeError;
use crate::ike::reader::Reader;
use crate::ike::types::PayloadType;

/// SK payload: IV, ciphertext and ICV of an inner payload chain.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Encrypted {
    /// Type of the first payload inside (the SK header's Next Payload).
    pub first_inner: PayloadType,
    /// IV || ciphertext || ICV.
    pub body: Vec<u8>,
}

/// SKF payload: one fragment of an SK payload (RFC 7383 §2.5).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EncryptedFragment {
    /// Type of the first inner payload in fragment 1; zero in the others.
    pub first_inner: PayloadType,
    /// This fragment's number, from 1.
    pub number: u16,
    /// How many fragments the message was split into.
    pub total: u16,
    /// IV || ciphertext || ICV of this fragment.
    pub body: Vec<u8>,
}

impl EncryptedFragment {
    /// Reads Fragment Number and Total Fragments and checks
    /// 1 <= number <= total (RFC 7383 §2.6).
    pub(crate) fn decode(first_inner: PayloadType, mut r: Reader<'_>) -> Result<Self, DecodeError> {
        let number = r.u16("SKF payload")?;
        let total = r.u16("SKF payload")?;
        if number == 0 || total == 0 || number > total {
            return Err(DecodeError::InvalidValue {
                what: "SKF fragment number",
                value: u64::from(number),
            });
        }
        Ok(Self {
            first_inner,
            number,
            total,
            body: r.take_rest().to_vec(),
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.number.to_be_bytes());
        out.extend_from_slice(&self.total.to_be_bytes());
        out.extend_from_slice(&self.body);
    }
}
