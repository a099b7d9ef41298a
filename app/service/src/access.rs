//! Who may use the service: root, and members of one group (by default
//! `softwire`), judged by the kernel's peer credentials of the socket,
//! never by anything the client says.

use softwire_api::{ApiError, ErrorCode};
use softwire_platform::peer::{group_id, user_name, PeerCredentials};

/// The access rule.
#[derive(Debug, Clone)]
pub struct Access {
    /// The group's name, for messages.
    group_name: String,
    /// Its id; `None` when it does not exist (then only root is served).
    gid: Option<u32>,
}

impl Access {
    /// The rule for `group` (a name or a numeric id). The second value is
    /// a warning when the group does not exist.
    pub fn new(group: &str) -> (Self, Option<String>) {
        let gid = group_id(group).ok().flatten();
        let warning = gid.is_none().then(|| {
            format!("group \"{group}\" does not exist: only root may use the service (create it with: groupadd --system {group})")
        });
        (
            Self {
                group_name: group.to_owned(),
                gid,
            },
            warning,
        )
    }

    /// Whether `peer` may use the service; the refusal says why and what
    /// to do.
    pub fn check(&self, peer: &PeerCredentials) -> Result<(), ApiError> {
        if peer.uid == 0 {
            return Ok(());
        }
        if let Some(gid) = self.gid {
            if peer.gid == gid || peer.groups.contains(&gid) {
                return Ok(());
            }
        }
        let who = match user_name(peer.uid) {
            Some(name) => format!("user \"{name}\" (uid {})", peer.uid),
            None => format!("uid {}", peer.uid),
        };
        let user = user_name(peer.uid).unwrap_or_else(|| "USER".to_owned());
        Err(ApiError::new(
            ErrorCode::NotAllowed,
            format!(
                "{who} may not use the Softwire service: only root and members of the group \"{}\" may",
                self.group_name
            ),
        )
        .with_hint(format!(
            "ask an administrator to run: sudo usermod -aG {} {user}; then log in again",
            self.group_name
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(uid: u32, gid: u32, groups: Vec<u32>) -> PeerCredentials {
        PeerCredentials {
            uid,
            gid,
            pid: None,
            groups,
        }
    }

    #[test]
    fn root_and_members_only() {
        let (access, warning) = Access::new("64123");
        assert!(warning.is_none());
        assert!(access.check(&peer(0, 0, vec![])).is_ok());
        assert!(access.check(&peer(64100, 64100, vec![64123])).is_ok());
        assert!(access.check(&peer(64100, 64123, vec![])).is_ok());
        let e = access.check(&peer(64100, 64100, vec![5, 6])).unwrap_err();
        assert_eq!(e.code, ErrorCode::NotAllowed);
        assert!(e.message.contains("uid 64100"), "{}", e.message);
        assert!(e.hint.unwrap().contains("usermod -aG 64123"));
    }

    #[test]
    fn missing_group_leaves_root_only() {
        let (access, warning) = Access::new("no-such-group-softwire-test");
        assert!(warning.unwrap().contains("only root"));
        assert!(access.check(&peer(0, 0, vec![])).is_ok());
        assert!(access.check(&peer(1, 1, vec![1])).is_err());
    }
}
