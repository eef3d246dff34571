//! Go's `[]byte` as a template value.

use std::rc::Rc;

use gotmpl::{Object, Value};

/// Go's `[]byte` (`.Files.GetBytes`): `typeOf` says `[]uint8`, it prints as
/// its numbers (`[66 90]`), serializes as base64 (as `encoding/json` writes
/// it), and `toString` gives the bytes as a string.
#[derive(Debug, Clone)]
pub struct Bytes(pub Rc<[u8]>);

impl Object for Bytes {
    fn type_name(&self) -> &str {
        "[]uint8"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn to_data(&self) -> Option<Value> {
        Some(Value::list(
            self.0.iter().map(|&b| Value::Int(i64::from(b))).collect(),
        ))
    }
    fn serialized(&self) -> Option<Value> {
        Some(Value::str(data_encoding::BASE64.encode(&self.0)))
    }
    fn truthy(&self) -> bool {
        !self.0.is_empty()
    }
    fn go_string(&self) -> Option<String> {
        Some(gostd::bytestring::from_bytes(&self.0).into_owned())
    }
}
