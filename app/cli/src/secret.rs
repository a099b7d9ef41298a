//! Where a connection's password or pre-shared key comes from: a file
//! given on the command line, the user's OS keychain, or the terminal.
//! It is handed to the service for one attempt and wiped here after.

use std::io::IsTerminal;
use std::path::Path;

use softwire_api::Secret;
use softwire_platform::keychain::Keychain;
use zeroize::Zeroizing;

use crate::failure::Failure;

/// Reads a secret from a file ("-": standard input); the trailing
/// newline is dropped.
pub fn from_file(path: &Path) -> Result<Secret, Failure> {
    let bytes = Zeroizing::new(if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .map_err(|e| Failure::new(format!("cannot read standard input: {e}")))?;
        buf
    } else {
        std::fs::read(path)
            .map_err(|e| Failure::new(format!("cannot read {}: {e}", path.display())))?
    });
    let text = std::str::from_utf8(bytes.trim_ascii_end())
        .map_err(|_| Failure::new(format!("{} is not UTF-8 text", path.display())))?;
    if text.is_empty() {
        return Err(Failure::new(format!("{} is empty", path.display())));
    }
    Ok(Secret::new(text.to_owned()))
}

/// The secret for connecting `profile`: `file` if given, else the
/// keychain's, else asked on the terminal (not stored).
pub fn for_connect(profile: &str, file: Option<&Path>) -> Result<Secret, Failure> {
    if let Some(path) = file {
        return from_file(path);
    }
    let keychain_problem = match Keychain::for_profile(profile).and_then(|k| k.get()) {
        Ok(Some(stored)) => return Ok(Secret::new(String::from(stored.as_str()))),
        Ok(None) => format!("no password or key for \"{profile}\" in your keychain"),
        Err(e) => format!("the keychain could not be read: {e}"),
    };
    if !std::io::stdin().is_terminal() {
        return Err(Failure::new(keychain_problem).hint(format!(
            "store it: softwire password set \"{profile}\" (or give --secret-file FILE)"
        )));
    }
    ask(&format!(
        "{keychain_problem}.\nPassword or pre-shared key for \"{profile}\" (not stored): "
    ))
}

/// Asks on the terminal.
pub fn ask(prompt: &str) -> Result<Secret, Failure> {
    let text = rpassword::prompt_password(prompt)
        .map_err(|e| Failure::new(format!("no terminal to ask on ({e})")))?;
    if text.is_empty() {
        return Err(Failure::new("nothing entered"));
    }
    Ok(Secret::new(text))
}

/// Asks twice, for storing.
pub fn ask_twice(profile: &str) -> Result<Secret, Failure> {
    let first = ask(&format!("Password or pre-shared key for \"{profile}\": "))?;
    let again = ask("Again: ")?;
    if first != again {
        return Err(Failure::new("the two entries differ; nothing stored"));
    }
    Ok(first)
}

/// `softwire password set|clear PROFILE`.
#[allow(clippy::print_stdout)]
pub fn set(profile: &str, file: Option<&Path>) -> Result<(), Failure> {
    let secret = match file {
        Some(path) => from_file(path)?,
        None if std::io::stdin().is_terminal() => ask_twice(profile)?,
        None => {
            return Err(Failure::new("no terminal to ask for the password on")
                .hint("give it in a file: --from-file FILE (or - for standard input)"))
        }
    };
    keychain(profile)?
        .set(secret.expose())
        .map_err(|e| Failure::new(format!("could not store it: {e}")))?;
    println!("Stored the password for \"{profile}\" in your keychain.");
    Ok(())
}

/// Removes the stored secret.
#[allow(clippy::print_stdout)]
pub fn clear(profile: &str) -> Result<(), Failure> {
    let removed = keychain(profile)?
        .clear()
        .map_err(|e| Failure::new(format!("could not remove it: {e}")))?;
    if removed {
        println!("Removed the password for \"{profile}\" from your keychain.");
    } else {
        println!("Your keychain held no password for \"{profile}\".");
    }
    Ok(())
}

fn keychain(profile: &str) -> Result<Keychain, Failure> {
    Keychain::for_profile(profile).map_err(|e| Failure::new(format!("no keychain: {e}")))
}
