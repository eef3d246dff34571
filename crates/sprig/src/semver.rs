//! Sprig's `semver` and `semverCompare`: the template face of
//! [`masterminds_semver`], which holds the version and constraint rules
//! (Masterminds/semver v3, the library Sprig calls).

use std::cmp::Ordering;
use std::rc::Rc;

use gotmpl::{FuncError, FuncMap, Object, Value};
use masterminds_semver::{Constraints, Version};

use crate::{args, define};

/// A `*semver.Version` as templates see it: its fields and comparison
/// methods (`.Major`, `.Compare`, ...).
#[derive(Debug)]
struct SemverObject(Version);

impl Object for SemverObject {
    fn type_name(&self) -> &str {
        "*semver.Version"
    }
    fn field(&self, name: &str) -> Option<Value> {
        let v = &self.0;
        Some(match name {
            "Major" => Value::Int(v.major as i64),
            "Minor" => Value::Int(v.minor as i64),
            "Patch" => Value::Int(v.patch as i64),
            "Prerelease" => Value::str(&v.pre),
            "Metadata" => Value::str(&v.metadata),
            "Original" => Value::str(&v.original),
            "String" => Value::str(v.to_string()),
            _ => return None,
        })
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let other = |v: &Value| match v {
            Value::String(s) => Version::parse(s),
            Value::Object(o) if o.type_name() == "*semver.Version" => Version::parse(
                &o.field("Original")
                    .and_then(|x| x.as_str().map(str::to_string))
                    .unwrap_or_default(),
            ),
            other => Err(format!(
                "wrong type for value; expected *semver.Version; got {}",
                gotmpl::fmt::type_name(other)
            )),
        };
        let cmp = |v: &Value| other(v).map(|o| self.0.compare(&o));
        Some(match (name, args) {
            ("Compare", [v]) => cmp(v).map(|o| Value::Int(o as i64)),
            ("LessThan", [v]) => cmp(v).map(|o| Value::Bool(o == Ordering::Less)),
            ("GreaterThan", [v]) => cmp(v).map(|o| Value::Bool(o == Ordering::Greater)),
            ("Equal", [v]) => cmp(v).map(|o| Value::Bool(o == Ordering::Equal)),
            _ => return None,
        })
    }
    fn fmt_go(&self) -> String {
        self.0.to_string()
    }
    /// `*semver.Version` marshals to its version text.
    fn to_data(&self) -> Option<Value> {
        Some(Value::str(self.0.to_string()))
    }
}

/// Register `semver` and `semverCompare`.
pub fn register(m: &mut FuncMap) {
    define(m, &["semver"], |n, a| {
        args::exact(n, a, 1)?;
        let v = Version::parse(args::string(&a[0])?).map_err(FuncError::new)?;
        Ok(Value::Object(Rc::new(SemverObject(v))))
    });
    define(m, &["semverCompare"], |n, a| {
        args::exact(n, a, 2)?;
        let c = Constraints::parse(args::string(&a[0])?).map_err(FuncError::new)?;
        let v = Version::parse(args::string(&a[1])?).map_err(FuncError::new)?;
        Ok(Value::Bool(c.check(&v)))
    });
}
