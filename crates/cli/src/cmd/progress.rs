//! Transfer progress of the registry commands: an `indicatif` bar on an interactive terminal,
//! nothing otherwise (CI logs get no escape sequences).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A byte-progress bar on stderr, shown only when stderr is a terminal.
pub struct TerminalProgress {
    bar: Option<ProgressBar>,
}

impl TerminalProgress {
    /// A bar labelled `message` when stderr is a terminal, a silent reporter otherwise.
    pub fn new(message: &str) -> TerminalProgress {
        if !std::io::stderr().is_terminal() {
            return TerminalProgress { bar: None };
        }
        let bar = ProgressBar::new(0);
        if let Ok(style) = ProgressStyle::with_template(
            "{msg:30} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message.to_string());
        TerminalProgress { bar: Some(bar) }
    }

    /// Removes the bar (before the command prints its result).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl registry::Progress for TerminalProgress {
    fn add_total(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc_length(bytes);
        }
    }

    fn advance(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }
}
