//! The `softwire` binary as a user meets it: help, profile errors that name
//! the field, a missing secret, an unreachable SC.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

fn softwire(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_softwire"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn profile(dir: &std::path::Path, body: &str) -> String {
    let path = dir.join("p.toml");
    std::fs::write(&path, body).unwrap();
    path.to_str().unwrap().to_owned()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("softwire-cli-test-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn help_lists_the_commands() {
    let (ok, text) = softwire(&["--help"]);
    assert!(ok);
    for command in [
        "connect",
        "disconnect",
        "status",
        "profiles",
        "logs",
        "password",
        "run",
        "probe",
    ] {
        assert!(text.contains(command), "{text}");
    }
}

#[test]
fn a_broken_profile_is_refused_naming_the_file_and_field() {
    let dir = temp_dir("broken");
    let path = profile(
        &dir,
        "name = \"x\"\n[sc]\naddress = \"198.51.100.1\"\n[auth]\nmethod = \"eap-mschapv2\"\nidentity = \"a@example.net\"\n",
    );
    let (ok, text) = softwire(&["run", &path, "--state-dir", dir.to_str().unwrap()]);
    assert!(!ok);
    assert!(text.contains(&path) && text.contains("`sc.ca`"), "{text}");
    let path = profile(&dir, "name = \"x\"\n[sc]\nadress = \"198.51.100.1\"\n");
    let (ok, text) = softwire(&["run", &path, "--state-dir", dir.to_str().unwrap()]);
    assert!(!ok);
    assert!(text.contains("adress"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn without_a_terminal_a_missing_secret_says_how_to_give_one() {
    let dir = temp_dir("secret");
    let path = profile(
        &dir,
        "name = \"x\"\n[sc]\naddress = \"198.51.100.1\"\n[auth]\nmethod = \"psk\"\nidentity = \"a@example.net\"\n",
    );
    let (ok, text) = softwire(&["run", &path, "--state-dir", dir.to_str().unwrap()]);
    assert!(!ok);
    assert!(text.contains("--secret-file"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn status_without_a_connection_says_so() {
    let dir = temp_dir("status");
    let (ok, text) = softwire(&["status", "--state-dir", dir.to_str().unwrap()]);
    assert!(!ok);
    assert!(text.contains("not connected"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn without_the_service_the_cli_says_how_to_start_it() {
    let dir = temp_dir("nosvc");
    let socket = dir.join("softwired.sock");
    let (ok, text) = softwire(&["--socket", socket.to_str().unwrap(), "status"]);
    assert!(!ok);
    assert!(
        text.contains("the Softwire service is not running"),
        "{text}"
    );
    assert!(text.contains("systemctl start softwired"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}
