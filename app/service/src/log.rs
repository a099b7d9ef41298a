//! The service's log: each line goes to standard error (the journal, under
//! systemd), into a bounded ring for `softwire logs`, and to subscribers.
//! Nothing secret is ever formatted into a line: secrets have no
//! `Display`, and their `Debug` is redacted.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use softwire_api::{LogLevel, LogLine};
use tokio::sync::broadcast;

/// How many lines `softwire logs` can show.
pub const KEPT_LINES: usize = 1000;

/// The log.
#[derive(Debug)]
pub struct Log {
    ring: Mutex<VecDeque<LogLine>>,
    lines: broadcast::Sender<LogLine>,
}

impl Default for Log {
    fn default() -> Self {
        Self::new()
    }
}

impl Log {
    /// An empty log.
    pub fn new() -> Self {
        Self {
            ring: Mutex::new(VecDeque::with_capacity(KEPT_LINES)),
            lines: broadcast::channel(256).0,
        }
    }

    /// Logs a normal event.
    pub fn info(&self, message: impl Into<String>) {
        self.push(LogLevel::Info, message.into());
    }

    /// Logs something to look at.
    pub fn warn(&self, message: impl Into<String>) {
        self.push(LogLevel::Warn, message.into());
    }

    /// Logs a failure.
    pub fn error(&self, message: impl Into<String>) {
        self.push(LogLevel::Error, message.into());
    }

    #[allow(clippy::print_stderr)]
    fn push(&self, level: LogLevel, message: String) {
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        // systemd reads these prefixes as priorities (sd-daemon(3)).
        let priority = match level {
            LogLevel::Error => 3,
            LogLevel::Warn => 4,
            LogLevel::Info => 6,
            LogLevel::Debug => 7,
        };
        eprintln!("<{priority}>{message}");
        let line = LogLine {
            unix_ms,
            level,
            message,
        };
        if let Ok(mut ring) = self.ring.lock() {
            if ring.len() == KEPT_LINES {
                ring.pop_front();
            }
            ring.push_back(line.clone());
        }
        let _ = self.lines.send(line);
    }

    /// The last `n` lines, oldest first.
    pub fn last(&self, n: usize) -> Vec<LogLine> {
        self.ring
            .lock()
            .map(|ring| {
                ring.iter()
                    .skip(ring.len().saturating_sub(n))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Lines from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<LogLine> {
        self.lines.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_is_bounded_and_ordered() {
        let log = Log::new();
        for i in 0..(KEPT_LINES + 5) {
            log.info(format!("line {i}"));
        }
        let all = log.last(usize::MAX);
        assert_eq!(all.len(), KEPT_LINES);
        assert_eq!(all[0].message, "line 5");
        let two = log.last(2);
        assert_eq!(two[1].message, format!("line {}", KEPT_LINES + 4));
    }
}
