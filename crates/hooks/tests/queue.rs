//! The scheduling core with injected time and events: ordering, combining,
//! group collapsing, rate limits, allowFailure and retries.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use hooks::config::{WatchEventType, parse_hook_config};
use hooks::context::{BindingContext, HookEvent, SnapshotStore, build_context};
use hooks::queue::{MAIN_QUEUE, QueueSet, Step, Task, TaskKind};
use serde_json::json;

const CONFIG: &str = r#"
configVersion: v1
kubernetes:
- {name: pods, kind: Pod, jqFilter: .metadata.name}
- {name: nodes, kind: Node, group: g}
schedule:
- {name: tick, crontab: "* * * * *", group: g}
"#;

fn event(name: &str) -> BindingContext {
    let hook = parse_hook_config("h", CONFIG).unwrap();
    build_context(
        &hook,
        &HookEvent::Event {
            binding: "pods".into(),
            event: WatchEventType::Added,
            object: json!({"metadata": {"name": name}}),
        },
        &SnapshotStore::default(),
    )
    .unwrap()
}

fn group(binding: &str) -> BindingContext {
    let hook = parse_hook_config("h", CONFIG).unwrap();
    let ev = if binding == "tick" {
        HookEvent::Schedule {
            binding: "tick".into(),
        }
    } else {
        HookEvent::Synchronization {
            binding: binding.into(),
        }
    };
    build_context(&hook, &ev, &SnapshotStore::default()).unwrap()
}

/// Records each run as (hook, filterResults/bindings).
fn recorder(
    log: &RefCell<Vec<(String, Vec<String>)>>,
    fail_first: usize,
) -> impl FnMut(&Task) -> Result<(), String> + '_ {
    let mut calls = 0;
    move |task: &Task| {
        calls += 1;
        let items = task
            .contexts
            .iter()
            .map(|c| {
                c.filter_result
                    .as_ref()
                    .and_then(|v| v.as_str())
                    .map(String::from)
                    .unwrap_or_else(|| c.binding.clone())
            })
            .collect();
        log.borrow_mut().push((task.hook.clone(), items));
        if calls <= fail_first {
            Err(format!("failure {calls}"))
        } else {
            Ok(())
        }
    }
}

#[test]
fn consecutive_runs_of_one_hook_combine_in_order_and_stop_at_another_hook() {
    let mut qs = QueueSet::default();
    for (hook, name) in [("a", "1"), ("a", "2"), ("b", "3"), ("a", "4"), ("a", "5")] {
        qs.enqueue(None, Task::hook_run(hook, event(name), false));
    }
    let log = RefCell::new(Vec::new());
    let now = Instant::now();
    let mut exec = recorder(&log, 0);
    let mut jitter = || 0.0;
    while !matches!(qs.step(MAIN_QUEUE, now, &mut exec, &mut jitter), Step::Idle) {}
    assert_eq!(
        *log.borrow(),
        [
            ("a".to_string(), vec!["1".to_string(), "2".to_string()]),
            ("b".to_string(), vec!["3".to_string()]),
            ("a".to_string(), vec!["4".to_string(), "5".to_string()]),
        ]
    );
}

#[test]
fn lifecycle_tasks_are_never_combined() {
    let mut qs = QueueSet::default();
    for _ in 0..2 {
        let mut t = Task::hook_run("a", event("x"), false);
        t.kind = TaskKind::Lifecycle;
        qs.enqueue(None, t);
    }
    let log = RefCell::new(Vec::new());
    let mut exec = recorder(&log, 0);
    let now = Instant::now();
    qs.step(MAIN_QUEUE, now, &mut exec, &mut || 0.0);
    assert_eq!(log.borrow()[0].1.len(), 1);
    assert_eq!(qs.queue(MAIN_QUEUE).unwrap().len(), 1);
}

#[test]
fn adjacent_group_contexts_collapse_to_the_last() {
    let mut qs = QueueSet::default();
    qs.enqueue(None, Task::hook_run("a", group("tick"), false));
    qs.enqueue(None, Task::hook_run("a", group("nodes"), false));
    qs.enqueue(None, Task::hook_run("a", event("p"), false));
    qs.enqueue(None, Task::hook_run("a", group("tick"), false));
    let log = RefCell::new(Vec::new());
    let mut exec = recorder(&log, 0);
    qs.step(MAIN_QUEUE, Instant::now(), &mut exec, &mut || 0.0);
    assert_eq!(log.borrow()[0].1, ["nodes", "p", "tick"]);
}

