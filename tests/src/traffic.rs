//! Traffic through a tunnel, measured: a fast ping with timestamped replies
//! (how long an event cut traffic off), and an iperf3 TCP flow (whether it
//! lived through the event, and how much the site received afterwards).
//! Both run in a lab namespace as children of the test, stopped by their
//! own PID (also on drop).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::lab::Lab;

/// Seconds since the Unix epoch, the clock `ping -D` prints.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn signal(child: &Child, name: &str) {
    let _ = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status();
}

/// Stops a child by its PID: `first` (INT lets ping and iperf3 print their
/// summary), KILL after `grace`.
fn stop(child: &mut Child, first: &str, grace: Duration) {
    if !matches!(child.try_wait(), Ok(None)) {
        return;
    }
    signal(child, first);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if !matches!(child.try_wait(), Ok(None)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(child, "KILL");
    let _ = child.wait();
}

/// One echo reply: its sequence number and when it arrived.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reply {
    /// `icmp_seq`.
    pub seq: u64,
    /// Arrival, Unix seconds.
    pub at: f64,
}

/// Parses a `ping -D` reply line (`[1700000000.123456] 64 bytes from ...:
/// icmp_seq=7 ttl=63 time=0.6 ms`); duplicates and other lines give `None`.
pub fn parse_reply(line: &str) -> Option<Reply> {
    if line.contains("DUP!") {
        return None;
    }
    let at = line.strip_prefix('[')?.split(']').next()?.parse().ok()?;
    let seq = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("icmp_seq="))?
        .parse()
        .ok()?;
    Some(Reply { seq, at })
}

/// The longest outage in a window: `lost` echo requests in a row went
/// unanswered, `seconds` from the last reply before them to the first one
/// after. Not `recovered`: no reply came after them at all (`seconds` is
/// then until the ping stopped, a lower bound).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gap {
    /// Requests lost in a row.
    pub lost: u64,
    /// Time without replies.
    pub seconds: f64,
    /// A reply came again.
    pub recovered: bool,
}

impl std::fmt::Display for Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.recovered {
            write!(f, "{:.3} s ({} lost)", self.seconds, self.lost)
        } else {
            write!(f, "> {:.1} s (no reply again)", self.seconds)
        }
    }
}

/// What a stopped ping saw.
#[derive(Debug, Clone, Default)]
pub struct PingLog {
    /// The replies, in sequence order.
    pub replies: Vec<Reply>,
    /// Requests sent (from ping's summary).
    pub transmitted: u64,
    /// When the ping was stopped, Unix seconds.
    pub stopped_at: f64,
}

impl PingLog {
    /// From ping's output.
    pub fn parse(lines: &[String], stopped_at: f64) -> Self {
        let mut replies: Vec<Reply> = lines.iter().filter_map(|l| parse_reply(l)).collect();
        replies.sort_by_key(|r| r.seq);
        replies.dedup_by_key(|r| r.seq);
        let transmitted = lines
            .iter()
            .find_map(|l| l.split_once(" packets transmitted"))
            .and_then(|(n, _)| n.trim().parse().ok())
            .unwrap_or(0);
        Self {
            replies,
            transmitted,
            stopped_at,
        }
    }

    /// Requests without a reply, not counting those sent in the last
    /// second before the ping stopped (their replies may still have been
    /// on the way) unless no reply came in that second at all.
    pub fn lost(&self) -> u64 {
        let Some(last) = self.replies.last() else {
            return self.transmitted;
        };
        let answered_to = if self.stopped_at - last.at > 1.0 {
            self.transmitted
        } else {
            last.seq
        };
        answered_to.saturating_sub(self.replies.len() as u64)
    }

    /// The longest run of unanswered requests that ends after `from` and
    /// begins before `to` (Unix seconds): the outage an event at `from`
    /// caused, when the next event comes at `to`. Without any loss there,
    /// the longest time between two replies. `None`: no reply before
    /// `from` to measure from.
    pub fn gap(&self, from: f64, to: f64) -> Option<Gap> {
        let mut best: Option<Gap> = None;
        let mut consider = |gap: Gap| {
            if best.is_none_or(|b| (gap.lost, gap.seconds) > (b.lost, b.seconds)) {
                best = Some(gap);
            }
        };
        for pair in self.replies.windows(2) {
            let [a, b] = pair else { continue };
            if b.at > from && a.at < to {
                consider(Gap {
                    lost: b.seq.saturating_sub(a.seq + 1),
                    seconds: b.at - a.at,
                    recovered: true,
                });
            }
        }
        // Silence from the last reply to the end (more than ping's own
        // last half second).
        let last = self.replies.last()?;
        if last.at < to && self.stopped_at - last.at > 0.5 {
            consider(Gap {
                lost: self.transmitted.saturating_sub(last.seq),
                seconds: self.stopped_at - last.at,
                recovered: false,
            });
        }
        if best.is_none() && self.replies.first().is_some_and(|r| r.at <= from) {
            return Some(Gap {
                lost: 0,
                seconds: 0.0,
                recovered: true,
            });
        }
        best
    }
}

