//! The general jq engine: jaq, compiled once per filter.

use jaq_core::data::JustLut;
use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Native, Vars, compile};
use jaq_json::Val;
use serde_json::Value;

use super::JqError;
use super::convert::{collect_outputs, from_val, to_val};

/// A jq program compiled by jaq.
pub struct JaqProgram {
    filter: compile::Filter<Native<JustLut<Val>>>,
}

impl std::fmt::Debug for JaqProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JaqProgram")
    }
}

impl JaqProgram {
    /// Parse and compile `source`. jaq reports errors only in `Debug` form,
    /// so they are rendered here as "what was found" lists.
    pub fn compile(source: &str) -> Result<Self, JqError> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let program = File {
            code: source,
            path: (),
        };
        let modules = loader.load(&arena, program).map_err(|errs| {
            let parts: Vec<String> = errs
                .into_iter()
                .map(|(_, e)| describe_load_error(&e, source))
                .collect();
            JqError::Parse {
                filter: source.to_string(),
                details: parts.join("; "),
            }
        })?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errs| {
                let parts: Vec<String> = errs
                    .into_iter()
                    .flat_map(|(_, es)| es.into_iter())
                    .map(|(name, undefined)| format!("undefined {undefined:?} `{name}`"))
                    .collect();
                JqError::Compile {
                    filter: source.to_string(),
                    details: parts.join("; "),
                }
            })?;
        Ok(JaqProgram { filter })
    }

    /// Run the program on one input and collect outputs as gojq does.
    pub fn run(&self, input: &Value) -> Result<Value, JqError> {
        let ctx = Ctx::<JustLut<Val>>::new(&self.filter.lut, Vars::new([]));
        let mut outputs = Vec::new();
        for out in self.filter.id.run((ctx, to_val(input))) {
            match jaq_core::unwrap_valr(out) {
                Ok(v) => outputs.push(from_val(&v)),
                Err(e) => {
                    return Err(JqError::Run {
                        message: e.to_string(),
                    });
                }
            }
        }
        Ok(collect_outputs(outputs))
    }
}

/// Render a jaq load error (only `Debug` is available) with the offset of
/// the offending token when jaq gives one.
fn describe_load_error(err: &jaq_core::load::Error<&str>, source: &str) -> String {
    use jaq_core::load::Error;
    match err {
        Error::Io(items) => format!("cannot read module: {items:?}"),
        Error::Lex(items) => items
            .iter()
            .map(|(expect, found)| {
                format!(
                    "at offset {}: expected {}",
                    offset_in(source, found),
                    expect.as_str()
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        Error::Parse(items) => items
            .iter()
            .map(|(expect, token)| {
                format!(
                    "at offset {}: expected {}, found {:?}",
                    offset_in(source, token),
                    expect.as_str(),
                    token
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Byte offset of a sub-slice of `source` (jaq's errors point into it).
fn offset_in(source: &str, part: &str) -> usize {
    let start = source.as_ptr() as usize;
    let at = part.as_ptr() as usize;
    at.saturating_sub(start).min(source.len())
}
