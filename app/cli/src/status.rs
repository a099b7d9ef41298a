//! `softwire status`: what the foreground `connect` reports in its status
//! file (the service's API replaces the file later).

use std::path::Path;
use std::process::ExitCode;

/// Prints the status; fails when there is none.
#[allow(clippy::print_stdout, clippy::print_stderr)]
pub fn run(state_dir: &Path, json: bool) -> ExitCode {
    let path = softwire_session::status_path(state_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(_) => {
            eprintln!(
                "softwire: not connected (no status in {})",
                state_dir.display()
            );
            return ExitCode::FAILURE;
        }
    };
    if json {
        println!("{text}");
        return ExitCode::SUCCESS;
    }
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        eprintln!("softwire: the status file {} is damaged", path.display());
        return ExitCode::FAILURE;
    };
    let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("-").to_owned();
    println!("{}: {}", field("profile"), field("state"));
    if field("state") != "up" {
        if let Some(e) = v.get("error").and_then(|e| e.as_str()) {
            println!("  last error: {e}");
        }
        if let (Some(attempt), Some(next)) = (
            v.get("attempt").and_then(serde_json::Value::as_u64),
            v.get("next_in_s").and_then(serde_json::Value::as_f64),
        ) {
            println!("  reconnecting: attempt {attempt}, next in {next:.1} s");
        }
        return ExitCode::SUCCESS;
    }
    println!("  SC:         {} ({})", field("sc_identity"), field("sc"));
    println!("  inner IPv4: {}", field("inner_ipv4"));
    println!("  inner IPv6: {}", field("inner_ipv6"));
    let dns: Vec<String> = v
        .get("dns")
        .and_then(|d| d.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    println!("  DNS:        {}", dns.join(", "));
    println!("  IKE:        {}", field("ike"));
    println!("  ESP:        {}", field("esp"));
    let nat = v
        .get("behind_nat")
        .and_then(|b| b.as_bool())
        .unwrap_or(false);
    println!(
        "  NAT:        {}",
        if nat {
            "behind a NAT (UDP 4500)"
        } else {
            "none detected"
        }
    );
    if let Some(c) = v.get("counters").and_then(|c| c.as_object()) {
        let list: Vec<String> = c
            .iter()
            .filter(|(_, n)| n.as_u64().unwrap_or(0) > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        println!("  counters:   {}", list.join(", "));
    }
    let number = |k: &str| v.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
    println!(
        "  upkeep:     {} CHILD_SA and {} IKE SA rekeys, {} liveness checks, {} NAT keepalives",
        number("rekeys"),
        number("ike_rekeys"),
        number("liveness_checks"),
        number("keepalives")
    );
    let mobike = v.get("mobike").and_then(serde_json::Value::as_bool) == Some(true);
    println!(
        "  roaming:    {}, {} moves ({} after NAT changes), {} reconnects",
        if mobike {
            "MOBIKE"
        } else {
            "no MOBIKE at the SC"
        },
        number("moves"),
        number("nat_rebindings"),
        number("reconnects")
    );
    if let Some(e) = v.get("last_roam_error").and_then(serde_json::Value::as_str) {
        println!("  last roaming problem: {e}");
    }
    ExitCode::SUCCESS
}
