//! The scheduling core, without a cluster: named FIFO queues, combining of
//! a hook's consecutive runs, per-hook rate limits, allowFailure, retries
//! with backoff, and a schedule driver. Time and task execution are
//! injected, so every rule is testable with synthetic events.
//!
//! # Combining rule (deterministic)
//!
//! When a HookRun task reaches the head of its queue and is about to start,
//! every task **directly behind it** in the same queue that is also a
//! HookRun task of the **same hook** is merged into it: their binding
//! contexts are appended in queue order, and merging stops at the first
//! task of another hook or kind. Then adjacent contexts of the same group
//! collapse to the last one. The merge happens only at start time, and a
//! rate-limited or retrying head task keeps absorbing what queues up
//! behind it, so the result depends only on the queue's contents when the
//! task starts — never on which worker polled first.
//!
//! Lifecycle tasks (onStartup, beforeHelm, ...) are never combined.

pub mod backoff;
mod rate_limit;
mod schedule;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

pub use backoff::{MAX_DELAY, retry_delay};
pub use rate_limit::TokenBucket;
pub use schedule::{Firing, ScheduleDriver};

use crate::context::{BindingContext, collapse_groups};

/// Kind of a queued task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskKind {
    /// A run for schedule/kubernetes bindings; combinable.
    HookRun,
    /// A lifecycle run (onStartup, beforeHelm, ...); never combined, never
    /// dropped (always retried).
    Lifecycle,
}

/// A queued hook run.
#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    /// Hook name.
    pub hook: String,
    /// Kind.
    pub kind: TaskKind,
    /// Binding contexts (several after combining).
    pub contexts: Vec<BindingContext>,
    /// Drop instead of retrying on failure. A combined task allows failure
    /// only if every merged task did.
    pub allow_failure: bool,
    /// Failures so far.
    pub failures: u32,
}

impl Task {
    /// A HookRun task with one context.
    pub fn hook_run(hook: &str, context: BindingContext, allow_failure: bool) -> Self {
        Task {
            hook: hook.to_string(),
            kind: TaskKind::HookRun,
            contexts: vec![context],
            allow_failure,
            failures: 0,
        }
    }
}

/// What one step of a queue did.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Nothing queued.
    Idle,
    /// The head task waits (retry backoff or rate limit) until then.
    Waiting(Instant),
    /// The head task ran and succeeded.
    Done {
        /// Hook.
        hook: String,
        /// How many contexts the run had.
        contexts: usize,
    },
    /// The head task failed and was dropped (allowFailure).
    Dropped {
        /// Hook.
        hook: String,
        /// The error.
        error: String,
    },
    /// The head task failed and stays at the head until the retry time.
    Retrying {
        /// Hook.
        hook: String,
        /// The error.
        error: String,
        /// When it runs again.
        at: Instant,
    },
}

/// One FIFO queue.
#[derive(Debug, Default)]
pub struct Queue {
    tasks: VecDeque<Task>,
    retry_at: Option<Instant>,
}

impl Queue {
    /// Append a task.
    pub fn push(&mut self, task: Task) {
        self.tasks.push_back(task);
    }

    /// Tasks waiting (including the head).
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// The queued tasks, head first.
    pub fn tasks(&self) -> impl Iterator<Item = &Task> {
        self.tasks.iter()
    }

    /// Merge the tasks directly behind the head into it (see the module
    /// docs). Returns how many were merged.
    fn combine_head(&mut self) -> usize {
        let Some(head) = self.tasks.front() else {
            return 0;
        };
        if head.kind != TaskKind::HookRun {
            return 0;
        }
        let hook = head.hook.clone();
        let mut merged = 0;
        while self.tasks.len() > 1 {
            let next = &self.tasks[1];
            if next.kind != TaskKind::HookRun || next.hook != hook {
                break;
            }
            let Some(next) = self.tasks.remove(1) else {
                break;
            };
            if let Some(head) = self.tasks.front_mut() {
                head.contexts.extend(next.contexts);
                head.allow_failure &= next.allow_failure;
            }
            merged += 1;
        }
        if let Some(head) = self.tasks.front_mut() {
            head.contexts = collapse_groups(std::mem::take(&mut head.contexts));
        }
        merged
    }

    /// Run the head task if it may run at `now`. `limits` holds the hooks'
    /// token buckets; `jitter` gives the random part of retry delays.
    /// `execute`'s error is the caller's own message: the queue only
    /// records it on the failed task (and retries), it never looks into it.
    pub fn step(
        &mut self,
        now: Instant,
        limits: &mut HashMap<String, TokenBucket>,
        execute: &mut dyn FnMut(&Task) -> Result<(), String>,
        jitter: &mut dyn FnMut() -> f64,
    ) -> Step {
        let Some(head) = self.tasks.front() else {
            return Step::Idle;
        };
        if let Some(at) = self.retry_at
            && at > now
        {
            return Step::Waiting(at);
        }
        if let Some(bucket) = limits.get_mut(&head.hook)
            && let Err(wait) = bucket.try_acquire(now)
        {
            return Step::Waiting(now + wait);
        }
        self.combine_head();
        let Some(task) = self.tasks.front_mut() else {
            return Step::Idle;
        };
        match execute(task) {
            Ok(()) => {
                self.retry_at = None;
                let done = self.tasks.pop_front();
                Step::Done {
                    hook: done.as_ref().map(|t| t.hook.clone()).unwrap_or_default(),
                    contexts: done.map(|t| t.contexts.len()).unwrap_or(0),
                }
            }
            Err(error) if task.allow_failure && task.kind == TaskKind::HookRun => {
                self.retry_at = None;
                let hook = task.hook.clone();
                self.tasks.pop_front();
                Step::Dropped { hook, error }
            }
            Err(error) => {
                let delay = retry_delay(task.failures, jitter());
                task.failures += 1;
                let at = now + delay;
                self.retry_at = Some(at);
                Step::Retrying {
                    hook: task.hook.clone(),
                    error,
                    at,
                }
            }
        }
    }
}

/// The main queue plus named queues, created on demand. Queues are
/// independent: each is processed strictly in order; the operator gives
/// each its own worker.
#[derive(Debug, Default)]
pub struct QueueSet {
    queues: BTreeMap<String, Queue>,
    limits: HashMap<String, TokenBucket>,
}

/// The queue used when a binding names none.
pub const MAIN_QUEUE: &str = "main";

impl QueueSet {
    /// Register a hook's rate limit (`settings`).
    pub fn set_rate_limit(&mut self, hook: &str, interval: Duration, burst: u32) {
        self.limits
            .insert(hook.to_string(), TokenBucket::new(interval, burst));
    }

    /// Append a task to a queue (`None` = main).
    pub fn enqueue(&mut self, queue: Option<&str>, task: Task) {
        self.queues
            .entry(queue.unwrap_or(MAIN_QUEUE).to_string())
            .or_default()
            .push(task);
    }

    /// A queue, if it exists.
    pub fn queue(&self, name: &str) -> Option<&Queue> {
        self.queues.get(name)
    }

    /// Step one queue.
    pub fn step(
        &mut self,
        name: &str,
        now: Instant,
        execute: &mut dyn FnMut(&Task) -> Result<(), String>,
        jitter: &mut dyn FnMut() -> f64,
    ) -> Step {
        match self.queues.get_mut(name) {
            Some(q) => q.step(now, &mut self.limits, execute, jitter),
            None => Step::Idle,
        }
    }

    /// Names of all queues.
    pub fn names(&self) -> Vec<String> {
        self.queues.keys().cloned().collect()
    }
}
