//! Kubernetes Events on the objects users look at (`kubectl describe
//! module NAME`, `kubectl get events`): a module that becomes ready,
//! fails, is enabled or disabled; ModuleConfig settings that are refused;
//! a ModuleRelease that changes phase. Flux's controllers record the same
//! moments; DKP's users otherwise read them from the controller's log.
//!
//! Events are written with kube-runtime's recorder (`events.k8s.io/v1`,
//! reporting controller `deckmod`, instance `$POD_NAME` or the host name):
//! a repeat of the same event within its cache time becomes a series on
//! one object instead of a new one, and the cache drops entries older than
//! that, so it stays small in a process that runs for weeks. An event
//! that cannot be written is logged and dropped: events are a courtesy,
//! never a reason for a task to fail. Notes are the same texts the status
//! shows (hook and render errors), which never hold credentials.

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};

/// Longest note written; the API server refuses notes over 1 KiB.
const MAX_NOTE: usize = 1024;

/// Whether an event reports trouble.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Something went as it should.
    Normal,
    /// Something failed or was refused.
    Warning,
}

/// The object an event is about.
#[derive(Clone, Debug)]
pub struct Regarding<'a> {
    /// `apiVersion`.
    pub api_version: &'a str,
    /// `kind`.
    pub kind: &'a str,
    /// Name (the DKP objects are cluster-scoped).
    pub name: &'a str,
    /// `metadata.uid`: `kubectl describe` finds an object's events by it.
    pub uid: Option<&'a str>,
}

/// What happened.
#[derive(Clone, Debug)]
pub struct Happening<'a> {
    /// Normal or Warning.
    pub severity: Severity,
    /// A CamelCase reason (`ModuleReady`, `SettingsRefused`, …).
    pub reason: &'a str,
    /// What the operator was doing (`Converge`, `Validate`, `Release`).
    pub action: &'a str,
    /// The human text.
    pub note: &'a str,
}

/// Writes events.
#[derive(Clone)]
pub struct EventRecorder {
    recorder: Recorder,
}

impl EventRecorder {
    /// A recorder over `client`.
    pub fn new(client: kube::Client) -> EventRecorder {
        let reporter = Reporter {
            controller: "deckmod".into(),
            instance: std::env::var("POD_NAME").ok().filter(|n| !n.is_empty()),
        };
        let reporter = match reporter.instance {
            Some(_) => reporter,
            None => Reporter::from("deckmod"),
        };
        EventRecorder {
            recorder: Recorder::new(client, reporter),
        }
    }

    /// Record `what` about `regarding`; a failure is logged, not returned.
    pub async fn record(&self, regarding: &Regarding<'_>, what: &Happening<'_>) {
        let reference = ObjectReference {
            api_version: Some(regarding.api_version.to_string()),
            kind: Some(regarding.kind.to_string()),
            name: Some(regarding.name.to_string()),
            uid: regarding.uid.map(str::to_string),
            ..Default::default()
        };
        let event = Event {
            type_: match what.severity {
                Severity::Normal => EventType::Normal,
                Severity::Warning => EventType::Warning,
            },
            reason: what.reason.to_string(),
            note: Some(truncate(what.note, MAX_NOTE)).filter(|n| !n.is_empty()),
            action: what.action.to_string(),
            secondary: None,
        };
        if let Err(e) = self.recorder.publish(&event, &reference).await {
            tracing::warn!(
                kind = regarding.kind,
                name = regarding.name,
                reason = what.reason,
                "cannot record the event: {e}"
            );
        }
    }
}

/// `text` cut to at most `max` bytes at a character boundary, marked with
/// an ellipsis when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn long_notes_are_cut_at_a_character_boundary() {
        assert_eq!(truncate("short", 1024), "short");
        let long = "é".repeat(600);
        let cut = truncate(&long, 1024);
        assert!(cut.len() <= 1024, "{}", cut.len());
        assert!(cut.ends_with('…'));
        assert!(cut.starts_with("éé"));
    }
}
