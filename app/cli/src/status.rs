//! Showing a connection's status: from the service (`softwire status`) or
//! from the status file of a foreground `softwire run`
//! (`softwire status --state-dir DIR`).

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use softwire_api::{State, Status};

/// The status as lines of text.
pub fn lines(s: &Status) -> Vec<String> {
    let profile = s.profile.as_deref().unwrap_or("-");
    let mut out = vec![format!("{profile}: {}", s.state.as_str())];
    if s.state == State::Idle {
        out = vec!["Not connected.".to_owned()];
    }
    if let Some(phase) = &s.phase {
        out.push(format!("  step:       {phase}"));
    }
    if s.state != State::Up {
        if let Some(e) = &s.error {
            out.push(format!("  last error: {e}"));
        }
        if let (Some(attempt), Some(next)) = (s.attempt, s.next_in_s) {
            out.push(format!(
                "  reconnecting: attempt {attempt}, next in {next:.1} s"
            ));
        }
        return out;
    }
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    out.push(format!(
        "  SC:         {} ({})",
        or_dash(s.sc_identity.clone()),
        or_dash(s.sc.map(|a| a.to_string()))
    ));
    if let Some(via) = &s.sc_found_via {
        out.push(format!("  found:      {via}"));
    }
    if let Some(since) = s.up_since_unix {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(since);
        out.push(format!(
            "  up for:     {}",
            duration(now.saturating_sub(since))
        ));
    }
    out.push(format!(
        "  inner IPv4: {}",
        or_dash(s.inner_ipv4.map(|a| a.to_string()))
    ));
    out.push(format!(
        "  inner IPv6: {}",
        or_dash(s.inner_ipv6.map(|a| a.to_string()))
    ));
    let dns: Vec<String> = s.dns.iter().map(ToString::to_string).collect();
    out.push(format!(
        "  DNS:        {}",
        if dns.is_empty() {
            "(none)".to_owned()
        } else {
            dns.join(", ")
        }
    ));
    out.push(format!("  IKE:        {}", or_dash(s.ike.clone())));
    out.push(format!("  ESP:        {}", or_dash(s.esp.clone())));
    out.push(format!(
        "  NAT:        {}",
        if s.behind_nat {
            "behind a NAT (UDP 4500)"
        } else {
            "none detected"
        }
    ));
    let counters: Vec<String> = s
        .counters
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    out.push(format!(
        "  counters:   {}",
        if counters.is_empty() {
            "no traffic yet".to_owned()
        } else {
            counters.join(", ")
        }
    ));
    out.push(format!(
        "  upkeep:     {} CHILD_SA and {} IKE SA rekeys, {} liveness checks, {} NAT keepalives",
        s.rekeys, s.ike_rekeys, s.liveness_checks, s.keepalives
    ));
    out.push(format!(
        "  roaming:    {}, {} moves ({} after NAT changes), {} reconnects",
        if s.mobike {
            "MOBIKE"
        } else {
            "no MOBIKE at the SC"
        },
        s.moves,
        s.nat_rebindings,
        s.reconnects
    ));
    if let Some(e) = &s.last_roam_error {
        out.push(format!("  last roaming problem: {e}"));
    }
    out
}

fn duration(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// Reads the status file a foreground `softwire run` keeps in `state_dir`.
pub fn from_file(state_dir: &Path) -> Result<Status, String> {
    let path = softwire_session::status_path(state_dir);
    let text = std::fs::read(&path)
        .map_err(|_| format!("not connected (no status in {})", state_dir.display()))?;
    serde_json::from_slice(&text)
        .map_err(|e| format!("the status file {} is damaged: {e}", path.display()))
}
