//! When a module's releases deploy (registry-layout §5.3 with corrections 14, 16, 35):
//! the skip / await / process rules that keep releases strictly in version order, and the
//! deploy-time rules of the update modes (windows, approval, `applyAfter`, the
//! `apply-now` and `force` annotations).
//!
//! Pure: the controller gathers one module's releases and the effective policy and acts on
//! the answer. Every wait carries a message naming exactly what is awaited.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Timelike, Utc, Weekday};
use masterminds_semver::Version;

use super::chain::{FromTo, from_to_bridges};

/// `modules.deckhouse.io/approved`: manual approval.
pub const APPROVED: &str = "modules.deckhouse.io/approved";
/// `modules.deckhouse.io/apply-now`: ignore windows and `applyAfter`.
pub const APPLY_NOW: &str = "modules.deckhouse.io/apply-now";
/// `modules.deckhouse.io/force`: deploy regardless of the checks.
pub const FORCE: &str = "modules.deckhouse.io/force";
/// `release.deckhouse.io/force`: the platform release key, honoured too.
pub const FORCE_PLATFORM: &str = "release.deckhouse.io/force";
/// `modules.deckhouse.io/reinstall`: download and install the deployed version again.
pub const REINSTALL: &str = "modules.deckhouse.io/reinstall";

/// The phase of a ModuleRelease.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Waiting (for what: `status.message`).
    Pending,
    /// Its files are active.
    Deployed,
    /// A newer release was deployed after it.
    Superseded,
    /// It cannot be deployed or restored (the version left the registry, invalid...).
    Suspended,
    /// Jumped over.
    Skipped,
    /// Being deleted.
    Terminating,
}

impl Phase {
    /// The status spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Deployed => "Deployed",
            Phase::Superseded => "Superseded",
            Phase::Suspended => "Suspended",
            Phase::Skipped => "Skipped",
            Phase::Terminating => "Terminating",
        }
    }

    /// Parses the status spelling; a missing or unknown phase is a new release: Pending.
    pub fn parse(text: Option<&str>) -> Phase {
        match text {
            Some("Deployed") => Phase::Deployed,
            Some("Superseded") => Phase::Superseded,
            Some("Suspended") => Phase::Suspended,
            Some("Skipped") => Phase::Skipped,
            Some("Terminating") => Phase::Terminating,
            _ => Phase::Pending,
        }
    }
}

/// How releases of a module are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateMode {
    /// Minors and patches deploy by themselves (inside windows when set).
    Auto,
    /// Patches deploy by themselves (inside windows); a minor needs approval.
    AutoPatch,
    /// Every release needs approval; windows are not consulted.
    Manual,
    /// (v1alpha1) Nothing is fetched or deployed.
    Ignore,
}

impl UpdateMode {
    /// Parses the resource spelling; `None` for anything else.
    pub fn parse(text: &str) -> Option<UpdateMode> {
        Some(match text {
            "Auto" => UpdateMode::Auto,
            "AutoPatch" => UpdateMode::AutoPatch,
            "Manual" => UpdateMode::Manual,
            "Ignore" => UpdateMode::Ignore,
            _ => return None,
        })
    }
}

/// An update window: `from`–`to` (UTC) on `days` (every day when empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// Opens at.
    pub from: NaiveTime,
    /// Closes at (exclusive).
    pub to: NaiveTime,
    /// Days it opens on; empty means every day.
    pub days: Vec<Weekday>,
}

impl Window {
    /// Parses a window of a ModuleUpdatePolicy (`"13:30"`, `"14:00"`, `["Mon"]`); the error
    /// names the field and what is wrong.
    pub fn parse(from: &str, to: &str, days: &[String]) -> Result<Window, String> {
        let time = |field: &str, text: &str| {
            NaiveTime::parse_from_str(text, "%H:%M")
                .map_err(|_| format!("{field}: {text:?} is not HH:MM"))
        };
        let window = Window {
            from: time("from", from)?,
            to: time("to", to)?,
            days: days
                .iter()
                .map(|d| {
                    d.parse::<Weekday>()
                        .map_err(|_| format!("days: {d:?} is not one of Mon..Sun"))
                })
                .collect::<Result<_, _>>()?,
        };
        if window.from >= window.to {
            return Err(format!("from {from} must be before to {to}"));
        }
        Ok(window)
    }

