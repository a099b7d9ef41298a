//! The service and its clients against the lab's strongSwan: `softwired`
//! runs in the hotspot namespace as root; the CLI runs as an unprivileged
//! user of the `softwire` group (ids set by setpriv) with its password in a
//! real Secret Service (gnome-keyring in a D-Bus session).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use softwire_lab::lab::Lab;
use softwire_lab::service::{all_files, contains, eap_profile_toml, text, Service, TempRoot, User};
use softwire_lab::traffic::{unix_now, Ping};

fn snapshot(lab: &Lab) -> String {
    lab.snapshot("hotspot").unwrap()
}

/// Ids for this test's users and group, distinct between parallel tests.
fn ids() -> (u32, u32, u32) {
    let base = 61_000 + (std::process::id() % 2000) * 4;
    (base, base + 1, base + 2) // member, outsider, the softwire group
}

fn password(lab: &Lab) -> String {
    std::fs::read_to_string(lab.get("LAB_EAP_PASSWORD_FILE"))
        .unwrap()
        .trim_end()
        .to_owned()
}

/// Two pings to the site through the tunnel (the status test counts them).
fn ping_site(lab: &Lab) {
    let target = lab.get("LAB_SITE_ADDR4");
    let out = lab
        .exec(
            "hotspot",
            "ping",
            &["-c", "2", "-W", "2", "-i", "0.2", target],
        )
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

/// A service started as root in the hotspot, with the lab profile added
/// and connected (the password from the lab's file).
fn connected_service(lab: &Lab, root: &TempRoot, group: u32) -> Service {
    let service = Service::start(lab, &root.path, group).unwrap();
    let profile = root.path.join("lab.toml");
    std::fs::write(&profile, eap_profile_toml(lab)).unwrap();
    let out = service.cli_as_root(&["profiles", "add", profile.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let out = service.cli_as_root(&[
        "connect",
        "Lab",
        "--secret-file",
        lab.get("LAB_EAP_PASSWORD_FILE"),
    ]);
    assert!(out.status.success(), "{}\n{}", text(&out), service.log());
    service
}

/// The documented strongSwan profile format (docs: "Android VPN client
/// profiles"), for the lab's SC, with its CA certificate inside.
fn sswan(lab: &Lab) -> String {
    let pem = std::fs::read_to_string(lab.get("LAB_CA_CERT_PEM")).unwrap();
    let base64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    format!(
        r#"{{
  "uuid": "f4b1e7a2-1c7e-4b7e-9d55-8d1a3c2f0e11",
  "name": "Lab import",
  "type": "ikev2-eap",
  "remote": {{
    "addr": "{}",
    "id": "{}",
    "cert": "{base64}"
  }},
  "local": {{
    "eap_id": "{}"
  }}
}}"#,
        lab.get("LAB_SC_ADDR"),
        lab.get("LAB_SC_ID"),
        lab.get("LAB_EAP_ID"),
    )
}

#[test]
fn a_group_member_connects_with_the_keychain_and_leaves_no_secret_behind() {
    let lab = Lab::up().unwrap();
    let before = snapshot(&lab);
    let root = TempRoot::new(&lab.id).unwrap();
    let (member_id, outsider_id, group) = ids();
    let member = User::new(&root.path, member_id, vec![group]).unwrap();
    let outsider = User::new(&root.path, outsider_id, vec![]).unwrap();
    let mut service = Service::start(&lab, &root.path, group).unwrap();
    let secret = password(&lab);

    // The member adds the profile and keeps the password in the keychain.
    let file = member
        .write_file("lab.toml", eap_profile_toml(&lab).as_bytes())
        .unwrap();
    let out = member.cli(&service, &["profiles", "add", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let pw_file = member.write_file("password", secret.as_bytes()).unwrap();
    let started = Instant::now();
    let out = member.in_keychain_session(
        &service,
        &format!(
            "\"$SOFTWIRE\" password set Lab --from-file {} && \"$SOFTWIRE\" connect Lab",
            pw_file.display()
        ),
    );
    let shown = text(&out);
    println!("{shown}");
    assert!(out.status.success(), "{shown}\n{}", service.log());
    for step in [
        "Stored the password for \"Lab\" in your keychain",
        "IKE_SA_INIT with",
        "authenticating (IKE_AUTH)",
        "configuring the tunnel",
        "Connected in",
        "inner IPv4:",
    ] {
        assert!(shown.contains(step), "no {step:?} in:\n{shown}");
    }
    println!(
        "keychain session, password stored and connected: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    // Nothing of the session is left running.
    assert_eq!(
        member.processes(),
        Vec::<u32>::new(),
        "processes left as uid {member_id}"
    );
    std::fs::remove_file(&pw_file).unwrap();

    ping_site(&lab);
    // The service's counters are refreshed every second.
    std::thread::sleep(Duration::from_millis(1500));
    let out = member.cli(&service, &["status"]);
    let status = text(&out);
    println!("{status}");
    assert!(out.status.success(), "{status}");
    assert!(status.contains("Lab: up"), "{status}");
    assert!(
        status.contains(&format!("({}:", lab.get("LAB_SC_ADDR"))),
        "{status}"
    );
    assert!(status.contains("packets-in"), "{status}");
    let out = member.cli(&service, &["status", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["state"], "up");
    assert!(json["inner_ipv4"].as_str().is_some(), "{json}");
    assert!(
        json["counters"]["packets-out"].as_u64().unwrap() >= 2,
        "{json}"
    );

    // Outside the group: refused with a message that says what to do.
    let out = outsider.cli(&service, &["status"]);
    let refusal = text(&out);
    println!("outsider: {refusal}");
    assert!(!out.status.success());
    assert!(
        refusal.contains(&format!(
            "uid {outsider_id} may not use the Softwire service"
        )),
        "{refusal}"
    );
    assert!(refusal.contains("usermod -aG"), "{refusal}");
    // Root is served.
    let out = service.cli_as_root(&["status"]);
    assert!(
        out.status.success() && text(&out).contains("Lab: up"),
        "{}",
        text(&out)
    );

    let out = member.cli(&service, &["disconnect"]);
    assert!(text(&out).contains("Disconnected."), "{}", text(&out));
    assert_eq!(snapshot(&lab), before, "the hotspot's network changed");

    // The strongSwan profile: imports, connects; a broken one is refused.
    let good = member
        .write_file("lab.sswan", sswan(&lab).as_bytes())
        .unwrap();
    let out = member.cli(&service, &["profiles", "import", good.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Saved the profile \"Lab import\""),
        "{}",
        text(&out)
    );
    let broken = sswan(&lab).replace("\"addr\"", "\"adress\"");
    let broken = member
        .write_file("broken.sswan", broken.as_bytes())
        .unwrap();
    let out = member.cli(&service, &["profiles", "import", broken.to_str().unwrap()]);
    let refusal = text(&out);
    println!("broken .sswan: {refusal}");
    assert!(!out.status.success());
    assert!(refusal.contains("\"remote.addr\" is missing"), "{refusal}");
    let pw_file = member.write_file("password", secret.as_bytes()).unwrap();
    let out = member.cli(
        &service,
        &[
            "connect",
            "Lab import",
            "--secret-file",
            pw_file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}\n{}", text(&out), service.log());
    std::fs::remove_file(&pw_file).unwrap();
    ping_site(&lab);
    let out = member.cli(&service, &["disconnect"]);
    assert!(text(&out).contains("Disconnected."), "{}", text(&out));
    assert_eq!(snapshot(&lab), before);

    // No trace of the password: profiles, state, the log (file and API),
    // the service's environment.
    let logs = member.cli(&service, &["logs", "-n", "1000"]);
    assert!(
        text(&logs).contains("asked to connect \"Lab\""),
        "{}",
        text(&logs)
    );
    let needle = secret.as_bytes();
    let mut searched = vec![
        ("softwire logs".to_owned(), logs.stdout.clone()),
        ("service log".to_owned(), service.log().into_bytes()),
        ("environment".to_owned(), service.environment()),
    ];
    for dir in [&service.config_dir, &service.state_dir] {
        searched.extend(
            all_files(dir)
                .into_iter()
                .map(|(p, b)| (p.display().to_string(), b)),
        );
    }
    assert!(
        searched.len() >= 6,
        "{:?}",
        searched.iter().map(|s| &s.0).collect::<Vec<_>>()
    );
    for (place, bytes) in &searched {
        assert!(!contains(bytes, needle), "the password is in {place}");
    }
    println!(
        "searched {} places; no trace of the password",
        searched.len()
    );
    let exit = service
        .signal_and_wait("TERM", Duration::from_secs(15))
        .unwrap();
    assert!(exit.success());
    assert!(!service.socket.exists(), "the socket was left behind");
}

/// Reads one line (a server message) with a timeout; None at EOF or on
/// error.
fn read_message(
    reader: &mut BufReader<UnixStream>,
    timeout: Duration,
) -> Option<serde_json::Value> {
    reader.get_ref().set_read_timeout(Some(timeout)).unwrap();
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => serde_json::from_str(&line).ok(),
    }
}

#[allow(clippy::indexing_slicing)]
fn open(service: &Service) -> BufReader<UnixStream> {
    let mut r = BufReader::new(UnixStream::connect(&service.socket).unwrap());
    let welcome = read_message(&mut r, Duration::from_secs(5)).unwrap();
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    r
}

#[allow(clippy::indexing_slicing)]
fn error_code(message: &serde_json::Value) -> &str {
    message["error"]["code"].as_str().unwrap_or("(none)")
}

#[test]
fn bad_clients_get_errors_and_the_tunnel_keeps_going() {
    let lab = Lab::up().unwrap();
    let root = TempRoot::new(&lab.id).unwrap();
    let (_, _, group) = ids();
    let service = connected_service(&lab, &root, group);
    let ping = Ping::start(&lab, "hotspot", lab.get("LAB_SITE_ADDR4"), "0.05").unwrap();
    let from = unix_now();
    assert!(ping.wait_reply_after(from, Duration::from_secs(5)));
    let rss_before = service.rss_kb();

    // Not JSON: an error, and the connection still serves.
    let mut c = open(&service);
    c.get_mut().write_all(b"{this is not json\n").unwrap();
    let m = read_message(&mut c, Duration::from_secs(5)).unwrap();
    assert_eq!(error_code(&m), "malformed", "{m}");
    c.get_mut()
        .write_all(b"{\"id\":2,\"request\":{\"type\":\"status\"}}\n")
        .unwrap();
    let m = read_message(&mut c, Duration::from_secs(5)).unwrap();
    assert_eq!(m["reply"]["status"]["state"], "up", "{m}");
    // An unknown request: named in the error, with its id.
    c.get_mut()
        .write_all(b"{\"id\":3,\"request\":{\"type\":\"format_disk\"}}\n")
        .unwrap();
    let m = read_message(&mut c, Duration::from_secs(5)).unwrap();
    assert_eq!(
        (error_code(&m), m["id"].as_u64()),
        ("unknown_request", Some(3)),
        "{m}"
    );
    assert!(m["error"]["message"]
        .as_str()
        .unwrap()
        .contains("format_disk"));
    drop(c);

    // Oversized: refused and closed before it is all read.
    let mut c = open(&service);
    let big = vec![b'a'; 1 << 20];
    let _ = c.get_mut().write_all(&big); // the service may close mid-way
    let m = read_message(&mut c, Duration::from_secs(5)).unwrap();
    assert_eq!(error_code(&m), "too_large", "{m}");
    assert!(
        read_message(&mut c, Duration::from_secs(5)).is_none(),
        "still open"
    );
    drop(c);

    // Slow loris: half a request, then nothing.
    let mut c = open(&service);
    c.get_mut().write_all(b"{\"id\":1,").unwrap();
    let t = Instant::now();
    let m = read_message(&mut c, Duration::from_secs(30)).unwrap();
    let slow_closed = t.elapsed();
    assert_eq!(error_code(&m), "timeout", "{m}");
    assert!(
        read_message(&mut c, Duration::from_secs(5)).is_none(),
        "still open"
    );
    drop(c);

    // 1,000 connections at once.
    let t = Instant::now();
    let mut streams: Vec<UnixStream> = Vec::new();
    let mut refused_at_connect = 0;
    for _ in 0..1000 {
        match UnixStream::connect(&service.socket) {
            Ok(s) => streams.push(s),
            Err(_) => refused_at_connect += 1,
        }
    }
    let (mut welcomed, mut busy, mut closed) = (0, 0, 0);
    for s in streams.iter_mut() {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 512];
        match s.read(&mut buf) {
            Ok(0) | Err(_) => closed += 1,
            Ok(n) => {
                let text = String::from_utf8_lossy(&buf[..n]);
                if text.contains("\"welcome\"") {
                    welcomed += 1;
                } else if text.contains("\"busy\"") {
                    busy += 1;
                } else {
                    panic!("unexpected: {text}");
                }
            }
        }
    }
    println!(
        "1000 connections in {:.2} s: {welcomed} welcomed, {busy} told busy, {closed} closed, {refused_at_connect} refused at connect",
        t.elapsed().as_secs_f64()
    );
    assert!(welcomed <= softwire_service::MAX_CLIENTS, "{welcomed}");
    assert_eq!(welcomed + busy + closed + refused_at_connect, 1000);
    assert!(busy > 0);
    drop(streams);

    // Still serving, still up.
    let mut c = open(&service);
    c.get_mut()
        .write_all(b"{\"id\":9,\"request\":{\"type\":\"status\"}}\n")
        .unwrap();
    let m = read_message(&mut c, Duration::from_secs(5)).unwrap();
    assert_eq!(m["reply"]["status"]["state"], "up", "{m}");
    drop(c);
    let rss_after = service.rss_kb();
    let to = unix_now();
    let pings = ping.stop();
    let gap = pings.gap(from, to);
    println!(
        "softwired RSS {rss_before} kB before, {rss_after} kB after the abuse; slow client closed after {:.1} s; \
         ping: {} sent, {} lost, longest gap {}",
        slow_closed.as_secs_f64(),
        pings.transmitted,
        pings.lost(),
        gap.map(|g| g.to_string()).unwrap_or_else(|| "none".into())
    );
    assert!(pings.transmitted >= 50, "{}", pings.transmitted);
    assert!(pings.lost() <= 2, "{} pings lost", pings.lost());
    assert!(gap.is_none_or(|g| g.seconds < 1.0), "{gap:?}");
    assert!(
        rss_after < rss_before + 32 * 1024,
        "{rss_before} -> {rss_after} kB"
    );
    assert!(service.cli_as_root(&["disconnect"]).status.success());
}

#[test]
fn a_killed_service_is_cleaned_up_when_it_starts_again() {
    let lab = Lab::up().unwrap();
    let before = snapshot(&lab);
    let root = TempRoot::new(&lab.id).unwrap();
    let (_, _, group) = ids();
    let mut service = connected_service(&lab, &root, group);
    let secret = lab.get("LAB_EAP_PASSWORD_FILE");
    ping_site(&lab);

    // A crash: no DELETE, no undo.
    let exit = service
        .signal_and_wait("KILL", Duration::from_secs(5))
        .unwrap();
    assert!(!exit.success());
    let crashed = snapshot(&lab);
    assert_ne!(
        crashed, before,
        "the killed service left nothing to clean up?"
    );

    // The next start undoes what was left, before serving.
    let mut service = Service::start(&lab, &root.path, group).unwrap();
    assert_eq!(snapshot(&lab), before, "leftovers after the restart");
    assert!(
        service.log().contains("did not stop cleanly"),
        "{}",
        service.log()
    );
    let out = service.cli_as_root(&["connect", "Lab", "--secret-file", secret]);
    assert!(out.status.success(), "{}\n{}", text(&out), service.log());
    ping_site(&lab);
    let out = service.cli_as_root(&["disconnect"]);
    assert!(text(&out).contains("Disconnected."), "{}", text(&out));
    assert_eq!(snapshot(&lab), before);
    assert!(service
        .signal_and_wait("TERM", Duration::from_secs(15))
        .unwrap()
        .success());
}
