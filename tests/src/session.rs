//! What most end-to-end tests of `softwire connect` share: an EAP profile
//! for the lab's SC, a connected client, its status file, and the SC's view
//! of our SAs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::client::Client;
use crate::lab::Lab;

/// Writes an EAP-MSCHAPv2 profile for the lab's SC at `sc_address` into the
/// lab's directory, with `extra` TOML (e.g. a `[rekey]` section) appended.
pub fn eap_profile(lab: &Lab, sc_address: &str, extra: &str) -> PathBuf {
    let path = lab.dir.join("profile.toml");
    let body = format!(
        "name = \"Lab\"\n[sc]\naddress = \"{}\"\nidentity = \"{}\"\nca = \"{}\"\n\
         [auth]\nmethod = \"eap-mschapv2\"\nidentity = \"{}\"\n{extra}",
        sc_address,
        lab.get("LAB_SC_ID"),
        lab.get("LAB_CA_CERT_PEM"),
        lab.get("LAB_EAP_ID"),
    );
    // A test cannot go on without it.
    #[allow(clippy::expect_used)]
    std::fs::write(&path, body).expect("write the profile");
    path
}

/// A connected `softwire connect` with the lab's EAP password, and its
/// state directory. Panics (failing the test) if it does not connect
/// within 15 s.
#[allow(clippy::expect_used, clippy::panic)]
pub fn connect_eap(lab: &Lab, profile: &Path) -> (Client, PathBuf) {
    let state = lab.dir.join("client-state");
    let mut client = Client::connect(lab, profile, Some(lab.get("LAB_EAP_PASSWORD_FILE")), &state)
        .expect("start softwire connect");
    if let Err(output) = client.wait_for("Connected in", Duration::from_secs(15)) {
        panic!("not connected: {output}");
    }
    (client, state)
}

/// The client's status file, parsed.
#[allow(clippy::expect_used)]
pub fn status(state: &Path) -> serde_json::Value {
    let text = std::fs::read(state.join("status.json")).expect("read status.json");
    serde_json::from_slice(&text).expect("status.json is JSON")
}

/// The SC's `swanctl --list-sas`.
pub fn sas_on_sc(lab: &Lab) -> String {
    lab.run(&["swanctl", "--list-sas"])
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default()
}

/// Waits (up to 10 s: a rekey may be under way) until the SC holds exactly
/// one IKE SA and one installed CHILD_SA; returns the last listing either
/// way, for the test to assert on.
pub fn settle_to_one_sa_pair(lab: &Lab) -> String {
    let mut sas = String::new();
    for _ in 0..50 {
        sas = sas_on_sc(lab);
        if sas.matches("ESTABLISHED").count() == 1 && sas.matches("INSTALLED").count() == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    sas
}

/// How many CHILD_SAs a `swanctl --list-sas` listing shows, in any state
/// (INSTALLED, REKEYED, DELETED, ...).
pub fn child_sa_count(listing: &str) -> usize {
    listing
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains(", reqid "))
        .count()
}

/// Like [`settle_to_one_sa_pair`], but also waits (up to 15 s) until no
/// replaced CHILD_SA is listed any more: strongSwan keeps the inbound half
/// of one it rekeyed for `delete_rekeyed_delay` (5 s), listed as DELETED.
/// Returns the last listing either way.
pub fn settle_to_no_leftovers(lab: &Lab) -> String {
    let mut sas = String::new();
    for _ in 0..75 {
        sas = sas_on_sc(lab);
        if sas.matches("ESTABLISHED").count() == 1
            && sas.matches("INSTALLED").count() == 1
            && child_sa_count(&sas) == 1
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    sas
}

/// Pings the lab's site over inner IPv4 once, with a 1 s wait.
pub fn site_answers(lab: &Lab) -> bool {
    lab.exec(
        "hotspot",
        "ping",
        &["-c", "1", "-W", "1", lab.get("LAB_SITE_ADDR4")],
    )
    .map(|out| out.status.success())
    .unwrap_or(false)
}

/// What a rogue SC's charon log says it received from us: every parsed
/// IKE_AUTH and INFORMATIONAL request's payload list.
pub fn parsed_requests(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            l.contains("parsed IKE_AUTH request") || l.contains("parsed INFORMATIONAL request")
        })
        .collect()
}
