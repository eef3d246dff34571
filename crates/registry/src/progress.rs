//! Transfer progress: an `indicatif` bar on an interactive terminal, nothing otherwise
//! (CI logs and controllers get no escape sequences).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A byte-progress reporter shared by concurrent transfers. Cheap to clone.
#[derive(Clone, Default)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A reporter that shows nothing (for controllers and tests).
    pub fn hidden() -> Progress {
        Progress { bar: None }
    }

    /// A bar on stderr labelled `message` when stderr is a terminal, hidden otherwise.
    pub fn for_terminal(message: &str) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let bar = ProgressBar::new(0);
        if let Ok(style) = ProgressStyle::with_template(
            "{msg:30} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message.to_string());
        Progress { bar: Some(bar) }
    }

    /// Announces `bytes` more to transfer.
    pub fn add_total(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc_length(bytes);
        }
    }

    /// Records `bytes` transferred.
    pub fn advance(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
