//! A roaming run: traffic through whatever tunnel the hotspot has up (an
//! iperf3 TCP upload to the site and a ping every 10 ms), with lab events
//! (`hotspot-readdress`, `nat-readdress`, ...) at set times, and what each
//! event cost: the longest ping outage after it, and whether the TCP flow
//! lived through all of them.

use std::time::{Duration, Instant};

use crate::lab::{Lab, LabError};
use crate::traffic::{unix_now, Gap, Iperf, IperfRun, Ping, PingLog};

/// A lab command run `at` after the traffic started.
#[derive(Debug, Clone)]
pub struct Event {
    /// What to call it in the report.
    pub name: &'static str,
    /// When, after the iperf3 flow started.
    pub at: Duration,
    /// `lab.sh` arguments, e.g. `["nat-readdress", "198.51.100.11"]`.
    pub args: Vec<String>,
}

impl Event {
    /// An event from `lab.sh` arguments.
    pub fn new(name: &'static str, at_seconds: u64, args: &[&str]) -> Self {
        Self {
            name,
            at: Duration::from_secs(at_seconds),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
        }
    }
}

/// What one event cost.
#[derive(Debug, Clone)]
pub struct EventOutcome {
    /// Its name.
    pub name: &'static str,
    /// When it ran, Unix seconds.
    pub at: f64,
    /// The longest ping outage after it (before the next event); `None`
    /// if no reply came before it either.
    pub gap: Option<Gap>,
}

/// The whole run.
#[derive(Debug, Clone)]
pub struct RoamRun {
    /// Per event, in order.
    pub events: Vec<EventOutcome>,
    /// The TCP flow.
    pub iperf: IperfRun,
    /// Every ping reply.
    pub ping: PingLog,
}

impl RoamRun {
    /// Bytes the site received after the last event's outage ended.
    pub fn received_after_events(&self) -> u64 {
        let Some(last) = self.events.last() else {
            return self.iperf.received;
        };
        let gap = last.gap.map_or(0.0, |g| g.seconds);
        self.iperf.received_after(last.at + gap)
    }

    /// The TCP flow lived through every event: iperf3 finished normally,
    /// so its data and control connections were never reset nor stalled
    /// for good. (Whether data flowed again before the upload's time was
    /// up is [`RoamRun::received_after_events`].)
    pub fn tcp_survived(&self) -> bool {
        self.iperf.completed
    }

    /// The gap of the event named `name`.
    pub fn gap(&self, name: &str) -> Option<Gap> {
        self.events
            .iter()
            .find(|e| e.name == name)
            .and_then(|e| e.gap)
    }

    /// One line per event, and the flow.
    pub fn report(&self, who: &str) -> String {
        let mut out = String::new();
        for e in &self.events {
            let gap = e
                .gap
                .map_or_else(|| "no data".to_owned(), |g| g.to_string());
            out.push_str(&format!("{who}: {}: gap {gap}\n", e.name));
        }
        let i = &self.iperf;
        out.push_str(&format!(
            "{who}: iperf3 completed {} ({}), sent {} B, site received {} B ({} B after the last outage), {} retransmits; ping {} sent, {} lost\n",
            i.completed,
            i.error.as_deref().unwrap_or("no error"),
            i.sent,
            i.received,
            self.received_after_events(),
            i.retransmits,
            self.ping.transmitted,
            self.ping.lost(),
        ));
        out
    }
}

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RoamError {
    /// No ping reply before the first event: no tunnel to measure.
    #[error("the site does not answer through the tunnel before the events")]
    NoTunnel,
    /// A lab event failed.
    #[error(transparent)]
    Lab(#[from] LabError),
    /// ping or iperf3 could not be started.
    #[error("cannot start the traffic: {0}")]
    Io(#[from] std::io::Error),
}

/// Runs an `iperf_seconds` upload and a ping every 10 ms from the hotspot
/// to the site, with `events`; after the flow ends, pings on until a reply
/// comes after the last event, at most `recover_within` after it (the
/// flow is given as long).
pub fn run(
    lab: &Lab,
    events: &[Event],
    iperf_seconds: u32,
    recover_within: Duration,
) -> Result<RoamRun, RoamError> {
    let site = lab.get("LAB_SITE_ADDR4");
    let ping = Ping::start(lab, "hotspot", site, "0.01")?;
    if !ping.wait_reply_after(0.0, Duration::from_secs(5)) {
        return Err(RoamError::NoTunnel);
    }
    let iperf = Iperf::start(
        lab,
        "hotspot",
        lab.get("LAB_SITE_IPERF_ADDR4"),
        lab.get("LAB_SITE_IPERF_PORT"),
        iperf_seconds,
    )?;
    let started = Instant::now();
    let mut outcomes = Vec::new();
    for event in events {
        if let Some(wait) = event.at.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
        let at = unix_now();
        let args: Vec<&str> = event.args.iter().map(String::as_str).collect();
        lab.run(&args)?;
        outcomes.push(EventOutcome {
            name: event.name,
            at,
            gap: None,
        });
    }
    let last_event = outcomes.last().map_or_else(unix_now, |e| e.at);
    let flow_end = Duration::from_secs(u64::from(iperf_seconds)) + recover_within;
    let iperf = iperf.wait(flow_end.saturating_sub(started.elapsed()) + Duration::from_secs(5));
    let left =
        recover_within.saturating_sub(Duration::from_secs_f64((unix_now() - last_event).max(0.0)));
    if ping.wait_reply_after(last_event, left) {
        // A few more replies, so the end of the outage is not the end of
        // the log.
        std::thread::sleep(Duration::from_millis(300));
    }
    let log = ping.stop();
    let ends: Vec<f64> = outcomes
        .iter()
        .skip(1)
        .map(|e| e.at)
        .chain([f64::INFINITY])
        .collect();
    for (outcome, end) in outcomes.iter_mut().zip(ends) {
        outcome.gap = log.gap(outcome.at, end);
    }
    Ok(RoamRun {
        events: outcomes,
        iperf,
        ping: log,
    })
}
