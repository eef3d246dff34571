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
//! - [`json`]: how `encoding/json` prints a `float64`;
//! - [`regexp`]: Go RE2 patterns run on the `regex` crate, with Go's errors;
//! - [`time`]: `time.ParseDuration` and `Duration.String`;
//! - [`path`]: slash-separated `path.Clean`, `Base`, `Dir`, `Ext`;
//! - [`os`]: `os.ExpandEnv`, `exec.LookPath`, `os.MkdirAll`, and Go's
//!   wording of I/O errors and exit statuses.

pub mod json;
pub mod os;
pub mod path;
pub mod regexp;
pub mod strconv;
pub mod time;
