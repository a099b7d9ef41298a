//! Tests for certificate validation and AUTH signatures, on certificates
//! generated at test time with rcgen.

mod support;
