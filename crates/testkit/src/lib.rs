//! What the workspace's tests share, so each copy does not drift on its own:
//! where the real `helm` binary is ([`helm`]), a small deterministic
//! generator for randomized comparisons ([`XorShift`]), base64 decoding
//! of helm output ([`base64_decode`]) and a command run with its standard
//! input given ([`output_with_stdin`]).
//!
//! A dev-dependency only: it depends on no workspace crate, so every crate,
//! the lowest included, can use it.

use std::path::PathBuf;

/// The `helm` binary the differential tests compare against (3.17):
/// `$HELM`, else `$DECKMOD_TE_BIN_DIR/helm` (what `scripts/test.sh` and
/// `testenv/common.sh` set up), else the test environment's cache
/// (`${XDG_CACHE_HOME:-~/.cache}/deckmod-testenv/bin/helm`), else the first
/// `helm` on `PATH`.
///
/// # Panics
///
/// When there is none: a differential test must fail, not skip, without
/// its reference.
pub fn helm() -> PathBuf {
    find_helm(&|name| std::env::var_os(name)).unwrap_or_else(|| {
        panic!(
            "these tests need the real helm 3.17 binary: set HELM=/path/to/helm, install the test \
             environment (testenv/install.sh, which fills ~/.cache/deckmod-testenv/bin) or put \
             helm on PATH"
        )
    })
}

/// [`helm`]'s search with the environment read through `var`.
fn find_helm(var: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    if let Some(h) = var("HELM").filter(|h| !h.is_empty()) {
        return Some(PathBuf::from(h));
    }
    let cache = var("DECKMOD_TE_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| var("XDG_CACHE_HOME").map(|c| PathBuf::from(c).join("deckmod-testenv")))
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache/deckmod-testenv")));
    let bin_dirs = var("DECKMOD_TE_BIN_DIR")
        .map(PathBuf::from)
        .into_iter()
        .chain(cache.map(|c| c.join("bin")))
        .chain(std::env::split_paths(&var("PATH").unwrap_or_default()).collect::<Vec<_>>());
    bin_dirs.map(|dir| dir.join("helm")).find(|h| h.is_file())
}

/// xorshift64*: deterministic pseudo-random numbers without a dependency,
/// so a failing randomized comparison reproduces from its seed.
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator from `seed` (not 0: xorshift stays at 0 forever).
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// One of `items` (not empty).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// Up to `max_parts` of `parts` (the count itself random, 0 included),
    /// concatenated: a text made of the pieces a parser finds interesting.
    pub fn text(&mut self, parts: &[&str], max_parts: u64) -> String {
        let len = self.next_u64() % (max_parts + 1);
        (0..len).map(|_| self.pick(parts)).collect()
    }
}

/// Decode standard base64 (`+/`, `=` padding optional), as tests read
/// binary output that helm printed with `b64enc`.
///
/// # Panics
///
/// On a character outside the alphabet: the test's input is wrong.
pub fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET
            .iter()
            .position(|&a| a == c)
            .unwrap_or_else(|| panic!("not base64: {:?}", c as char)) as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// Run `cmd` with `stdin` written to its standard input (`None`: it reads
/// nothing) and its standard output and error captured.
///
/// # Panics
///
/// When the program cannot be started (not on the test environment's
/// `PATH`): the test cannot go on.
pub fn output_with_stdin(
    mut cmd: std::process::Command,
    stdin: Option<&str>,
) -> std::process::Output {
    use std::io::Write as _;
    use std::process::Stdio;
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(match stdin {
            Some(_) => Stdio::piped(),
            None => Stdio::null(),
        });
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{:?} runs (testenv PATH): {e}", cmd.get_program()));
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(text.as_bytes())
            .expect("the program reads its input");
    }
    child.wait_with_output().expect("the program ends")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xorshift_is_the_standard_sequence() {
        // xorshift64* (shifts 12, 25, 27; Vigna's multiplier) from seed 1: the
        // sequence the tests' copies produced, so their seeds keep their inputs.
        let mut r = XorShift::new(1);
        assert_eq!(r.next_u64(), 0x47E4_CE4B_896C_DD1D);
        assert_eq!(r.next_u64(), 0xABCF_A6A8_E079_651D);
        let t = XorShift::new(7).text(&["a", "b"], 4);
        assert!(
            t.len() <= 4 && t.chars().all(|c| c == 'a' || c == 'b'),
            "{t}"
        );
    }

    #[test]
    fn a_command_gets_its_input_and_gives_its_output() {
        let out = output_with_stdin(std::process::Command::new("cat"), Some("in\n"));
        assert!(out.status.success());
        assert_eq!(out.stdout, b"in\n");
        let out = output_with_stdin(std::process::Command::new("cat"), None);
        assert_eq!(out.stdout, b"");
    }

    #[test]
    fn base64_round_trips_known_texts() {
        assert_eq!(base64_decode("aGVsbG8="), b"hello");
        assert_eq!(base64_decode("aGVsbG8"), b"hello");
        assert_eq!(base64_decode(""), b"");
        assert_eq!(base64_decode("/+8="), [0xff, 0xef]);
    }

    #[test]
    fn helm_is_searched_in_order() {
        let dir = std::env::temp_dir().join(format!("testkit-helm-{}", std::process::id()));
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("helm"), "").unwrap();
        let env = |pairs: &'static [(&'static str, &'static str)], dir: PathBuf| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| dir.join(v).into_os_string())
            }
        };
        let found = |var: &dyn Fn(&str) -> Option<std::ffi::OsString>| find_helm(var);
        assert_eq!(
            found(&env(&[("HELM", "/x/helm")], dir.clone())),
            Some(PathBuf::from("/x/helm"))
        );
        assert_eq!(
            found(&env(&[("DECKMOD_TE_BIN_DIR", "bin")], dir.clone())),
            Some(bin.join("helm"))
        );
        assert_eq!(
            found(&env(&[("DECKMOD_TE_CACHE_DIR", "")], dir.clone())),
            Some(bin.join("helm"))
        );
        assert_eq!(
            found(&env(&[("PATH", "bin")], dir.clone())),
            Some(bin.join("helm"))
        );
        assert_eq!(found(&env(&[("PATH", "nowhere")], dir.clone())), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
