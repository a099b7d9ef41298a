//! Profile names: the service stores a profile as `NAME.toml`, so a name
//! must make a plain file name on every OS. Clients check with the same
//! rules before they send (the desktop app's editor says so as the user
//! types); the service checks again.

/// The longest profile name, in characters.
pub const MAX_PROFILE_NAME: usize = 64;

/// What is wrong with `name` as a profile name, if anything: it must be
/// letters, digits, space and `-_.@+()`, not start with a dot or space,
/// not end with a space or dot, and be at most [`MAX_PROFILE_NAME`]
/// characters.
pub fn profile_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("must not be empty".to_owned());
    }
    if name.chars().count() > MAX_PROFILE_NAME {
        return Some(format!(
            "must be at most {MAX_PROFILE_NAME} characters long"
        ));
    }
    if name.starts_with(['.', ' ']) || name.ends_with([' ', '.']) {
        return Some("must not start or end with a dot or space".to_owned());
    }
    name.chars()
        .find(|c| !(c.is_alphanumeric() || " -_.@+()".contains(*c)))
        .map(|c| format!("must not contain {c:?}: use letters, digits, spaces and - _ . @ + ( )"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_make_plain_file_names_everywhere() {
        for good in ["Office", "Home VPN (backup)", "Büro", "a.b@c+d_e-f"] {
            assert_eq!(profile_name_problem(good), None, "{good:?}");
        }
        for bad in [
            "", ".hidden", " lead", "trail ", "dot.", "a/b", "../x", "a\\b", "x\n", "a:b",
        ] {
            assert!(profile_name_problem(bad).is_some(), "{bad:?}");
        }
        assert_eq!(profile_name_problem(&"x".repeat(MAX_PROFILE_NAME)), None);
        let long = profile_name_problem(&"x".repeat(MAX_PROFILE_NAME + 1)).unwrap();
        assert!(long.contains("at most 64"), "{long}");
    }
}