/// `ping -D -n -i INTERVAL DEST` running in a lab namespace.
#[derive(Debug)]
pub struct Ping {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
}

impl Ping {
    /// Starts pinging `dest` from `role` every `interval` seconds (as
    /// ping's `-i` takes it, e.g. "0.01").
    pub fn start(lab: &Lab, role: &str, dest: &str, interval: &str) -> std::io::Result<Self> {
        let mut child = lab
            .command(&["exec", role, "ping", "-D", "-n", "-i", interval, dest])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let reader = child.stdout.take().map(|out| {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    if let Ok(mut l) = lines.lock() {
                        l.push(line);
                    }
                }
            })
        });
        Ok(Self {
            child,
            lines,
            reader,
        })
    }

    /// The replies so far.
    pub fn replies(&self) -> Vec<Reply> {
        self.lines
            .lock()
            .map(|l| l.iter().filter_map(|l| parse_reply(l)).collect())
            .unwrap_or_default()
    }

    /// Waits until a reply arrives after `after` (Unix seconds); false if
    /// none within `timeout`.
    pub fn wait_reply_after(&self, after: f64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.replies().iter().any(|r| r.at > after) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the ping (SIGINT: it prints its summary) and returns what it
    /// saw.
    pub fn stop(mut self) -> PingLog {
        let stopped_at = unix_now();
        stop(&mut self.child, "INT", Duration::from_secs(3));
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let lines = self.lines.lock().map(|l| l.clone()).unwrap_or_default();
        PingLog::parse(&lines, stopped_at)
    }
}

impl Drop for Ping {
    fn drop(&mut self) {
        stop(&mut self.child, "KILL", Duration::from_secs(1));
    }
}

/// One reporting interval of the iperf3 server: what the site received
/// from `start` to `end` seconds into the test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Seconds into the test.
    pub start: f64,
    /// Seconds into the test.
    pub end: f64,
    /// Bytes received.
    pub bytes: u64,
}

/// Parses the server's interval lines (`[  5]   3.00-4.00   sec  28.3
/// MBytes   237 Mbits/sec`), leaving out the summary (`receiver`).
pub fn parse_server_intervals(text: &str) -> Vec<Interval> {
    text.lines()
        .filter(|l| l.starts_with('[') && l.contains(" sec ") && !l.contains("receiver"))
        .filter_map(|l| {
            let words: Vec<&str> = l.split(']').nth(1)?.split_whitespace().collect();
            let [range, "sec", amount, unit, ..] = words.as_slice() else {
                return None;
            };
            let (start, end) = range.split_once('-')?;
            let scale = match *unit {
                "Bytes" => 1.0,
                "KBytes" => 1024.0,
                "MBytes" => 1024.0 * 1024.0,
                "GBytes" => 1024.0 * 1024.0 * 1024.0,
                _ => return None,
            };
            let amount: f64 = amount.parse().ok()?;
            Some(Interval {
                start: start.parse().ok()?,
                end: end.parse().ok()?,
                // Whole bytes are plenty here.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                bytes: (amount * scale) as u64,
            })
        })
        .collect()
}

