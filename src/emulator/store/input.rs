//! Reading request bodies the way Graph does: a property can be absent (leave it), `null` (clear it) or a value of
//! the right JSON type; anything else is a 400 naming the property and the resource.

use serde_json::{Map, Value};

use crate::emulator::odata::ErrorReply;
use crate::rules::guid;

/// One property of a request body as sent: absent, null or a value. (Not a Terraform attribute:
/// `tfplugin::model::BodyProperty` is the provider's.)
#[derive(Debug, Clone, PartialEq)]
pub enum BodyProperty<T> {
    Absent,
    Null,
    Value(T),
}

impl<T> BodyProperty<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, BodyProperty::Absent)
    }

    /// `Some(new value)` when the property was sent (`Some(None)` for null).
    pub fn into_update(self) -> Option<Option<T>> {
        match self {
            BodyProperty::Absent => None,
            BodyProperty::Null => Some(None),
            BodyProperty::Value(value) => Some(Some(value)),
        }
    }
}

/// The 400 Entra gives for a value it cannot use.
pub fn invalid_value(property: &str, resource: &str) -> ErrorReply {
    ErrorReply::bad_request(format!(
        "Invalid value specified for property '{property}' of resource '{resource}'."
    ))
}

/// The 400 Entra gives for a missing required property.
pub fn value_required(property: &str, resource: &str) -> ErrorReply {
    ErrorReply::bad_request(format!(
        "A value is required for property '{property}' of resource '{resource}'."
    ))
}

/// A JSON object body, or Graph's 400 for anything else.
pub fn object_body(body: &[u8]) -> Result<Map<String, Value>, ErrorReply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ErrorReply::new(
            axum::http::StatusCode::BAD_REQUEST,
            "BadRequest",
            "Empty Payload. JSON content expected.",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ErrorReply::new(
            axum::http::StatusCode::BAD_REQUEST,
            "BadRequest",
            "Invalid request body: a JSON object was expected.",
        )),
        Err(error) => Err(ErrorReply::new(
            axum::http::StatusCode::BAD_REQUEST,
            "BadRequest",
            format!(
                "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format. ({error})"
            ),
        )),
    }
}

/// Typed access to the properties of one body, for one resource name (used in messages).
pub struct Body<'a> {
    map: &'a Map<String, Value>,
    resource: &'static str,
}

impl<'a> Body<'a> {
    pub fn new(map: &'a Map<String, Value>, resource: &'static str) -> Self {
        Body { map, resource }
    }

    pub fn string(&self, name: &str) -> Result<BodyProperty<String>, ErrorReply> {
        match self.map.get(name) {
            None => Ok(BodyProperty::Absent),
            Some(Value::Null) => Ok(BodyProperty::Null),
            Some(Value::String(text)) => Ok(BodyProperty::Value(text.clone())),
            Some(_) => Err(invalid_value(name, self.resource)),
        }
    }

    pub fn bool(&self, name: &str) -> Result<BodyProperty<bool>, ErrorReply> {
        match self.map.get(name) {
            None => Ok(BodyProperty::Absent),
            Some(Value::Null) => Ok(BodyProperty::Null),
            Some(Value::Bool(flag)) => Ok(BodyProperty::Value(*flag)),
            Some(_) => Err(invalid_value(name, self.resource)),
        }
    }

    pub fn strings(&self, name: &str) -> Result<BodyProperty<Vec<String>>, ErrorReply> {
        match self.map.get(name) {
            None => Ok(BodyProperty::Absent),
            Some(Value::Null) => Ok(BodyProperty::Null),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| invalid_value(name, self.resource))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(BodyProperty::Value),
            Some(_) => Err(invalid_value(name, self.resource)),
        }
    }

    pub fn raw(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name)
    }

    /// Refuses properties the resource does not have. `known` lists writable and read-only-but-tolerated names;
    /// OData annotations (`x@odata.bind`, `@odata.type`) are checked by the caller.
    pub fn reject_unknown(&self, known: &[&str]) -> Result<(), ErrorReply> {
        for key in self.map.keys() {
            if key.contains('@') || known.contains(&key.as_str()) {
                continue;
            }
            return Err(ErrorReply::bad_request(format!(
                "Invalid property '{key}'."
            )));
        }
        Ok(())
    }

    /// The object ids referenced by `{navigation}@odata.bind`: absent is empty; each entry must be a URL ending in
    /// `/directoryObjects/{id}` (or `/groups/{id}`, `/devices/{id}`, `/users/{id}`), as Graph's binds are.
    pub fn binds(&self, navigation: &str) -> Result<Vec<String>, ErrorReply> {
        let key = format!("{navigation}@odata.bind");
        let Some(value) = self.map.get(&key) else {
            return Ok(Vec::new());
        };
        let invalid = || {
            ErrorReply::bad_request(format!(
                "Invalid URL format specified in @odata.bind for {navigation}"
            ))
        };
        let Value::Array(items) = value else {
            return Err(invalid());
        };
        items
            .iter()
            .map(|item| {
                item.as_str()
                    .and_then(object_id_from_url)
                    .ok_or_else(invalid)
            })
            .collect()
    }
}

/// The object id in a directory object URL such as `https://graph.microsoft.com/v1.0/directoryObjects/{id}`.
/// Any host and version are accepted; the id must be a GUID.
pub fn object_id_from_url(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let position = segments.iter().rposition(|segment| {
        matches!(
            *segment,
            "directoryObjects" | "groups" | "devices" | "users" | "servicePrincipals"
        )
    })?;
    let id = segments.get(position + 1)?;
    guid::canonical(id).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_distinguish_absent_null_and_wrong_types() {
        let map = json!({"a": "x", "b": null, "c": 5, "d": ["p", "q"], "e": true})
            .as_object()
            .unwrap()
            .clone();
        let body = Body::new(&map, "Group");
        assert_eq!(
            body.string("a").unwrap(),
            BodyProperty::Value("x".to_string())
        );
        assert_eq!(body.string("b").unwrap(), BodyProperty::Null);
        assert_eq!(body.string("z").unwrap(), BodyProperty::Absent);
        let error = body.string("c").unwrap_err();
        assert_eq!(
            error.message,
            "Invalid value specified for property 'c' of resource 'Group'."
        );
        assert_eq!(
            body.strings("d").unwrap(),
            BodyProperty::Value(vec!["p".to_string(), "q".to_string()])
        );
        assert_eq!(body.bool("e").unwrap(), BodyProperty::Value(true));
        assert!(
            body.reject_unknown(&["a", "b", "c", "d"])
                .unwrap_err()
                .message
                .contains("'e'")
        );
    }

    #[test]
    fn binds_accept_graph_urls_on_any_host() {
        let id = "11111111-2222-4333-8444-555555555555";
        assert_eq!(
            object_id_from_url(&format!(
                "https://graph.microsoft.com/v1.0/directoryObjects/{id}"
            ))
            .as_deref(),
            Some(id)
        );
        assert_eq!(
            object_id_from_url(&format!("http://127.0.0.1:9/beta/devices/{id}")).as_deref(),
            Some(id)
        );
        assert_eq!(
            object_id_from_url(&format!(
                "https://graph.microsoft.com/v1.0/directoryObjects/{}",
                id.to_uppercase()
            ))
            .as_deref(),
            Some(id)
        );
        assert_eq!(
            object_id_from_url("https://graph.microsoft.com/v1.0/directoryObjects/not-a-guid"),
            None
        );
        assert_eq!(object_id_from_url(id), None);
    }
}
