//! Desktop notifications: when a connection fails, is lost and
//! reconnecting, is up again after a reconnect, and when the service goes
//! away. Only with `settings.notifications`; a failure to notify (no
//! notification server on the bus, say) is logged once and never fatal.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use softwire_api::Step;
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;

use crate::state::{lock, AppState};
use crate::warn;

/// What the notifications remember between events.
#[derive(Debug, Default)]
pub struct Notifier {
    /// A reconnect is under way (its first attempt was announced).
    reconnecting: Mutex<bool>,
    /// A failure to notify was logged already.
    failure_logged: AtomicBool,
}

/// One notification's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The headline.
    pub title: String,
    /// The details.
    pub body: String,
}

/// What to tell the user about `step` of `profile`'s connection, if
/// anything. `reconnecting` carries whether a reconnect was announced.
pub fn notice_for(profile: &str, step: &Step, reconnecting: &mut bool) -> Option<Notice> {
    match step {
        Step::Reconnecting { reason, .. } => {
            let first = !*reconnecting;
            *reconnecting = true;
            first.then(|| Notice {
                title: format!("{profile}: connection lost"),
                body: format!("Reconnecting, the tunnel kept in place ({reason})."),
            })
        }
        Step::Up { .. } => std::mem::take(reconnecting).then(|| Notice {
            title: format!("{profile}: connected again"),
            body: "The tunnel is up again.".to_owned(),
        }),
        Step::Down { error, hint, .. } => {
            *reconnecting = false;
            let error = error.as_ref()?;
            let body = match hint {
                Some(hint) => format!("{error}\n{hint}"),
                None => error.clone(),
            };
            Some(Notice {
                title: format!("{profile}: disconnected"),
                body,
            })
        }
        _ => None,
    }
}

/// Notifies about a step of a connection, when it deserves it.
pub fn on_step(app: &AppHandle, profile: &str, step: &Step) {
    let state = app.state::<AppState>();
    let notice = notice_for(profile, step, &mut lock(&state.notifier.reconnecting));
    if let Some(notice) = notice {
        show(app, notice);
    }
}

/// Notifies that the service went away.
pub fn service_lost(app: &AppHandle, why: &str) {
    show(
        app,
        Notice {
            title: "Softwire service stopped".to_owned(),
            body: why.to_owned(),
        },
    );
}

/// Notifies that something the user asked from the tray failed.
pub fn failed(app: &AppHandle, what: &str, why: &str) {
    show(
        app,
        Notice {
            title: what.to_owned(),
            body: why.to_owned(),
        },
    );
}

/// Shows `notice` if the user wants notifications; off the caller's
/// thread, since asking the session bus blocks.
pub fn show(app: &AppHandle, notice: Notice) {
    if !app.state::<AppState>().settings().notifications {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        if let Err(e) = deliver(&app, &notice) {
            let state = app.state::<AppState>();
            if !state.notifier.failure_logged.swap(true, Ordering::Relaxed) {
                warn!("cannot show notifications: {e} (further failures are not logged)");
            }
        }
    });
}

fn deliver(app: &AppHandle, notice: &Notice) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    if !crate::bus::name_present(crate::bus::NOTIFICATIONS, true)? {
        return Err(format!(
            "no notification server ({}) on the session bus",
            crate::bus::NOTIFICATIONS
        ));
    }
    app.notification()
        .builder()
        .title(&notice.title)
        .body(&notice.body)
        .show()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use softwire_api::{DownReason, Status};

    fn reconnecting(attempt: u32) -> Step {
        Step::Reconnecting {
            attempt,
            next_in_s: 1.0,
            reason: "the SC stopped answering".into(),
        }
    }

    #[test]
    fn a_reconnect_is_told_once_and_its_end() {
        let mut flag = false;
        let n = notice_for("Office", &reconnecting(1), &mut flag).unwrap();
        assert!(n.title.contains("connection lost"), "{n:?}");
        assert!(n.body.contains("stopped answering"), "{n:?}");
        assert_eq!(notice_for("Office", &reconnecting(2), &mut flag), None);
        let up = Step::Up {
            status: Box::new(Status::default()),
        };
        let n = notice_for("Office", &up, &mut flag).unwrap();
        assert!(n.title.contains("connected again"), "{n:?}");
        // A first connection is not news.
        assert_eq!(notice_for("Office", &up, &mut flag), None);
    }

    #[test]
    fn failures_are_told_and_a_users_disconnect_is_not() {
        let mut flag = true;
        let down = Step::Down {
            error: Some("the SC refused the password".into()),
            hint: Some("check it".into()),
            reason: Some(DownReason::Authentication),
            up_for_s: None,
        };
        let n = notice_for("Office", &down, &mut flag).unwrap();
        assert_eq!(n.title, "Office: disconnected");
        assert_eq!(n.body, "the SC refused the password\ncheck it");
        assert!(!flag);
        let by_user = Step::Down {
            error: None,
            hint: None,
            reason: None,
            up_for_s: Some(42.0),
        };
        assert_eq!(notice_for("Office", &by_user, &mut flag), None);
        assert_eq!(notice_for("Office", &Step::Authenticating, &mut flag), None);
    }
}
