//! The containers' volume mounts: every path a controller mounts is
//! declared in a `mount-points.yaml` of the module's images (the hardened
//! runtime creates only declared mount points), and a container that
//! mounts the host's `/sys` also mounts `/sys/fs/cgroup`.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::{CONTROLLER_KINDS, Container, Context, Object, Rule, WORKLOAD_KINDS};
use crate::diagnostic::{Finding, Severity};

/// Its exclusions are paths (`exclude-rules.mount-points: [/host]`).
const MOUNT_POINTS: Rule = Rule::fixed("mount-points");
const SYS_CGROUP_MOUNT: Rule = Rule::excludable("sys-cgroup-mount");

/// Paths every Linux host has: they need no declaration.
const BUILTIN_MOUNT_POINTS: &[&str] = &["/sys", "/sys/fs/cgroup", "/dev", "/proc", "/tmp"];

/// A `mount-points.yaml`: the folders and files an image may have mounted.
#[derive(Debug, Default, Deserialize)]
struct MountPointsFile {
    #[serde(default)]
    dirs: Vec<String>,
    #[serde(default)]
    files: Vec<String>,
}

/// The mount points the module's `mount-points.yaml` files declare,
/// without trailing `/`. As DMT does, they are looked for anywhere in the
/// module folder, and only when it has `images/`; unreadable files are
/// skipped.
pub(super) fn declared(root: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if root.join("images").is_dir() {
        collect(root, &mut out);
    }
    out
}

fn collect(dir: &Path, out: &mut BTreeSet<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.filter_map(Result::ok) {
        let path = e.path();
        let Ok(ft) = e.file_type() else {
            continue;
        };
        if ft.is_dir() {
            collect(&path, out);
        } else if ft.is_file() && e.file_name() == "mount-points.yaml" {
            let parsed = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| goyaml::from_str(&t).ok())
                .and_then(|v: Value| serde_json::from_value::<MountPointsFile>(v).ok());
            if let Some(f) = parsed {
                out.extend(
                    f.dirs
                        .iter()
                        .chain(&f.files)
                        .map(|p| p.trim_end_matches('/').to_string()),
                );
            }
        }
    }
}

fn mount_paths<'a>(c: &Container<'a>) -> impl Iterator<Item = (&'a str, &'a str)> {
    c.list("volumeMounts").iter().filter_map(|m| {
        let p = m.get("mountPath").and_then(Value::as_str)?;
        Some((p, p.trim_end_matches('/')))
    })
}

