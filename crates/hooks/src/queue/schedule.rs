//! The schedule driver: which schedule bindings fire in a time window.
//! Time is passed in, so tests inject it; the operator calls
//! [`ScheduleDriver::due`] from a ticker with the previous and current
//! tick times.

use chrono::{DateTime, Utc};

use crate::config::{CrontabError, parse_crontab};

/// One registered schedule binding.
#[derive(Clone, Debug)]
struct Entry {
    hook: String,
    binding: String,
    cron: croner::Cron,
}

/// A schedule firing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Firing {
    /// When it fired.
    pub at: DateTime<Utc>,
    /// Hook name.
    pub hook: String,
    /// Binding name.
    pub binding: String,
}

/// Schedule bindings of all hooks.
#[derive(Clone, Debug, Default)]
pub struct ScheduleDriver {
    entries: Vec<Entry>,
}

impl ScheduleDriver {
    /// Register a binding (crontab as in the config).
    pub fn add(&mut self, hook: &str, binding: &str, crontab: &str) -> Result<(), CrontabError> {
        let cron = parse_crontab(crontab)?;
        self.entries.push(Entry {
            hook: hook.to_string(),
            binding: binding.to_string(),
            cron,
        });
        Ok(())
    }

    /// Drop every binding of a hook (module disabled).
    pub fn remove_hook(&mut self, hook: &str) {
        self.entries.retain(|e| e.hook != hook);
    }

    /// Firings in `(from, to]`, ordered by time, then hook name, then
    /// binding — the order their tasks are queued in.
    pub fn due(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Firing> {
        let mut out = Vec::new();
        for e in &self.entries {
            let mut cursor = from;
            // Bounded: a 1-second schedule over a long gap is capped so a
            // suspended process does not flood its queue on wake-up.
            for _ in 0..3600 {
                match e.cron.find_next_occurrence(&cursor, false) {
                    Ok(next) if next <= to => {
                        out.push(Firing {
                            at: next,
                            hook: e.hook.clone(),
                            binding: e.binding.clone(),
                        });
                        cursor = next;
                    }
                    _ => break,
                }
            }
        }
        out.sort_by(|a, b| (a.at, &a.hook, &a.binding).cmp(&(b.at, &b.hook, &b.binding)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn fires_five_and_six_field_schedules() {
        let mut d = ScheduleDriver::default();
        d.add("b.sh", "every-10s", "*/10 * * * * *").unwrap();
        d.add("a.sh", "every-minute", "* * * * *").unwrap();
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 5).unwrap();
        let to = Utc.with_ymd_and_hms(2026, 1, 1, 0, 1, 0).unwrap();
        let fired = d.due(from, to);
        let names: Vec<(u32, &str)> = fired
            .iter()
            .map(|f| {
                (
                    chrono::Timelike::second(&f.at) + 60 * chrono::Timelike::minute(&f.at),
                    f.hook.as_str(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                (10, "b.sh"),
                (20, "b.sh"),
                (30, "b.sh"),
                (40, "b.sh"),
                (50, "b.sh"),
                (60, "a.sh"),
                (60, "b.sh")
            ]
        );
        assert!(d.due(to, to).is_empty());
        d.remove_hook("b.sh");
        assert_eq!(d.due(from, to).len(), 1);
        assert!(d.add("c", "bad", "nope").is_err());
        assert!(matches!(
            d.add("c", "bad", "* * * *"),
            Err(CrontabError::FieldCount { fields: 4, .. })
        ));
        assert!(matches!(
            d.add("c", "bad", "99 * * * *"),
            Err(CrontabError::Invalid { .. })
        ));
    }
}
