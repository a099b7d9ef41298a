//! The desktop app in a real window (Xvfb, WebKitGTK) against a real
//! `softwired` in the lab: a group member's app connects with
//! EAP-MSCHAPv2, the password typed once and then taken from a real Secret
//! Service keychain, shows the tunnel's virtual addresses, disconnects,
//! and shows the service's absence and return. Screenshots of the main
//! states go to docs/screenshots/ (linked from the README).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::time::Duration;

use fantoccini::Locator;
use softwire_lab::desktop::{repo_dir, DesktopApp};
use softwire_lab::lab::Lab;
use softwire_lab::service::{all_files, contains, eap_profile_toml, text, Service, TempRoot, User};

const LONG: Duration = Duration::from_secs(30);

/// What the service says about the connection, as JSON.
fn status_json(service: &Service) -> serde_json::Value {
    let out = service.cli_as_root(&["status", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Waits until the window's state is one of `states` (a disconnect leaves
/// the service's status at "down" without an error, shown as "Not
/// connected" like "idle").
async fn state_is(app: &DesktopApp, states: &[&str]) {
    let css: Vec<String> = states
        .iter()
        .map(|s| format!("#state[data-state=\"{s}\"]"))
        .collect();
    app.wait_for(&css.join(", "), LONG)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", std::fs::read_to_string(&app.log).unwrap()));
}

async fn click_profile_button(app: &DesktopApp, label: &str) {
    let profile = app.wait_for("[data-profile=\"Lab\"]", LONG).await.unwrap();
    let button = profile
        .find(Locator::XPath(&format!(
            ".//button[normalize-space(.)=\"{label}\"]"
        )))
        .await
        .unwrap_or_else(|e| panic!("no {label} button in the Lab profile: {e}"));
    button.click().await.unwrap();
}

#[test]
fn the_desktop_app_connects_with_the_keychain_and_shows_the_tunnel() {
    let lab = Lab::up().unwrap();
    let before = lab.snapshot("hotspot").unwrap();
    let root = TempRoot::new(&lab.id).unwrap();
    let base = 63_000 + (std::process::id() % 1000) * 2;
    let (member_id, group) = (base, base + 1);
    let member = User::new(&root.path, member_id, vec![group]).unwrap();
    let mut service = Some(Service::start(&lab, &root.path, group).unwrap());
    let file = member
        .write_file("lab.toml", eap_profile_toml(&lab).as_bytes())
        .unwrap();
    let out = member.cli(
        service.as_ref().unwrap(),
        &["profiles", "add", file.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    let password = std::fs::read_to_string(lab.get("LAB_EAP_PASSWORD_FILE"))
        .unwrap()
        .trim_end()
        .to_owned();
    let shots = repo_dir().join("docs/screenshots");
    let log = root.path.join("desktop.log");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app_log = runtime.block_on(async {
        let app = DesktopApp::start(&member, service.as_ref().unwrap(), &log)
            .await
            .unwrap();

        // The profile list, idle.
        state_is(&app, &["idle"]).await;
        app.screenshot(&shots, "1-profiles").await.unwrap();

        // Connect: the keychain is empty, so the app asks for the password.
        click_profile_button(&app, "Connect").await;
        let field = app.wait_for("[role=dialog] #password", LONG).await.unwrap();
        field.send_keys(&password).await.unwrap();
        let remember = app.wait_for("#remember", LONG).await.unwrap();
        assert_eq!(
            remember.prop("checked").await.unwrap().as_deref(),
            Some("true"),
            "\"Remember in the keychain\" is on by default"
        );
        app.screenshot(&shots, "2-password").await.unwrap();
        let submit = app
            .wait_for("[role=dialog] button[type=submit]", LONG)
            .await
            .unwrap();
        assert_eq!(submit.text().await.unwrap().trim(), "Connect");
        submit.click().await.unwrap();

        // Up: the window shows the addresses the service reports.
        state_is(&app, &["up"]).await;
        let status = status_json(service.as_ref().unwrap());
        assert_eq!(status["state"], "up", "{status}");
        let inner6 = status["inner_ipv6"]
            .as_str()
            .expect("an inner IPv6 address");
        let inner4 = status["inner_ipv4"]
            .as_str()
            .expect("an inner IPv4 address");
        let shown6 = app.text("[data-field=\"inner_ipv6\"]").await.unwrap();
        let shown4 = app.text("[data-field=\"inner_ipv4\"]").await.unwrap();
        println!("the window shows inner IPv6 {shown6}, IPv4 {shown4}");
        assert_eq!(shown6.trim(), inner6);
        assert_eq!(shown4.trim(), inner4);
        let sc = app.text("[data-field=\"sc\"]").await.unwrap();
        assert!(sc.contains(lab.get("LAB_SC_ADDR")), "SC shown as {sc:?}");
        app.screenshot(&shots, "3-connected").await.unwrap();

        // Traffic through the tunnel shows in the window's counters.
        let bytes_in = || async {
            let field = app
                .wait_for("[data-field=\"bytes_in\"]", LONG)
                .await
                .unwrap();
            let value = field.attr("data-value").await.unwrap().unwrap_or_default();
            value.parse::<u64>().unwrap_or(0)
        };
        let before_ping = bytes_in().await;
        let out = lab
            .exec(
                "hotspot",
                "ping",
                &["-c", "5", "-i", "0.2", "-W", "2", lab.get("LAB_SITE_ADDR4")],
            )
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        let deadline = std::time::Instant::now() + LONG;
        let mut after_ping = bytes_in().await;
        while after_ping <= before_ping && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(200)).await;
            after_ping = bytes_in().await;
        }
        println!("bytes in shown: {before_ping} before 5 pings, {after_ping} after");
        assert!(after_ping > before_ping);
        // The counters come every second: let the chart take the rest in.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let traffic = app
            .wait_for("[data-field=\"bytes_out\"]", LONG)
            .await
            .unwrap();
        app.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![serde_json::to_value(&traffic).unwrap()],
            )
            .await
            .unwrap();
        app.screenshot(&shots, "3-traffic").await.unwrap();

        // Disconnect.
        click_profile_button(&app, "Disconnect").await;
        state_is(&app, &["down", "idle"]).await;
        app.screenshot(&shots, "4-disconnected").await.unwrap();

        // Again: the password now comes from the keychain, no prompt.
        click_profile_button(&app, "Connect").await;
        state_is(&app, &["up"]).await;
        assert!(
            app.client
                .find_all(Locator::Css("[role=dialog] #password"))
                .await
                .unwrap()
                .is_empty(),
            "no password prompt the second time"
        );
        let shown6 = app.text("[data-field=\"inner_ipv6\"]").await.unwrap();
        assert_eq!(shown6.trim(), inner6);
        click_profile_button(&app, "Disconnect").await;
        state_is(&app, &["down", "idle"]).await;

        // The service goes away: the window says so; it comes back: the
        // window recovers by itself.
        drop(service.take());
        app.wait_for("#service-down", LONG).await.unwrap();
        let banner = app.text("#service-down").await.unwrap();
        println!("with the service stopped the window says: {banner}");
        assert!(banner.contains("not running"), "{banner}");
        app.screenshot(&shots, "5-service-down").await.unwrap();
        service = Some(Service::start(&lab, &root.path, group).unwrap());
        app.wait_gone("#service-down", LONG).await.unwrap();
        app.wait_for("[data-profile=\"Lab\"]", LONG).await.unwrap();

        app.close().await
    });
    println!("desktop app log:\n{app_log}");

    // Nothing of the user's is left running, the hotspot is as before,
    // and the password is nowhere in plain text.
    assert!(member.processes().is_empty(), "{:?}", member.processes());
    assert_eq!(lab.snapshot("hotspot").unwrap(), before);
    let service = service.take().unwrap();
    let mut places = all_files(&member.home);
    places.extend(all_files(&service.config_dir));
    places.extend(all_files(&service.state_dir));
    places.push((log.clone(), app_log.into_bytes()));
    places.push((service.log_file.clone(), service.log().into_bytes()));
    for (path, bytes) in &places {
        assert!(
            !contains(bytes, password.as_bytes()),
            "the password is in {}",
            path.display()
        );
    }
    println!(
        "searched {} files for the password: not found; screenshots in {}",
        places.len(),
        shots.display()
    );
}
