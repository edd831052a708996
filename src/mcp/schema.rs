//! Tool schemas that real MCP clients accept without complaint.
//!
//! schemars describes Rust integers with `format` values of its own (`uint32`, `uint64`, `int32`,
//! `uint`, `double`, …). JSON Schema validators such as Ajv (inside Claude Code) warn about every
//! unknown format — about forty lines per start. The type and `minimum` already say what those
//! formats meant, so every `format` that JSON Schema does not define is removed.

use serde_json::{Map, Value};

/// The formats JSON Schema (2020-12, "Defined Formats") defines.
const STANDARD_FORMATS: [&str; 19] = [
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// Removes non-standard `format` keywords from a schema, at any depth.
pub fn standard_formats_only(schema: &mut Map<String, Value>) {
    let custom = schema.get("format").and_then(Value::as_str).is_some_and(|format| !STANDARD_FORMATS.contains(&format));
    if custom {
        schema.shift_remove("format");
    }
    for value in schema.values_mut() {
        clean_value(value);
    }
}

fn clean_value(value: &mut Value) {
    match value {
        Value::Object(map) => standard_formats_only(map),
        Value::Array(items) => items.iter_mut().for_each(clean_value),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_formats_json_schema_defines_are_kept() {
        let mut schema = serde_json::json!({
            "type": "object",
            "properties": {
                "count": { "type": "integer", "format": "uint32", "minimum": 0 },
                "at": { "type": "string", "format": "date-time" },
                "items": { "type": "array", "items": { "type": "number", "format": "double" } },
                "one": { "anyOf": [{ "type": "integer", "format": "int64" }, { "type": "null" }] },
                "format": { "type": "string", "description": "a property named format stays" }
            }
        });
        standard_formats_only(schema.as_object_mut().unwrap());
        let text = schema.to_string();
        for gone in ["uint32", "double", "int64"] {
            assert!(!text.contains(gone), "{text}");
        }
        assert_eq!(schema["properties"]["at"]["format"], "date-time");
        assert_eq!(schema["properties"]["count"]["minimum"], 0);
        assert!(schema["properties"]["format"].is_object());
    }
}
