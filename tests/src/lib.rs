//! Helpers for the end-to-end lab tests.
