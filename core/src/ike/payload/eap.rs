//! The EAP payload (RFC 7296 §3.16): one EAP packet (RFC 3748 §4).

use crate::ike::error::{DecodeError, EncodeError};
use crate::ike::reader::{len16, Reader};
use crate::ike::types::{EapCode, EapType};

/// An EAP packet carried in an IKE EAP payload.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EapMessage {
    /// Request, Response, Success or Failure.
    pub code: EapCode,
    /// Matches responses to requests.
    pub identifier: u8,
    /// The method type (Request and Response only).
    pub method: Option<EapType>,
    /// The type-data after the method type.
    pub data: Vec<u8>,
}

impl EapMessage {
    pub(crate) fn decode(mut r: Reader<'_>) -> Result<Self, DecodeError> {
        let available = r.remaining();
        let code = EapCode::from(r.u8("EAP packet")?);
        let identifier = r.u8("EAP packet")?;
        let length = usize::from(r.u16("EAP packet")?);
        if length != available {
            return Err(DecodeError::BadLength {
                what: "EAP packet",
                length,
                min: available,
                max: available,
            });
        }
        let method = match code {
            EapCode::Request | EapCode::Response => Some(EapType::from(r.u8("EAP packet")?)),
            EapCode::Success | EapCode::Failure => {
                if !r.is_empty() {
                    return Err(DecodeError::TrailingBytes(r.remaining()));
                }
                None
            }
            EapCode::Unknown(raw) => {
                return Err(DecodeError::InvalidValue {
                    what: "EAP code",
                    value: u64::from(raw),
                })
            }
        };
        Ok(Self {
            code,
            identifier,
            method,
            data: r.take_rest().to_vec(),
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let method_len = usize::from(self.method.is_some());
        let length = len16(4 + method_len + self.data.len(), "EAP packet")?;
        out.push(self.code.raw());
        out.push(self.identifier);
        out.extend_from_slice(&length.to_be_bytes());
        if let Some(method) = self.method {
            out.push(method.raw());
        }
        out.extend_from_slice(&self.data);
        Ok(())
    }
}
