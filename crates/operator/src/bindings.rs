//! The snapshot of one kubernetes binding of one hook, fed by shared
//! watches: what the binding holds (the jqFilter result and, unless
//! `keepFullObjectsInMemory: false`, the object), and which changes make
//! the hook run.
//!
//! A binding may follow several watches (one per namespace it names);
//! each is tracked on its own. The first complete list of all of them is
//! the binding's Synchronization. A later relist (a restarted watch) is
//! compared with what the binding holds and reported as the events it
//! implies. `Modified` is reported only when the checksum of what the
//! binding keeps (the filter result, else the object) changed.

use std::collections::BTreeMap;
use std::hash::{Hash as _, Hasher as _};
use std::sync::Arc;

use hooks::config::{LoadedConfig, WatchEventType};
use hooks::context::{ContextError, ObjectAndFilterResult, make_item_of};
use serde_json::Value;

use crate::watch::WatchEvent;

/// What a watch event means for the hook.
#[derive(Clone, Debug, PartialEq)]
pub enum BindingChange {
    /// Every watch of the binding has listed once.
    Synchronized,
    /// An object entered, changed in what the binding keeps, or left.
    Event(WatchEventType, Arc<Value>),
}

/// What a relist collected for one object: checksum, item, and the
/// object only when the relist will report it (it is new or changed in
/// what the binding keeps). The first list reports nothing, so it keeps
/// no object: a binding over many large objects never holds them all.
type Relisted = (u64, ObjectAndFilterResult, Option<Arc<Value>>);

#[derive(Default)]
struct Part {
    items: BTreeMap<String, (u64, ObjectAndFilterResult)>,
    relist: Option<BTreeMap<String, Relisted>>,
    listed_once: bool,
}

/// One binding's state.
pub struct BindingState {
    /// The binding name.
    pub binding: String,
    /// Only these object names, when the binding names several.
    names: Option<Vec<String>>,
    parts: Vec<Part>,
    synchronized: bool,
}

fn object_id(obj: &Value) -> String {
    let s = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or_default();
    format!("{}/{}", s("/metadata/namespace"), s("/metadata/name"))
}

fn checksum(item: &ObjectAndFilterResult) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let kept = match (&item.filter_result, &item.object) {
        (Some(f), _) => f,
        (None, Some(o)) => o,
        (None, None) => &Value::Null,
    };
    serde_json::to_string(kept).unwrap_or_default().hash(&mut h);
    h.finish()
}

impl BindingState {
    /// A binding following `watches` watches, keeping only objects named
    /// in `names` when given.
    pub fn new(binding: &str, watches: usize, names: Option<Vec<String>>) -> BindingState {
        BindingState {
            binding: binding.to_string(),
            names,
            parts: (0..watches.max(1)).map(|_| Part::default()).collect(),
            synchronized: false,
        }
    }

    /// Whether the first Synchronization has happened.
    pub fn is_synchronized(&self) -> bool {
        self.synchronized
    }
}

/// Whether `obj` is one of `names` (every object when there are none).
fn wanted(names: &Option<Vec<String>>, obj: &Value) -> bool {
    names.as_ref().is_none_or(|names| {
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        names.iter().any(|n| n == name)
    })
}