#[test]
fn named_queues_are_independent() {
    let mut qs = QueueSet::default();
    qs.enqueue(Some("slow"), Task::hook_run("a", event("s"), false));
    qs.enqueue(None, Task::hook_run("a", event("m"), false));
    assert_eq!(qs.names(), ["main", "slow"]);
    let log = RefCell::new(Vec::new());
    let mut exec = recorder(&log, 0);
    qs.step("slow", Instant::now(), &mut exec, &mut || 0.0);
    assert_eq!(log.borrow()[0].1, ["s"]);
    assert_eq!(qs.queue(MAIN_QUEUE).unwrap().len(), 1, "main untouched");
}

#[test]
fn failures_retry_with_backoff_and_block_the_queue_while_new_events_accumulate() {
    let mut qs = QueueSet::default();
    qs.enqueue(None, Task::hook_run("a", event("1"), false));
    let log = RefCell::new(Vec::new());
    let mut exec = recorder(&log, 2);
    let t0 = Instant::now();
    let step = qs.step(MAIN_QUEUE, t0, &mut exec, &mut || 0.0);
    let Step::Retrying { at, error, .. } = step else {
        panic!("{step:?}")
    };
    assert_eq!(at, t0 + Duration::from_secs(5));
    assert_eq!(error, "failure 1");
    // Queue blocked until the retry time; new events queue behind.
    qs.enqueue(None, Task::hook_run("a", event("2"), false));
    assert_eq!(
        qs.step(
            MAIN_QUEUE,
            t0 + Duration::from_secs(1),
            &mut exec,
            &mut || 0.0
        ),
        Step::Waiting(at)
    );
    let Step::Retrying { at: at2, .. } = qs.step(MAIN_QUEUE, at, &mut exec, &mut || 0.5) else {
        panic!()
    };
    assert_eq!(
        at2,
        at + Duration::from_millis(6500),
        "5s + 2^0 s + 0.5 s jitter"
    );
    assert_eq!(
        qs.step(MAIN_QUEUE, at2, &mut exec, &mut || 0.0),
        Step::Done {
            hook: "a".into(),
            contexts: 2
        }
    );
    // The retried run absorbed the event that queued behind it.
    assert_eq!(log.borrow()[1].1, ["1", "2"]);
}

#[test]
fn allow_failure_drops_the_task() {
    let mut qs = QueueSet::default();
    qs.enqueue(None, Task::hook_run("a", event("1"), true));
    qs.enqueue(None, Task::hook_run("b", event("2"), false));
    let log = RefCell::new(Vec::new());
    let mut exec = recorder(&log, 1);
    let now = Instant::now();
    assert!(matches!(
        qs.step(MAIN_QUEUE, now, &mut exec, &mut || 0.0),
        Step::Dropped { .. }
    ));
    assert_eq!(
        qs.step(MAIN_QUEUE, now, &mut exec, &mut || 0.0),
        Step::Done {
            hook: "b".into(),
            contexts: 1
        }
    );
}

#[test]
fn combined_task_allows_failure_only_if_all_did() {
    let mut qs = QueueSet::default();
    qs.enqueue(None, Task::hook_run("a", event("1"), true));
    qs.enqueue(None, Task::hook_run("a", event("2"), false));
    let log = RefCell::new(Vec::new());
    let mut exec = recorder(&log, 1);
    assert!(matches!(
        qs.step(MAIN_QUEUE, Instant::now(), &mut exec, &mut || 0.0),
        Step::Retrying { .. }
    ));
}

#[test]
fn rate_limit_delays_runs_and_events_accumulate() {
    let mut qs = QueueSet::default();
    qs.set_rate_limit("a", Duration::from_secs(5), 1);
    let log = RefCell::new(Vec::new());
    let mut exec = recorder(&log, 0);
    let t0 = Instant::now();
    qs.enqueue(None, Task::hook_run("a", event("1"), false));
    assert!(matches!(
        qs.step(MAIN_QUEUE, t0, &mut exec, &mut || 0.0),
        Step::Done { .. }
    ));
    qs.enqueue(None, Task::hook_run("a", event("2"), false));
    assert_eq!(
        qs.step(
            MAIN_QUEUE,
            t0 + Duration::from_secs(1),
            &mut exec,
            &mut || 0.0
        ),
        Step::Waiting(t0 + Duration::from_secs(5))
    );
    qs.enqueue(None, Task::hook_run("a", event("3"), false));
    qs.enqueue(None, Task::hook_run("a", event("4"), false));
    assert_eq!(
        qs.step(
            MAIN_QUEUE,
            t0 + Duration::from_secs(5),
            &mut exec,
            &mut || 0.0
        ),
        Step::Done {
            hook: "a".into(),
            contexts: 3
        }
    );
    assert_eq!(log.borrow().len(), 2);
}
