//! Go's `os` and `os/exec` as Helm's CLI shows them: `os.ExpandEnv`,
//! `exec.LookPath`, `os.MkdirAll`, and the wording Go gives I/O errors
//! (`syscall.Errno`) and exit statuses (`*exec.ExitError`). Unix only, as
//! deckmod is.

use crate::strconv::quote;

/// Go's `os.ExpandEnv`: `$NAME` and `${NAME}` become the variable's value
/// (empty when unset).
pub fn expand_env(s: &str) -> String {
    expand(s, |name| std::env::var(name).unwrap_or_default())
}

/// Go's `os.Expand`: `$NAME` and `${NAME}` replaced by `mapping(NAME)`; a
/// bad `${...}` is dropped, a `$` with no name after it stays.
pub fn expand(s: &str, mut mapping: impl FnMut(&str) -> String) -> String {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    let mut start = 0;
    while i < b.len() {
        if b[i] != b'$' || i + 1 >= b.len() {
            i += 1;
            continue;
        }
        out.push_str(&s[start..i]);
        let (name, width) = shell_name(&s[i + 1..]);
        if name.is_empty() && width > 0 {
            // A bad `${...}`: Go drops it.
        } else if name.is_empty() {
            out.push('$');
        } else {
            out.push_str(&mapping(name));
        }
        i += 1 + width;
        start = i;
    }
    out.push_str(&s[start..]);
    out
}

/// Go's `os.getShellName`: the variable name after `$` and how many bytes
/// it spans (`s` is not empty).
fn shell_name(s: &str) -> (&str, usize) {
    let b = s.as_bytes();
    let special =
        |c: u8| matches!(c, b'*' | b'#' | b'$' | b'@' | b'!' | b'?' | b'-') || c.is_ascii_digit();
    let alnum = |c: u8| c == b'_' || c.is_ascii_alphanumeric();
    if b[0] == b'{' {
        if b.len() > 2 && special(b[1]) && b[2] == b'}' {
            return (&s[1..2], 3);
        }
        for i in 1..b.len() {
            if b[i] == b'}' {
                if i == 1 {
                    return ("", 2);
                }
                return (&s[1..i], i + 1);
            }
        }
        return ("", 1);
    }
    if special(b[0]) {
        return (&s[0..1], 1);
    }
    let n = b.iter().take_while(|&&c| alnum(c)).count();
    (&s[..n], n)
}

/// Go's `exec.LookPath` followed by `filepath.Abs` (what Helm does with a
/// post-renderer's name): the executable's absolute, cleaned path, or
/// Go's error text (`exec: "x": executable file not found in $PATH`).
pub fn look_path_abs(name: &str) -> Result<String, String> {
    let quoted = quote(name);
    let found = if name.contains('/') {
        check_executable(name).map_err(|e| format!("exec: {quoted}: {e}"))?;
        name.to_string()
    } else {
        let path = std::env::var("PATH").unwrap_or_default();
        let hit = path.split(':').find_map(|dir| {
            let dir = if dir.is_empty() { "." } else { dir };
            let candidate = format!("{dir}/{name}");
            check_executable(&candidate).ok().map(|()| candidate)
        });
        match hit {
            Some(c) if !c.starts_with('/') => {
                return Err(format!(
                    "exec: {quoted}: cannot run executable found relative to current directory"
                ));
            }
            Some(c) => c,
            None => {
                return Err(format!(
                    "exec: {quoted}: executable file not found in $PATH"
                ));
            }
        }
    };
    if found.starts_with('/') {
        return Ok(crate::path::clean(&found));
    }
    let cwd = std::env::current_dir().map_err(|e| io_error(&e))?;
    Ok(crate::path::clean(&format!("{}/{found}", cwd.display())))
}

/// Go's `findExecutable` on Unix.
fn check_executable(path: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = std::fs::metadata(path).map_err(|e| format!("stat {path}: {}", io_error(&e)))?;
    if meta.is_dir() {
        return Err("is a directory".into());
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err("permission denied".into());
    }
    Ok(())
}