impl BindingState {
    /// Take one event of watch number `part`.
    pub fn on_event(
        &mut self,
        hook: &LoadedConfig,
        part: usize,
        event: WatchEvent,
    ) -> Result<Vec<BindingChange>, ContextError> {
        let binding = self.binding.clone();
        let item_of = |obj: &Value| -> Result<(u64, ObjectAndFilterResult), ContextError> {
            let item = make_item_of(hook, &binding, obj)?;
            Ok((checksum(&item), item))
        };
        let mut out = Vec::new();
        let names = self.names.clone();
        let wanted = |o: &Value| wanted(&names, o);
        let Some(p) = self.parts.get_mut(part) else {
            return Ok(out);
        };
        match event {
            WatchEvent::ListStart => p.relist = Some(BTreeMap::new()),
            WatchEvent::Listed(obj) => {
                if wanted(&obj)
                    && let Some(relist) = &mut p.relist
                {
                    let (sum, item) = item_of(&obj)?;
                    let id = object_id(&obj);
                    let reported =
                        p.listed_once && p.items.get(&id).is_none_or(|(old, _)| *old != sum);
                    relist.insert(id, (sum, item, reported.then_some(obj)));
                }
            }
            WatchEvent::ListDone => {
                let relist = p.relist.take().unwrap_or_default();
                if p.listed_once {
                    for (id, (_, item)) in &p.items {
                        if !relist.contains_key(id) {
                            let obj = item.object.clone().unwrap_or_else(|| id_object(id));
                            out.push(BindingChange::Event(WatchEventType::Deleted, Arc::new(obj)));
                        }
                    }
                    for (id, (_, _, obj)) in &relist {
                        if let Some(obj) = obj {
                            let ev = if p.items.contains_key(id) {
                                WatchEventType::Modified
                            } else {
                                WatchEventType::Added
                            };
                            out.push(BindingChange::Event(ev, obj.clone()));
                        }
                    }
                }
                p.items = relist
                    .into_iter()
                    .map(|(id, (s, i, _))| (id, (s, i)))
                    .collect();
                p.listed_once = true;
                if !self.synchronized && self.parts.iter().all(|p| p.listed_once) {
                    self.synchronized = true;
                    out.push(BindingChange::Synchronized);
                }
            }
            WatchEvent::Applied(obj) => {
                if !wanted(&obj) {
                    return Ok(out);
                }
                let (sum, item) = item_of(&obj)?;
                let id = object_id(&obj);
                if let Some(relist) = &mut p.relist {
                    let reported =
                        p.listed_once && p.items.get(&id).is_none_or(|(old, _)| *old != sum);
                    relist.insert(id, (sum, item, reported.then_some(obj)));
                    return Ok(out);
                }
                let change = match p.items.get(&id) {
                    None => Some(WatchEventType::Added),
                    Some((old, _)) if *old != sum => Some(WatchEventType::Modified),
                    _ => None,
                };
                p.items.insert(id, (sum, item));
                if let Some(c) = change
                    && self.synchronized
                {
                    out.push(BindingChange::Event(c, obj));
                }
            }
            WatchEvent::Deleted(obj) => {
                let id = object_id(&obj);
                if let Some(relist) = &mut p.relist {
                    relist.remove(&id);
                    return Ok(out);
                }
                if p.items.remove(&id).is_some() && self.synchronized {
                    out.push(BindingChange::Event(WatchEventType::Deleted, obj));
                }
            }
        }
        Ok(out)
    }

    /// The binding's snapshot, ordered by namespace and name.
    pub fn items(&self) -> Vec<ObjectAndFilterResult> {
        let mut all: Vec<(&String, &ObjectAndFilterResult)> = self
            .parts
            .iter()
            .flat_map(|p| p.items.iter().map(|(id, (_, i))| (id, i)))
            .collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all.into_iter().map(|(_, i)| i.clone()).collect()
    }

    /// How many objects the binding holds.
    pub fn len(&self) -> usize {
        self.parts.iter().map(|p| p.items.len()).sum()
    }