/// Run the mount rules on `containers` (init containers included).
pub(super) fn check(
    ctx: &Context<'_>,
    object: &Object,
    containers: &[Container<'_>],
    declared: &BTreeSet<String>,
    out: &mut Vec<Finding>,
) {
    if WORKLOAD_KINDS.contains(&object.kind()) {
        for c in containers {
            sys_cgroup_mount(ctx, object, c, out);
        }
    }
    if CONTROLLER_KINDS.contains(&object.kind()) && !declared.is_empty() {
        mount_points(ctx, object, containers, declared, out);
    }
}

fn mount_points(
    ctx: &Context<'_>,
    object: &Object,
    containers: &[Container<'_>],
    declared: &BTreeSet<String>,
    out: &mut Vec<Finding>,
) {
    let excluded = ctx.config.string_excludes(super::LINTER, MOUNT_POINTS.name);
    for c in containers {
        for (path, normalized) in mount_paths(c) {
            if BUILTIN_MOUNT_POINTS.contains(&normalized)
                || excluded.iter().any(|e| e == normalized)
                || declared.contains(normalized)
            {
                continue;
            }
            out.push(ctx.finding(
                MOUNT_POINTS,
                Severity::Warning,
                object,
                Some(c.name),
                format!(
                    "mountPath `{path}` is declared in no mount-points.yaml of the module's images"
                ),
            ));
        }
    }
}

fn sys_cgroup_mount(ctx: &Context<'_>, object: &Object, c: &Container<'_>, out: &mut Vec<Finding>) {
    if ctx.excluded(SYS_CGROUP_MOUNT, object, Some(c.name)) {
        return;
    }
    let mut sys = false;
    let mut cgroup = false;
    for (_, p) in mount_paths(c) {
        sys |= p == "/sys";
        cgroup |= p == "/sys/fs/cgroup";
    }
    if sys && !cgroup {
        // An error DMT reports as a warning unless the rule's impact says
        // `error` (`.dmtlint.yaml` caps it, see config).
        out.push(ctx.finding(
            SYS_CGROUP_MOUNT,
            Severity::Error,
            object,
            Some(c.name),
            "mounts /sys but not /sys/fs/cgroup: a hardened read-only containerd does not carry the cgroup mount along with /sys, so mount it explicitly",
        ));
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::testing::*;

    fn mounting(paths: &[&str]) -> String {
        let mounts: Vec<String> = paths
            .iter()
            .map(|p| format!("{{name: v, mountPath: {p}}}"))
            .collect();
        edit(
            CLEAN,
            "          ports:",
            &format!(
                "          volumeMounts: [{}]\n          ports:",
                mounts.join(", ")
            ),
        )
    }

    fn module_with_mount_points(yaml: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("images/app");
        std::fs::create_dir_all(&img).unwrap();
        std::fs::write(img.join("mount-points.yaml"), yaml).unwrap();
        dir
    }

    #[test]
    fn mount_points() {
        let dir = module_with_mount_points("dirs: [/var/lib/app/]\nfiles: [/etc/app.conf]\n");
        let run = |paths: &[&str], dmtlint: &str| {
            lint_in(dir.path(), &mounting(paths), dmtlint, &values())
        };
        assert_eq!(
            run(&["/var/lib/app", "/etc/app.conf", "/tmp", "/proc/"], "{}"),
            []
        );
        assert_eq!(
            of(&run(&["/data/"], "{}"), "mount-points"),
            [
                "warning Deployment web, container `app`: mountPath `/data/` is declared in no mount-points.yaml of the module's images"
            ]
        );
        // Exclusions are paths.
        let f = run(
            &["/data", "/host"],
            "linters-settings:\n  container:\n    exclude-rules:\n      mount-points: [/host]\n",
        );
        assert_eq!(of(&f, "mount-points").len(), 1);
        assert!(of(&f, "mount-points")[0].contains("`/data`"));
    }

    #[test]
    fn mount_points_need_a_declaration_to_check() {
        // No mount-points.yaml in the module: the rule has nothing to compare with.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("images/app")).unwrap();
        assert_eq!(
            lint_in(dir.path(), &mounting(&["/data"]), "{}", &values()),
            []
        );
        assert_eq!(
            lint_in(Path::new(ROOT), &mounting(&["/data"]), "{}", &values()),
            []
        );
    }

    #[test]
    fn sys_cgroup_mount() {
        let f = lint0(&mounting(&["/sys/"]));
        assert_eq!(
            of(&f, "sys-cgroup-mount"),
            [
                "warning Deployment web, container `app`: mounts /sys but not /sys/fs/cgroup: a hardened read-only containerd does not carry the cgroup mount along with /sys, so mount it explicitly"
            ]
        );
        assert_eq!(lint0(&mounting(&["/sys", "/sys/fs/cgroup"])), []);
        assert_eq!(lint0(&mounting(&["/sys/fs/cgroup"])), []);
        // Its own impact makes it an error; the linter's does not.
        let raised = lint(
            &mounting(&["/sys"]),
            "global:\n  linters-settings:\n    container:\n      rules:\n        sys-cgroup-mount: {impact: error}\n",
        );
        assert!(of(&raised, "sys-cgroup-mount")[0].starts_with("error "));
        let linter = lint(
            &mounting(&["/sys"]),
            "linters-settings:\n  container:\n    impact: error\n",
        );
        assert!(of(&linter, "sys-cgroup-mount")[0].starts_with("warning "));
    }

    #[test]
    fn sys_cgroup_mount_exclude() {
        let text = mounting(&["/sys"]);
        let f = lint(
            &text,
            "linters-settings:\n  container:\n    exclude-rules:\n      sys-cgroup-mount:\n        - {kind: Deployment, name: web, container: app}\n",
        );
        assert_eq!(of(&f, "sys-cgroup-mount"), Vec::<String>::new());
        let f = lint(
            &text,
            "linters-settings:\n  container:\n    exclude-rules:\n      sys-cgroup-mount:\n        - {kind: Deployment, name: other, container: app}\n",
        );
        assert_eq!(of(&f, "sys-cgroup-mount").len(), 1);
    }
}
