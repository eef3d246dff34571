//! Module names, values keys and image names (module-layout §1).

/// Longest module name DKP accepts.
pub const MAX_NAME_LEN: usize = 64;

/// Why a module name is not acceptable.
pub fn check_module_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the module name is empty".into());
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "the module name is {} characters long, at most {MAX_NAME_LEN} are allowed",
            name.len()
        ));
    }
    if name == "modules" {
        return Err("`modules` is reserved (it is a registry path segment)".into());
    }
    let valid = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.as_bytes()[0].is_ascii_lowercase()
        && !name.ends_with('-')
        && !name.contains("--");
    if !valid {
        return Err(format!(
            "`{name}` is not kebab-case: lowercase letters, digits and single dashes, starting with a letter"
        ));
    }
    if kebab_case(&values_key(name)) != name {
        return Err(format!(
            "`{name}` cannot be restored from its camelCase values key `{}`",
            values_key(name)
        ));
    }
    Ok(())
}

/// The values key of a module: camelCase of its kebab-case name
/// (`cert-manager` → `certManager`).
pub fn values_key(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// kebab-case of a camelCase key (`certManager` → `cert-manager`).
pub fn kebab_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The image name of a directory under `images/`: lowerCamel of the
/// directory name (`echo-server` → `echoServer`).
pub fn image_name(dir: &str) -> String {
    values_key(dir)
}

/// Split a bundled module directory name `040-node-manager` into its order
/// (`Some(40)`) and module name.
pub fn split_dir_name(dir: &str) -> (Option<u32>, &str) {
    if let Some((prefix, rest)) = dir.split_once('-')
        && !prefix.is_empty()
        && prefix.bytes().all(|b| b.is_ascii_digit())
        && !rest.is_empty()
        && let Ok(n) = prefix.parse()
    {
        return (Some(n), rest);
    }
    (None, dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_key_round_trips() {
        assert_eq!(values_key("echo-server"), "echoServer");
        assert_eq!(values_key("cert-manager"), "certManager");
        assert_eq!(kebab_case("certManager"), "cert-manager");
        assert!(check_module_name("echo-server").is_ok());
        assert!(check_module_name("pod-reloader").is_ok());
    }

    #[test]
    fn bad_names() {
        assert!(check_module_name("Echo").is_err());
        assert!(check_module_name("echo_server").is_err());
        assert!(check_module_name("echo--server").is_err());
        assert!(check_module_name("modules").is_err());
        assert!(
            check_module_name("a-1b").is_err(),
            "a-1b → a1b → a1b is not a-1b"
        );
        assert!(check_module_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn dir_names() {
        assert_eq!(
            split_dir_name("040-node-manager"),
            (Some(40), "node-manager")
        );
        assert_eq!(split_dir_name("node-manager"), (None, "node-manager"));
    }
}
