//! Admission (`$VALIDATING_RESPONSE_PATH`) and conversion
//! (`$CONVERSION_RESPONSE_PATH`) responses. An empty or invalid file is an
//! error, which the webhook server turns into a denial.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::OutputError;

/// An admission response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdmissionResponse {
    /// Admit or deny.
    pub allowed: bool,
    /// Message shown to the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Warnings shown to the user.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Base64 JSON Patch (mutating webhooks only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
}

/// A conversion response.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ConversionResponse {
    /// Converted objects, in request order.
    #[serde(rename = "convertedObjects")]
    Converted(Vec<Value>),
    /// Conversion failed with this message.
    #[serde(rename = "failedMessage")]
    Failed(String),
}

/// Parse an admission response file.
pub fn parse_admission_response(file: &str, text: &str) -> Result<AdmissionResponse, OutputError> {
    if text.trim().is_empty() {
        return Err(OutputError::new(file, "empty admission response".into()));
    }
    serde_json::from_str(text)
        .map_err(|e| OutputError::new(file, format!("invalid admission response: {e}")))
}

/// Parse a conversion response file.
pub fn parse_conversion_response(
    file: &str,
    text: &str,
) -> Result<ConversionResponse, OutputError> {
    if text.trim().is_empty() {
        return Err(OutputError::new(file, "empty conversion response".into()));
    }
    let v: Value =
        serde_json::from_str(text).map_err(|e| OutputError::new(file, format!("not JSON: {e}")))?;
    if let Some(msg) = v.get("failedMessage").and_then(Value::as_str)
        && !msg.is_empty()
    {
        return Ok(ConversionResponse::Failed(msg.to_string()));
    }
    match v.get("convertedObjects") {
        Some(Value::Array(items)) => Ok(ConversionResponse::Converted(items.clone())),
        _ => Err(OutputError::new(
            file,
            "expected {\"convertedObjects\": [...]} or {\"failedMessage\": \"...\"}".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admission_round_trip_and_errors() {
        let r =
            parse_admission_response("a", r#"{"allowed":false,"message":"no","warnings":["w"]}"#)
                .unwrap();
        assert!(!r.allowed);
        assert!(parse_admission_response("a", "").is_err());
        assert!(parse_admission_response("a", r#"{"allow":true}"#).is_err());
    }

    #[test]
    fn conversion_forms() {
        assert_eq!(
            parse_conversion_response("c", r#"{"convertedObjects":[{"a":1}]}"#).unwrap(),
            ConversionResponse::Converted(vec![serde_json::json!({"a":1})])
        );
        assert_eq!(
            parse_conversion_response("c", r#"{"failedMessage":"bad"}"#).unwrap(),
            ConversionResponse::Failed("bad".into())
        );
        assert!(parse_conversion_response("c", "{}").is_err());
    }
}
