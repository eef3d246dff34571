//! Kubernetes Events on the objects users look at (`kubectl describe
//! module NAME`, `kubectl get events`): a module that becomes ready,
//! fails, is enabled or disabled; ModuleConfig settings that are refused;
//! a ModuleRelease that changes phase. Flux's controllers record the same
//! moments; DKP's users otherwise read them from the controller's log.
//!
//! Events are core/v1 Events, as client-go's recorder writes them (the DKP
//! controllers' way): an event about a cluster-scoped object lives in the
//! `default` namespace with an empty `involvedObject.namespace`, which is
//! what `kubectl describe` searches for. kube-runtime's recorder writes
//! `events.k8s.io/v1` Events, whose validation (1.20 at least) refuses
//! that pair, so cluster-scoped objects could get no events from it. As
//! client-go's correlator does, a repeat of the same event within
//! [`REPEAT_WINDOW`] raises the `count` of the first one instead of making
//! a new object; the cache of recent events forgets what is older, so it
//! stays small in a process that runs for weeks. An event that cannot be
//! written is logged and dropped: events are a courtesy, never a reason
//! for a task to fail. Notes are the same texts the status shows (hook and
//! render errors), which never hold credentials.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

/// Longest note written; the API server refuses notes over 1 KiB.
const MAX_NOTE: usize = 1024;

/// A repeat within this time counts on the earlier event.
pub const REPEAT_WINDOW: Duration = Duration::from_secs(600);

/// Where events about cluster-scoped objects live.
const EVENT_NAMESPACE: &str = "default";

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
    api: Api<Event>,
    instance: String,
    /// Recent events by what makes them the same: their name, count and
    /// when they were last seen.
    recent: Arc<Mutex<HashMap<EventKey, Recent>>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct EventKey {
    kind: String,
    name: String,
    uid: String,
    reason: String,
    note: String,
}

#[derive(Clone, Debug)]
struct Recent {
    name: String,
    count: i32,
    seen: Instant,
}

impl EventRecorder {
    /// A recorder over `client`; the reporting instance is `$POD_NAME`,
    /// else the host name.
    pub fn new(client: kube::Client) -> EventRecorder {
        let instance = std::env::var("POD_NAME")
            .ok()
            .filter(|n| !n.is_empty())
            .or_else(|| {
                std::fs::read_to_string("/proc/sys/kernel/hostname")
                    .ok()
                    .map(|h| h.trim().to_string())
                    .filter(|h| !h.is_empty())
            })
            .unwrap_or_else(|| "deckmod".into());
        EventRecorder {
            api: Api::namespaced(client, EVENT_NAMESPACE),
            instance,
            recent: Arc::default(),
        }
    }

    /// Record `what` about `regarding`; a failure is logged, not returned.
    pub async fn record(&self, regarding: &Regarding<'_>, what: &Happening<'_>) {
        let note = truncate(what.note, MAX_NOTE);
        let key = EventKey {
            kind: regarding.kind.to_string(),
            name: regarding.name.to_string(),
            uid: regarding.uid.unwrap_or_default().to_string(),
            reason: what.reason.to_string(),
            note: note.clone(),
        };
        let now = Instant::now();
        let repeat = {
            let mut recent = self.recent.lock().expect("recent events lock");
            recent.retain(|_, r| now.duration_since(r.seen) < REPEAT_WINDOW);
            recent.get_mut(&key).map(|r| {
                r.count = r.count.saturating_add(1);
                r.seen = now;
                (r.name.clone(), r.count)
            })
        };
        let stamp = Timestamp::now();
        let result = match repeat {
            Some((name, count)) => {
                let patch = json!({"count": count, "lastTimestamp": Time(stamp)});
                let patched = self
                    .api
                    .patch(&name, &PatchParams::default(), &Patch::Merge(patch))
                    .await;
                if patched.is_err() {
                    // Gone (the API server's event TTL) or refused: the
                    // next repeat makes a new event.
                    self.recent.lock().expect("recent events lock").remove(&key);
                }
                patched.map(|_| ())
            }
            None => {
                let name = format!("{}.{:x}", regarding.name, stamp.as_nanosecond());
                let event = self.event(&name, regarding, what, note, stamp);
                let created = self.api.create(&PostParams::default(), &event).await;
                if created.is_ok() {
                    let recent = Recent {
                        name,
                        count: 1,
                        seen: now,
                    };
                    self.recent
                        .lock()
                        .expect("recent events lock")
                        .insert(key, recent);
                }
                created.map(|_| ())
            }
        };
        if let Err(e) = result {
            tracing::warn!(
                kind = regarding.kind,
                name = regarding.name,
                reason = what.reason,
                "cannot record the event: {e}"
            );
        }
    }

    /// A new event named `name`, seen once at `stamp`.
    fn event(
        &self,
        name: &str,
        regarding: &Regarding<'_>,
        what: &Happening<'_>,
        note: String,
        stamp: Timestamp,
    ) -> Event {
        Event {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                namespace: Some(EVENT_NAMESPACE.to_string()),
                ..Default::default()
            },
            involved_object: ObjectReference {
                api_version: Some(regarding.api_version.to_string()),
                kind: Some(regarding.kind.to_string()),
                name: Some(regarding.name.to_string()),
                uid: regarding.uid.map(str::to_string),
                ..Default::default()
            },
            reason: Some(what.reason.to_string()),
            action: Some(what.action.to_string()),
            message: Some(note),
            type_: Some(
                match what.severity {
                    Severity::Normal => "Normal",
                    Severity::Warning => "Warning",
                }
                .to_string(),
            ),
            source: Some(EventSource {
                component: Some("deckmod".into()),
                host: Some(self.instance.clone()),
            }),
            reporting_component: Some("deckmod".into()),
            reporting_instance: Some(self.instance.clone()),
            first_timestamp: Some(Time(stamp)),
            last_timestamp: Some(Time(stamp)),
            count: Some(1),
            ..Default::default()
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
