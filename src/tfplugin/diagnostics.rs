//! Diagnostics: how every problem reaches the user. RPCs never fail with a gRPC status for a domain problem;
//! they return diagnostics, which Terraform prints with the summary, the detail and, when an attribute path is
//! given, the configuration line that set it.

use std::fmt;

/// One step of a path into a resource's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    Attribute(String),
    ElementKeyString(String),
    ElementKeyInt(i64),
}

/// A path to an attribute, such as `timeouts.create`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttrPath(pub Vec<PathStep>);

impl AttrPath {
    pub fn root(name: &str) -> AttrPath {
        AttrPath(vec![PathStep::Attribute(name.to_string())])
    }

    pub fn attribute(mut self, name: &str) -> AttrPath {
        self.0.push(PathStep::Attribute(name.to_string()));
        self
    }

    pub fn key(mut self, key: &str) -> AttrPath {
        self.0.push(PathStep::ElementKeyString(key.to_string()));
        self
    }

    pub fn index(mut self, index: i64) -> AttrPath {
        self.0.push(PathStep::ElementKeyInt(index));
        self
    }

    pub fn steps(&self) -> &[PathStep] {
        &self.0
    }

    /// The empty path: the value itself.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn push(&mut self, step: PathStep) {
        self.0.push(step);
    }

    pub fn pop(&mut self) {
        self.0.pop();
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => write!(f, "{name}")?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::ElementKeyString(key) => write!(f, "[{key:?}]")?,
                PathStep::ElementKeyInt(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub attribute: Option<AttrPath>,
}

/// An ordered collection of diagnostics; a step that adds an error makes the caller stop early.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Error, summary.into(), detail.into(), None);
    }

    pub fn attribute_error(
        &mut self,
        path: AttrPath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Severity::Error, summary.into(), detail.into(), Some(path));
    }

    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Warning, summary.into(), detail.into(), None);
    }

    pub fn attribute_warning(
        &mut self,
        path: AttrPath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Severity::Warning, summary.into(), detail.into(), Some(path));
    }

    fn push(
        &mut self,
        severity: Severity,
        summary: String,
        detail: String,
        attribute: Option<AttrPath>,
    ) {
        self.0.push(Diagnostic {
            severity,
            summary,
            detail,
            attribute,
        });
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_renders_like_terraform_addresses() {
        let path = AttrPath::root("timeouts").attribute("create");
        assert_eq!(path.to_string(), "timeouts.create");
        assert_eq!(
            AttrPath::root("tags").key("env").to_string(),
            "tags[\"env\"]"
        );
        assert_eq!(AttrPath::root("members").index(2).to_string(), "members[2]");
    }

    #[test]
    fn warnings_do_not_count_as_errors() {
        let mut diags = Diagnostics::new();
        diags.warning("Deprecated", "use x");
        assert!(!diags.has_errors());
        diags.attribute_error(AttrPath::root("a"), "Invalid", "bad");
        assert!(diags.has_errors());
    }
}