/// An iperf3 TCP upload (`iperf3 -c SERVER -t SECONDS -J
/// --get-server-output`) running in a lab namespace.
#[derive(Debug)]
pub struct Iperf {
    child: Child,
    started: f64,
    output: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

/// How an iperf3 run ended.
#[derive(Debug, Clone, Default)]
pub struct IperfRun {
    /// iperf3 exited with status 0 in time: both of its TCP connections
    /// (control and data) lasted to the end and the server's report came
    /// back.
    pub completed: bool,
    /// Its `error` field, or why there is no report.
    pub error: Option<String>,
    /// When it started, Unix seconds.
    pub started: f64,
    /// Bytes the client sent / the server received.
    pub sent: u64,
    /// Bytes the server received.
    pub received: u64,
    /// TCP retransmissions of the sender.
    pub retransmits: u64,
    /// The server's intervals.
    pub server_intervals: Vec<Interval>,
}

impl IperfRun {
    /// Bytes the server received in the intervals that began at or after
    /// `after` (Unix seconds).
    pub fn received_after(&self, after: f64) -> u64 {
        self.server_intervals
            .iter()
            .filter(|i| self.started + i.start >= after)
            .map(|i| i.bytes)
            .sum()
    }
}

impl Iperf {
    /// Starts an upload of `seconds` to the iperf3 server at `server`.
    pub fn start(
        lab: &Lab,
        role: &str,
        server: &str,
        port: &str,
        seconds: u32,
    ) -> std::io::Result<Self> {
        let seconds = seconds.to_string();
        let started = unix_now();
        let mut child = lab
            .command(&[
                "exec",
                role,
                "iperf3",
                "-c",
                server,
                "-p",
                port,
                "-t",
                &seconds,
                "-i",
                "1",
                "-J",
                "--get-server-output",
                "--connect-timeout",
                "5000",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let output = Arc::new(Mutex::new(Vec::new()));
        let reader = child.stdout.take().map(|mut out| {
            let output = Arc::clone(&output);
            std::thread::spawn(move || {
                let mut all = Vec::new();
                let _ = out.read_to_end(&mut all);
                if let Ok(mut o) = output.lock() {
                    *o = all;
                }
            })
        });
        Ok(Self {
            child,
            started,
            output,
            reader,
        })
    }

    /// Waits for iperf3 to finish, for at most `timeout` (then it is
    /// killed and the run did not complete).
    pub fn wait(mut self, timeout: Duration) -> IperfRun {
        let deadline = Instant::now() + timeout;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                _ => break None,
            }
        };
        if status.is_none() {
            stop(&mut self.child, "KILL", Duration::from_secs(1));
        }
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let output = self.output.lock().map(|o| o.clone()).unwrap_or_default();
        let json: serde_json::Value = serde_json::from_slice(&output).unwrap_or_default();
        let number = |path: &str| json.pointer(path).and_then(|v| v.as_u64()).unwrap_or(0);
        let error = match (status, json.get("error").and_then(|e| e.as_str())) {
            (None, _) => Some(format!("still running after {timeout:?}, killed")),
            (Some(_), Some(e)) => Some(e.to_owned()),
            (Some(s), None) if !s.success() => Some(format!("exit {s}")),
            _ => None,
        };
        IperfRun {
            completed: status.is_some_and(|s| s.success()) && error.is_none(),
            error,
            started: self.started,
            sent: number("/end/sum_sent/bytes"),
            received: number("/end/sum_received/bytes"),
            retransmits: number("/end/sum_sent/retransmits"),
            server_intervals: parse_server_intervals(
                json.get("server_output_text")
                    .and_then(|t| t.as_str())
                    .unwrap_or_default(),
            ),
        }
    }
}

impl Drop for Iperf {
    fn drop(&mut self) {
        stop(&mut self.child, "KILL", Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(seq: u64, at: f64) -> String {
        format!("[{at:.6}] 64 bytes from 203.0.113.10: icmp_seq={seq} ttl=63 time=0.6 ms")
    }

    #[test]
    fn the_longest_run_of_losses_after_an_event_is_the_gap() {
        let mut lines: Vec<String> = (1..=100)
            .map(|s| reply(s, 100.0 + s as f64 * 0.01))
            .collect();
        // Lost 101-149 (0.5 s), then a shorter loss later.
        lines.extend(
            (150..=300)
                .filter(|s| !(200..210).contains(s))
                .map(|s| reply(s, 100.0 + s as f64 * 0.01)),
        );
        lines.push(
            "300 packets transmitted, 241 received, 19.6667% packet loss, time 3000ms".into(),
        );
        let log = PingLog::parse(&lines, 103.0);
        assert_eq!(log.transmitted, 300);
        assert_eq!(log.lost(), 59);
        let gap = log.gap(100.5, 110.0).unwrap();
        assert_eq!(gap.lost, 49);
        assert!((gap.seconds - 0.5).abs() < 1e-6, "{gap:?}");
        assert!(gap.recovered);
        // After the first outage only the second one counts.
        assert_eq!(log.gap(101.8, 110.0).unwrap().lost, 10);
    }

    #[test]
    fn no_reply_after_an_event_is_an_outage_to_the_end() {
        let mut lines: Vec<String> = (1..=100)
            .map(|s| reply(s, 100.0 + s as f64 * 0.01))
            .collect();
        lines.push("400 packets transmitted, 100 received, 75% packet loss, time 4000ms".into());
        let gap = PingLog::parse(&lines, 104.0).gap(100.5, 110.0).unwrap();
        assert!(!gap.recovered);
        assert_eq!(gap.lost, 300);
        assert!((gap.seconds - 3.0).abs() < 1e-6, "{gap:?}");
    }

    #[test]
    fn server_intervals_are_read_from_its_text() {
        let text = "[ ID] Interval           Transfer     Bitrate\n\
                    [  5]   0.00-1.00   sec  28.3 MBytes   237 Mbits/sec\n\
                    [  5]   1.00-2.00   sec   512 KBytes  4.19 Mbits/sec\n\
                    [  5]   2.00-3.00   sec  0.00 Bytes  0.00 bits/sec\n\
                    [  5]   0.00-3.00   sec  28.8 MBytes   80 Mbits/sec   receiver\n";
        let i = parse_server_intervals(text);
        assert_eq!(i.len(), 3);
        assert_eq!(i[1].bytes, 512 * 1024);
        assert_eq!(i[2].bytes, 0);
        let run = IperfRun {
            started: 1000.0,
            server_intervals: i,
            ..IperfRun::default()
        };
        assert_eq!(run.received_after(1001.0), 512 * 1024);
    }
}