/// An I/O error as Go's `syscall.Errno` words it: the C library's message
/// in lower case, without Rust's "(os error N)".
pub fn io_error(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(i) => &text[..i],
        None => &text,
    };
    // Rust capitalizes the C library's message; Go's table is lower case.
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Go's `os.MkdirAll`: parents first; an error names the folder that
/// failed (`mkdir a/b: not a directory`).
pub fn mkdir_all(path: &str) -> Result<(), String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(_) => return Err(format!("mkdir {path}: not a directory")),
        Err(_) => {}
    }
    let trimmed = path.trim_end_matches('/');
    if let Some(j) = trimmed.rfind('/')
        && j > 0
    {
        mkdir_all(&trimmed[..j])?;
    }
    match std::fs::create_dir(path) {
        Ok(()) => Ok(()),
        Err(_) if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) => Ok(()),
        Err(e) => Err(format!("mkdir {path}: {}", io_error(&e))),
    }
}

/// Go's `*exec.ExitError` text: `exit status N` or `signal: NAME`.
pub fn exit_status(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    let sig = status.signal().unwrap_or_default();
    let name = match sig {
        1 => "hangup",
        2 => "interrupt",
        3 => "quit",
        4 => "illegal instruction",
        6 => "aborted",
        7 => "bus error",
        8 => "floating point exception",
        9 => "killed",
        11 => "segmentation fault",
        13 => "broken pipe",
        14 => "alarm clock",
        15 => "terminated",
        _ => return format!("signal: signal {sig}"),
    };
    format!("signal: {name}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt as _;
    use std::process::ExitStatus;

    #[test]
    fn expand_follows_go() {
        let env = |name: &str| match name {
            "A" => "v".to_string(),
            "1" => "one".to_string(),
            _ => String::new(),
        };
        assert_eq!(expand("a-$A-${A}-$", env), "a-v-v-$");
        assert_eq!(expand("${}x", env), "x");
        assert_eq!(expand("$1${1}x", env), "oneonex");
        assert_eq!(expand("${A", env), "A", "an unclosed brace drops the `$`");
        assert_eq!(expand("$$", env), "");
        assert_eq!(expand("$-x", env), "x");
        assert_eq!(expand("${Ax}y$Zz", env), "y");
    }

    #[test]
    fn expand_env_reads_the_environment() {
        // SAFETY: the test sets a variable no other test reads.
        unsafe { std::env::set_var("GOSTD_OS_TEST_VAR", "v") };
        assert_eq!(
            expand_env("a-$GOSTD_OS_TEST_VAR-${GOSTD_OS_TEST_VAR}-$"),
            "a-v-v-$"
        );
    }

    #[test]
    fn look_path_words_errors_as_go() {
        assert_eq!(
            look_path_abs("surely-no-such-tool-xyz"),
            Err("exec: \"surely-no-such-tool-xyz\": executable file not found in $PATH".into())
        );
        assert_eq!(
            look_path_abs("/surely/no/such"),
            Err(
                "exec: \"/surely/no/such\": stat /surely/no/such: no such file or directory".into()
            )
        );
        assert_eq!(
            look_path_abs("/"),
            Err("exec: \"/\": is a directory".into())
        );
        assert_eq!(look_path_abs("/bin/../bin/sh").as_deref(), Ok("/bin/sh"));
    }

    #[test]
    fn mkdir_all_makes_parents_and_names_the_failing_folder() {
        let dir = std::env::temp_dir().join(format!("gostd-mkdir-{}", std::process::id()));
        let base = dir.to_str().unwrap();
        mkdir_all(&format!("{base}/a/b/")).unwrap();
        assert!(dir.join("a/b").is_dir());
        mkdir_all(&format!("{base}/a/b")).unwrap();
        std::fs::write(dir.join("f"), "").unwrap();
        assert_eq!(
            mkdir_all(&format!("{base}/f/x")),
            Err(format!("mkdir {base}/f: not a directory"))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn errors_and_statuses_in_gos_words() {
        let e = std::io::Error::from_raw_os_error(2);
        assert_eq!(io_error(&e), "no such file or directory");
        assert_eq!(exit_status(&ExitStatus::from_raw(3 << 8)), "exit status 3");
        assert_eq!(exit_status(&ExitStatus::from_raw(9)), "signal: killed");
        assert_eq!(exit_status(&ExitStatus::from_raw(64)), "signal: signal 64");
    }
}
