//! Go standard-library behaviour, one module per Go package.
//!
//! Helm, shell-operator and addon-operator are Go programs, and deckmod's
//! output must match theirs byte for byte; where that depends on how a Go
//! package parses, prints or fails, the behaviour is written once here and
//! every crate calls it. Nothing here knows about templates, YAML or charts.
//!
//! - [`strconv`]: Go literals and numbers (`Unquote`, `Quote`, `ParseInt`,
//!   `ParseUint`, `ParseFloat` with hex floats and underscores, `ParseBool`,
//!   `FormatFloat`);
//! - [`bytestring`]: Go's byte strings carried in Rust `str` (binary file
//!   contents, `b64dec` output) and converted back where Go sees bytes;
//! - [`json`]: how `encoding/json` prints a `float64`;
//! - [`regexp`]: Go RE2 patterns run on the `regex` crate, with Go's errors;
//! - [`time`]: `time.ParseDuration` and `Duration.String`;
//! - [`path`]: slash-separated `path.Clean`, `Base`, `Dir`, `Ext`;
//! - [`os`]: `os.ExpandEnv`, `exec.LookPath`, `os.MkdirAll`, and Go's
//!   wording of I/O errors and exit statuses.

pub mod bytestring;
pub mod json;
pub mod os;
pub mod path;
pub mod regexp;
pub mod strconv;
pub mod time;