    fn opens_on(&self, day: Weekday) -> bool {
        self.days.is_empty() || self.days.contains(&day)
    }

    fn contains(&self, now: DateTime<Utc>) -> bool {
        let t = now.time();
        self.opens_on(now.weekday()) && t >= self.from && t < self.to
    }

    /// The next time (at or after `now`) this window opens.
    fn next_open(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (0..8).find_map(|offset| {
            let day = now.date_naive() + Duration::days(offset);
            let at = Utc.from_utc_datetime(&day.and_time(self.from));
            (at >= now && self.opens_on(day.weekday())).then_some(at)
        })
    }

    fn describe(&self) -> String {
        let days = if self.days.is_empty() {
            "every day".to_string()
        } else {
            self.days
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "{:02}:{:02}-{:02}:{:02} UTC {days}",
            self.from.hour(),
            self.from.minute(),
            self.to.hour(),
            self.to.minute()
        )
    }
}

/// The policy in effect for a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The ModuleUpdatePolicy's name ("" for the embedded one).
    pub name: String,
    /// Update mode.
    pub mode: UpdateMode,
    /// Update windows (none: any time).
    pub windows: Vec<Window>,
}

/// What the rules need of one release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    /// `metadata.name`.
    pub name: String,
    /// `spec.version`.
    pub version: Version,
    /// `status.phase`.
    pub phase: Phase,
    /// The approval annotation is true-like.
    pub approved: bool,
    /// The apply-now annotation is true-like.
    pub apply_now: bool,
    /// The force annotation is true-like.
    pub force: bool,
    /// `spec.applyAfter`.
    pub apply_after: Option<DateTime<Utc>>,
    /// `spec.update.versions`.
    pub from_to: Vec<FromTo>,
}

/// Parses an annotation value as Go's `strconv.ParseBool` does (`1`, `t`, `true`, `TRUE`...).
pub fn true_like(value: Option<&str>) -> bool {
    matches!(value, Some("1" | "t" | "T" | "true" | "TRUE" | "True"))
}

/// What to do with one pending release now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Task {
    /// It will never deploy: mark it Skipped with this reason.
    Skip(String),
    /// It waits: keep it Pending with this message.
    Await(String),
    /// Its turn: run the deploy-time checks and deploy it.
    Process,
}

fn v_tag(v: &Version) -> String {
    format!("v{v}")
}

