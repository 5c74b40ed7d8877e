//! Reusable attribute validators. Each one explains what is allowed both in the error and in the docs, so a user
//! reading either learns the same rule.

use super::diagnostics::{AttrPath, Diagnostics};
use super::schema::Validator;
use super::timeouts::parse_duration;
use super::value::Value;

/// A string whose length in characters lies in `min..=max`.
pub struct StringLength {
    pub min: usize,
    pub max: usize,
}

impl Validator for StringLength {
    fn description(&self) -> String {
        if self.min == 0 {
            format!("At most {} characters.", self.max)
        } else {
            format!("Between {} and {} characters.", self.min, self.max)
        }
    }

    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        let Some(text) = value.as_str() else { return };
        let length = text.chars().count();
        if length < self.min || length > self.max {
            diags.attribute_error(
                path.clone(),
                "Invalid Attribute Value Length",
                format!(
                    "Attribute {path} must be between {} and {} characters long, got {length}.",
                    self.min, self.max
                ),
            );
        }
    }
}

/// A string that is exactly one of a fixed list of values (case-sensitive, as Terraform compares).
pub struct OneOf(pub &'static [&'static str]);

impl Validator for OneOf {
    fn description(&self) -> String {
        let values: Vec<String> = self.0.iter().map(|v| format!("`{v}`")).collect();
        format!("One of {}.", values.join(", "))
    }

    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        let Some(text) = value.as_str() else { return };
        if !self.0.contains(&text) {
            let values: Vec<String> = self.0.iter().map(|v| format!("{v:?}")).collect();
            diags.attribute_error(
                path.clone(),
                "Invalid Attribute Value",
                format!(
                    "Attribute {path} must be one of: {}; got {text:?}.",
                    values.join(", ")
                ),
            );
        }
    }
}

/// An integer in `min..=max`.
pub struct IntBetween {
    pub min: i64,
    pub max: i64,
}

impl Validator for IntBetween {
    fn description(&self) -> String {
        format!("Between {} and {}.", self.min, self.max)
    }

    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        let Value::Number(number) = value else { return };
        match number.as_i64() {
            Some(n) if n >= self.min && n <= self.max => {}
            _ => diags.attribute_error(
                path.clone(),
                "Invalid Attribute Value",
                format!(
                    "Attribute {path} must be a whole number between {} and {}, got {}.",
                    self.min,
                    self.max,
                    number.as_f64()
                ),
            ),
        }
    }
}

/// A Terraform duration string such as `30s`, `10m` or `1h30m`.
pub struct Duration;

impl Validator for Duration {
    fn description(&self) -> String {
        "A duration such as `30s`, `10m` or `1h30m`.".to_string()
    }

    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        let Some(text) = value.as_str() else { return };
        if let Err(reason) = parse_duration(text) {
            diags.attribute_error(
                path.clone(),
                "Invalid Duration",
                format!("Attribute {path} must be a duration such as \"30s\", \"10m\" or \"1h30m\": {reason}."),
            );
        }
    }
}

/// A validator written as a function, for rules specific to one resource.
pub struct Check<F> {
    pub description: &'static str,
    pub check: F,
}

impl<F> Validator for Check<F>
where
    F: Fn(&Value, &AttrPath, &mut Diagnostics) + Send + Sync,
{
    fn description(&self) -> String {
        self.description.to_string()
    }

    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        (self.check)(value, path, diags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(validator: &dyn Validator, value: Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        validator.validate(&value, &AttrPath::root("a"), &mut diags);
        diags
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let v = StringLength { min: 1, max: 3 };
        assert!(!run(&v, Value::string("äöü")).has_errors());
        assert!(run(&v, Value::string("abcd")).has_errors());
        assert!(run(&v, Value::string("")).has_errors());
    }

    #[test]
    fn one_of_names_the_allowed_values() {
        let diags = run(&OneOf(&["On", "Paused"]), Value::string("on"));
        let detail = &diags.iter().next().unwrap().detail;
        assert!(detail.contains("\"On\", \"Paused\""), "{detail}");
    }

    #[test]
    fn int_between_rejects_fractions_and_out_of_range() {
        let v = IntBetween { min: 1, max: 1440 };
        assert!(!run(&v, Value::int(60)).has_errors());
        assert!(run(&v, Value::int(0)).has_errors());
        assert!(run(&v, Value::int(1441)).has_errors());
    }
}
