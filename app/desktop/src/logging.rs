//! The shell's log: one line per event on standard error, with the time
//! and a level. Never give it a secret.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// How much a line matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Normal events (connect requested, service lost or back).
    Info,
    /// Something to look at.
    Warn,
    /// A failure.
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// Writes one line; use the [`info!`](crate::info),
/// [`warn!`](crate::warn) and [`error!`](crate::error) macros.
#[allow(clippy::print_stderr)]
pub fn write(level: Level, args: fmt::Arguments<'_>) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    eprintln!(
        "softwire-desktop {}.{:03} {}: {args}",
        now.as_secs(),
        now.subsec_millis(),
        level.as_str()
    );
}

/// Logs at info level.
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::logging::write($crate::logging::Level::Info, format_args!($($arg)*)) };
}

/// Logs at warn level.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::logging::write($crate::logging::Level::Warn, format_args!($($arg)*)) };
}

/// Logs at error level.
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => { $crate::logging::write($crate::logging::Level::Error, format_args!($($arg)*)) };
}
