//! What the CLI prints when a command fails: what happened and, when there
//! is something to do, what to do next.

use softwire_api::{ApiError, ClientError};

/// A failed command.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong.
    pub message: String,
    /// What to do next.
    pub hint: Option<String>,
}

impl Failure {
    /// A failure without a hint.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
        }
    }

    /// Adds what to do next.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Prints it to standard error.
    #[allow(clippy::print_stderr)]
    pub fn print(&self) {
        eprintln!("softwire: {}", self.message);
        if let Some(h) = &self.hint {
            eprintln!("  what to do: {h}");
        }
    }
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        let hint = e.hint();
        let message = match &e {
            ClientError::Api(a) | ClientError::Refused(a) => a.message.clone(),
            _ => e.to_string(),
        };
        Self { message, hint }
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Self {
            message: e.message,
            hint: e.hint,
        }
    }
}