/// The task of every Pending release of one module, in ascending version order (the
/// platform's task calculator):
/// * Skip when a forced release is newer, when the deployed version is not older, or when a
///   newer patch of the same minor is pending;
/// * a forced release is processed;
/// * Await while an older pending release has not deployed (releases deploy strictly in
///   version order);
/// * Await on a major jump (other than 0 → 1) unless approved: majors never deploy by
///   themselves;
/// * Await on a minor jump of more than one unless LTS or a from-to rule of the release
///   bridges the deployed version;
/// * otherwise Process.
pub fn calculate(releases: &[Release], lts: bool) -> Vec<(String, Task)> {
    let deployed = releases
        .iter()
        .filter(|r| r.phase == Phase::Deployed)
        .map(|r| &r.version)
        .max();
    let mut pending: Vec<&Release> = releases
        .iter()
        .filter(|r| r.phase == Phase::Pending)
        .collect();
    pending.sort_by(|a, b| a.version.cmp(&b.version));
    let newest_forced = pending.iter().filter(|r| r.force).map(|r| &r.version).max();
    let mut out = Vec::new();
    let mut waiting_before: Option<&Version> = None;
    for (i, r) in pending.iter().enumerate() {
        if let Some(f) = newest_forced
            && *f > r.version
        {
            out.push((
                r.name.clone(),
                Task::Skip(format!(
                    "Skipped: the forced release {} replaces it",
                    v_tag(f)
                )),
            ));
            continue;
        }
        if let Some(d) = deployed
            && *d >= r.version
        {
            out.push((
                r.name.clone(),
                Task::Skip(format!("Skipped: {} is already deployed", v_tag(d))),
            ));
            continue;
        }
        if let Some(higher) = pending[i + 1..]
            .iter()
            .filter(|o| o.version.major == r.version.major && o.version.minor == r.version.minor)
            .map(|o| &o.version)
            .max()
        {
            out.push((
                r.name.clone(),
                Task::Skip(format!(
                    "Skipped: {} of the same minor is pending",
                    v_tag(higher)
                )),
            ));
            continue;
        }
        if r.force {
            out.push((r.name.clone(), Task::Process));
            waiting_before = Some(&r.version);
            continue;
        }
        if let Some(previous) = waiting_before {
            out.push((
                r.name.clone(),
                Task::Await(format!(
                    "awaiting for {} release to be deployed",
                    v_tag(previous)
                )),
            ));
            continue;
        }
        waiting_before = Some(&r.version);
        let task = match deployed {
            None => Task::Process,
            Some(d) if d.major != r.version.major && !(d.major == 0 && r.version.major == 1) => {
                if r.approved {
                    Task::Process
                } else {
                    Task::Await(format!(
                        "awaiting approval of the major version change {} -> {}: majors are never deployed automatically (set the '{APPROVED}: \"true\"' annotation)",
                        v_tag(d),
                        v_tag(&r.version)
                    ))
                }
            }
            Some(d)
                if d.major == r.version.major
                    && r.version.minor > d.minor + 1
                    && !lts
                    && !from_to_bridges(d, &r.version, &r.from_to) =>
            {
                Task::Await(format!(
                    "awaiting for a v{}.{} release to be deployed first: {} -> {} skips a minor version",
                    d.major,
                    d.minor + 1,
                    v_tag(d),
                    v_tag(&r.version)
                ))
            }
            Some(_) => Task::Process,
        };
        out.push((r.name.clone(), task));
    }
    out
}

/// Why a release whose turn it is must still wait, and when to look again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wait {
    /// The status message.
    pub message: String,
    /// When the wait can end by itself (applyAfter, a window opening); `None` when only a
    /// person can end it (approval).
    pub retry_at: Option<DateTime<Utc>>,
}

/// The approval message, as the platform words it.
pub fn approval_message() -> String {
    format!("Waiting for the '{APPROVED}: \"true\"' annotation")
}