    /// Whether the binding holds no objects.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A minimal object naming `id` (for a Deleted event whose object was not
/// kept in memory).
fn id_object(id: &str) -> Value {
    let (ns, name) = id.split_once('/').unwrap_or(("", id));
    let mut meta = serde_json::Map::new();
    meta.insert("name".into(), Value::String(name.into()));
    if !ns.is_empty() {
        meta.insert("namespace".into(), Value::String(ns.into()));
    }
    serde_json::json!({"metadata": meta})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(keep: bool) -> LoadedConfig {
        let text = format!(
            r#"{{"configVersion":"v1","kubernetes":[{{"name":"cms","apiVersion":"v1","kind":"ConfigMap",
               "keepFullObjectsInMemory":{keep},"jqFilter":".data.k"}}]}}"#
        );
        hooks::config::parse_hook_config("h", &text).unwrap()
    }

    fn cm(name: &str, k: &str, other: &str) -> Arc<Value> {
        Arc::new(serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "ns"},
            "data": {"k": k, "other": other},
        }))
    }

    fn list(
        state: &mut BindingState,
        hook: &LoadedConfig,
        objs: &[Arc<Value>],
    ) -> Vec<BindingChange> {
        let mut out = state.on_event(hook, 0, WatchEvent::ListStart).unwrap();
        for o in objs {
            out.extend(
                state
                    .on_event(hook, 0, WatchEvent::Listed(o.clone()))
                    .unwrap(),
            );
        }
        out.extend(state.on_event(hook, 0, WatchEvent::ListDone).unwrap());
        out
    }

    fn kinds(changes: &[BindingChange]) -> Vec<String> {
        changes
            .iter()
            .map(|c| match c {
                BindingChange::Synchronized => "sync".to_string(),
                BindingChange::Event(t, o) => format!(
                    "{t:?} {}",
                    o.pointer("/metadata/name")
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                ),
            })
            .collect()
    }

    #[test]
    fn first_list_synchronizes_and_keeps_only_filter_results() {
        let h = hook(false);
        let mut s = BindingState::new("cms", 1, None);
        let out = list(&mut s, &h, &[cm("a", "1", "x"), cm("b", "2", "x")]);
        assert_eq!(kinds(&out), ["sync"]);
        let items = s.items();
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(|i| i.object.is_none()), "{items:?}");
        assert_eq!(items[0].filter_result, Some(Value::from("1")));
        // The relist buffer is gone once the list is done.
        assert!(s.parts[0].relist.is_none());
    }

    #[test]
    fn keep_full_objects_keeps_them() {
        let h = hook(true);
        let mut s = BindingState::new("cms", 1, None);
        list(&mut s, &h, &[cm("a", "1", "x")]);
        assert_eq!(s.items()[0].object.as_ref(), Some(&*cm("a", "1", "x")));
    }

    #[test]
    fn modified_only_when_the_kept_result_changes() {
        let h = hook(false);
        let mut s = BindingState::new("cms", 1, None);
        list(&mut s, &h, &[cm("a", "1", "x")]);
        // A change outside the filter's result is no event.
        let out = s
            .on_event(&h, 0, WatchEvent::Applied(cm("a", "1", "y")))
            .unwrap();
        assert!(out.is_empty(), "{out:?}");
        let out = s
            .on_event(&h, 0, WatchEvent::Applied(cm("a", "2", "y")))
            .unwrap();
        assert_eq!(kinds(&out), ["Modified a"]);
        let out = s
            .on_event(&h, 0, WatchEvent::Applied(cm("c", "3", "y")))
            .unwrap();
        assert_eq!(kinds(&out), ["Added c"]);
        let out = s
            .on_event(&h, 0, WatchEvent::Deleted(cm("c", "3", "y")))
            .unwrap();
        assert_eq!(kinds(&out), ["Deleted c"]);
    }

    #[test]
    fn a_relist_reports_only_what_changed_and_keeps_only_those_objects() {
        let h = hook(false);
        let mut s = BindingState::new("cms", 1, None);
        list(
            &mut s,
            &h,
            &[cm("a", "1", "x"), cm("b", "2", "x"), cm("gone", "0", "x")],
        );
        s.on_event(&h, 0, WatchEvent::ListStart).unwrap();
        for o in [
            cm("a", "1", "changed-outside"),
            cm("b", "20", "x"),
            cm("new", "5", "x"),
        ] {
            s.on_event(&h, 0, WatchEvent::Listed(o)).unwrap();
        }
        let relist = s.parts[0].relist.as_ref().unwrap();
        assert!(relist["ns/a"].2.is_none(), "unchanged: no object kept");
        assert!(relist["ns/b"].2.is_some() && relist["ns/new"].2.is_some());
        let out = s.on_event(&h, 0, WatchEvent::ListDone).unwrap();
        let mut got = kinds(&out);
        got.sort();
        assert_eq!(got, ["Added new", "Deleted gone", "Modified b"]);
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn synchronized_once_every_part_listed() {
        let h = hook(false);
        let mut s = BindingState::new("cms", 2, None);
        s.on_event(&h, 0, WatchEvent::ListStart).unwrap();
        assert!(s.on_event(&h, 0, WatchEvent::ListDone).unwrap().is_empty());
        s.on_event(&h, 1, WatchEvent::ListStart).unwrap();
        assert_eq!(
            kinds(&s.on_event(&h, 1, WatchEvent::ListDone).unwrap()),
            ["sync"]
        );
        assert!(s.is_synchronized());
    }

    #[test]
    fn names_restrict_the_snapshot() {
        let h = hook(false);
        let mut s = BindingState::new("cms", 1, Some(vec!["b".into()]));
        list(&mut s, &h, &[cm("a", "1", "x"), cm("b", "2", "x")]);
        assert_eq!(s.len(), 1);
    }
}
