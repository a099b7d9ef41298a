//! Tests for certificate validation and AUTH signatures, on certificates
//! generated at test time with rcgen.

mod auth;
mod chain;
mod lab;
mod rfc7427;
pub(crate) mod support;