/// The deploy-time rules (correction 14): for a patch — `applyAfter`, then the windows (all
/// modes but Manual), then approval (Manual); for a minor (or a first release) —
/// `applyAfter` (not in Manual), the windows (Auto only), then approval (AutoPatch and
/// Manual). `apply-now` and `force` bypass all of it.
pub fn deploy_time(
    release: &Release,
    deployed: Option<&Version>,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<(), Wait> {
    if release.force || release.apply_now {
        return Ok(());
    }
    if policy.mode == UpdateMode::Ignore {
        return Err(Wait {
            message: "Update disabled by 'Ignore' update policy".into(),
            retry_at: None,
        });
    }
    let patch = deployed
        .is_some_and(|d| d.major == release.version.major && d.minor == release.version.minor);
    let manual = policy.mode == UpdateMode::Manual;
    let check_canary = patch || !manual;
    let check_windows = if patch {
        !manual
    } else {
        policy.mode == UpdateMode::Auto
    };
    let need_approval = manual || (!patch && policy.mode == UpdateMode::AutoPatch);
    if check_canary
        && let Some(after) = release.apply_after
        && now < after
    {
        return Err(Wait {
            message: format!(
                "waiting for applyAfter: not before {}",
                after.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            retry_at: Some(after),
        });
    }
    if check_windows
        && !policy.windows.is_empty()
        && !policy.windows.iter().any(|w| w.contains(now))
    {
        let next = policy.windows.iter().filter_map(|w| w.next_open(now)).min();
        let windows = policy
            .windows
            .iter()
            .map(Window::describe)
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Wait {
            message: match next {
                Some(at) => format!(
                    "waiting for the update window {windows} (next opens at {})",
                    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
                None => format!("waiting for the update window {windows}"),
            },
            retry_at: next,
        });
    }
    if need_approval && !release.approved {
        return Err(Wait {
            message: approval_message(),
            retry_at: None,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn release(version: &str, phase: Phase) -> Release {
        Release {
            name: format!("m-v{version}"),
            version: Version::parse_strict(version).unwrap(),
            phase,
            approved: false,
            apply_now: false,
            force: false,
            apply_after: None,
            from_to: Vec::new(),
        }
    }

    fn tasks(releases: &[Release]) -> Vec<(String, Task)> {
        calculate(releases, false)
    }

    fn policy(mode: UpdateMode, windows: Vec<Window>) -> Policy {
        Policy {
            name: "p".into(),
            mode,
            windows,
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn releases_deploy_in_order_and_older_ones_are_skipped() {
        let rs = [
            release("1.0.0", Phase::Superseded),
            release("1.1.0", Phase::Deployed),
            release("1.0.5", Phase::Pending),
            release("1.2.0", Phase::Pending),
            release("1.3.1", Phase::Pending),
        ];
        assert_eq!(
            tasks(&rs),
            vec![
                (
                    "m-v1.0.5".into(),
                    Task::Skip("Skipped: v1.1.0 is already deployed".into())
                ),
                ("m-v1.2.0".into(), Task::Process),
                (
                    "m-v1.3.1".into(),
                    Task::Await("awaiting for v1.2.0 release to be deployed".into())
                ),
            ]
        );
    }

    #[test]
    fn a_newer_pending_patch_skips_the_older_one() {
        let rs = [
            release("1.0.0", Phase::Deployed),
            release("1.1.0", Phase::Pending),
            release("1.1.2", Phase::Pending),
        ];
        assert_eq!(
            tasks(&rs),
            vec![
                (
                    "m-v1.1.0".into(),
                    Task::Skip("Skipped: v1.1.2 of the same minor is pending".into())
                ),
                ("m-v1.1.2".into(), Task::Process),
            ]
        );
    }

    #[test]
    fn majors_wait_for_approval_except_zero_to_one() {
        let mut rs = vec![
            release("1.4.0", Phase::Deployed),
            release("2.0.0", Phase::Pending),
        ];
        let Task::Await(message) = &tasks(&rs)[0].1 else {
            panic!("{:?}", tasks(&rs));
        };
        assert!(message.contains("v1.4.0 -> v2.0.0"), "{message}");
        assert!(message.contains(APPROVED), "{message}");
        rs[1].approved = true;
        assert_eq!(tasks(&rs)[0].1, Task::Process);
        let zero = [
            release("0.9.0", Phase::Deployed),
            release("1.0.0", Phase::Pending),
        ];
        assert_eq!(tasks(&zero)[0].1, Task::Process);
    }

    #[test]
    fn a_minor_jump_waits_unless_bridged_or_lts() {
        let mut rs = vec![
            release("1.1.0", Phase::Deployed),
            release("1.3.0", Phase::Pending),
        ];
        let Task::Await(message) = &tasks(&rs)[0].1 else {
            panic!()
        };
        assert!(message.contains("v1.2 release"), "{message}");
        assert_eq!(calculate(&rs, true)[0].1, Task::Process);
        rs[1].from_to = vec![FromTo::parse("1.0", "1.3").unwrap()];
        assert_eq!(tasks(&rs)[0].1, Task::Process);
    }

    #[test]
    fn a_forced_release_goes_first_and_skips_older_pending_ones() {
        let mut rs = vec![
            release("1.0.0", Phase::Deployed),
            release("1.1.0", Phase::Pending),
            release("1.5.0", Phase::Pending),
        ];
        rs[2].force = true;
        let t = tasks(&rs);
        assert!(
            matches!(&t[0].1, Task::Skip(m) if m.contains("v1.5.0")),
            "{t:?}"
        );
        assert_eq!(t[1].1, Task::Process);
    }

    #[test]
    fn a_first_release_is_processed() {
        assert_eq!(
            tasks(&[release("3.2.1", Phase::Pending)])[0].1,
            Task::Process
        );
    }

    #[test]
    fn windows_parse_and_refuse_with_the_field() {
        let w = Window::parse("13:30", "14:00", &["Mon".into(), "Wed".into()]).unwrap();
        assert_eq!(w.days, vec![Weekday::Mon, Weekday::Wed]);
        assert!(
            Window::parse("14:00", "13:00", &[])
                .unwrap_err()
                .contains("before")
        );
        assert!(
            Window::parse("25:00", "26:00", &[])
                .unwrap_err()
                .starts_with("from")
        );
        assert!(
            Window::parse("1:00", "2:00", &["Funday".into()])
                .unwrap_err()
                .starts_with("days")
        );
        // Single-digit hours, as the CRD pattern allows.
        assert!(Window::parse("1:00", "2:00", &[]).is_ok());
    }

    #[test]
    fn auto_respects_windows_and_names_the_next_opening() {
        // 2026-12-03 is a Thursday.
        let now = at("2026-12-03T10:00:00Z");
        let w = Window::parse("13:30", "14:00", &["Mon".into(), "Wed".into()]).unwrap();
        let p = policy(UpdateMode::Auto, vec![w]);
        let deployed = Version::parse_strict("1.0.0").unwrap();
        let r = release("1.1.0", Phase::Pending);
        let wait = deploy_time(&r, Some(&deployed), &p, now).unwrap_err();
        assert_eq!(
            wait.message,
            "waiting for the update window 13:30-14:00 UTC Mon, Wed (next opens at 2026-12-07T13:30:00Z)"
        );
        assert_eq!(wait.retry_at, Some(at("2026-12-07T13:30:00Z")));
        assert!(deploy_time(&r, Some(&deployed), &p, at("2026-12-07T13:45:00Z")).is_ok());
        assert!(deploy_time(&r, Some(&deployed), &p, at("2026-12-07T14:00:00Z")).is_err());
        let mut now_release = r.clone();
        now_release.apply_now = true;
        assert!(deploy_time(&now_release, Some(&deployed), &p, now).is_ok());
    }

    #[test]
    fn manual_needs_approval_and_ignores_windows() {
        let now = at("2026-12-03T10:00:00Z");
        let w = Window::parse("13:30", "14:00", &[]).unwrap();
        let p = policy(UpdateMode::Manual, vec![w]);
        let deployed = Version::parse_strict("1.0.0").unwrap();
        let mut r = release("1.0.1", Phase::Pending);
        assert_eq!(
            deploy_time(&r, Some(&deployed), &p, now).unwrap_err(),
            Wait {
                message: approval_message(),
                retry_at: None
            }
        );
        r.approved = true;
        assert!(deploy_time(&r, Some(&deployed), &p, now).is_ok());
    }

    #[test]
    fn auto_patch_approves_minors_and_windows_patches() {
        let now = at("2026-12-03T10:00:00Z");
        let w = Window::parse("13:30", "14:00", &[]).unwrap();
        let p = policy(UpdateMode::AutoPatch, vec![w]);
        let deployed = Version::parse_strict("1.0.0").unwrap();
        let mut minor = release("1.1.0", Phase::Pending);
        assert_eq!(
            deploy_time(&minor, Some(&deployed), &p, now)
                .unwrap_err()
                .message,
            approval_message()
        );
        // An approved AutoPatch minor deploys at once, outside the windows.
        minor.approved = true;
        assert!(deploy_time(&minor, Some(&deployed), &p, now).is_ok());
        let patch = release("1.0.1", Phase::Pending);
        assert!(
            deploy_time(&patch, Some(&deployed), &p, now)
                .unwrap_err()
                .message
                .starts_with("waiting for the update window")
        );
    }

    #[test]
    fn apply_after_holds_until_its_time_except_for_manual_minors() {
        let now = at("2026-12-03T10:00:00Z");
        let deployed = Version::parse_strict("1.0.0").unwrap();
        let mut r = release("1.1.0", Phase::Pending);
        r.apply_after = Some(at("2026-12-03T12:00:00Z"));
        let wait =
            deploy_time(&r, Some(&deployed), &policy(UpdateMode::Auto, vec![]), now).unwrap_err();
        assert_eq!(
            wait.message,
            "waiting for applyAfter: not before 2026-12-03T12:00:00Z"
        );
        assert_eq!(wait.retry_at, r.apply_after);
        r.approved = true;
        assert!(
            deploy_time(
                &r,
                Some(&deployed),
                &policy(UpdateMode::Manual, vec![]),
                now
            )
            .is_ok()
        );
        assert!(
            deploy_time(
                &r,
                Some(&deployed),
                &policy(UpdateMode::Auto, vec![]),
                at("2026-12-03T12:00:00Z")
            )
            .is_ok()
        );
    }

    #[test]
    fn ignore_mode_never_deploys_and_true_like_values_count() {
        let r = release("1.1.0", Phase::Pending);
        let wait =
            deploy_time(&r, None, &policy(UpdateMode::Ignore, vec![]), Utc::now()).unwrap_err();
        assert_eq!(wait.message, "Update disabled by 'Ignore' update policy");
        assert!(true_like(Some("True")) && true_like(Some("1")) && !true_like(Some("yes")));
        assert!(!true_like(None));
    }

    fn phase_strategy() -> impl Strategy<Value = Phase> {
        prop_oneof![
            Just(Phase::Pending),
            Just(Phase::Deployed),
            Just(Phase::Superseded),
            Just(Phase::Skipped),
        ]
    }

    proptest! {
        /// At most one release is processed at a time, never one at or below the deployed
        /// version, and every Pending release gets exactly one task; a major jump is never
        /// processed without approval or force.
        #[test]
        fn tasks_are_ordered_and_exclusive(
            spec in proptest::collection::btree_map(
                (0u64..3, 0u64..5, 0u64..3),
                (phase_strategy(), any::<bool>(), any::<bool>()),
                1..12,
            )
        ) {
            let mut rs: Vec<Release> = Vec::new();
            let mut deployed_seen = false;
            for ((a, b, c), (phase, approved, force)) in spec {
                // One Deployed release at most, as the controller keeps it.
                let phase = if phase == Phase::Deployed && deployed_seen { Phase::Superseded } else { phase };
                deployed_seen |= phase == Phase::Deployed;
                let mut r = release(&format!("{a}.{b}.{c}"), phase);
                r.approved = approved;
                r.force = force && phase == Phase::Pending;
                rs.push(r);
            }
            let deployed = rs.iter().find(|r| r.phase == Phase::Deployed).map(|r| r.version.clone());
            let out = calculate(&rs, false);
            let pending = rs.iter().filter(|r| r.phase == Phase::Pending).count();
            prop_assert_eq!(out.len(), pending);
            let processed: Vec<&Release> = out
                .iter()
                .filter(|(_, t)| *t == Task::Process)
                .map(|(n, _)| rs.iter().find(|r| &r.name == n).unwrap())
                .collect();
            prop_assert!(processed.len() <= 1);
            for r in processed {
                if let Some(d) = &deployed {
                    prop_assert!(r.version > *d);
                    if d.major != r.version.major && !(d.major == 0 && r.version.major == 1) {
                        prop_assert!(r.approved || r.force);
                    }
                }
                // Nothing older than it is left waiting.
                for (n, t) in &out {
                    let other = rs.iter().find(|x| &x.name == n).unwrap();
                    if other.version < r.version {
                        prop_assert!(matches!(t, Task::Skip(_)), "{:?} left {:?}", r.version, t);
                    }
                }
            }
        }
    }
}
