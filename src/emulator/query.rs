//! The one query engine for every collection: `$top`, opaque `$skiptoken` cursors in absolute `@odata.nextLink`s,
//! `$select`, `$filter`, `$orderby`, `$count` and `$search`. What a collection supports, its page size and how its
//! service words a refusal are its [`QueryRules`]: Entra's directory collections ([`ENTRA_DIRECTORY`]: advanced
//! queries need `ConsistencyLevel: eventual`), Intune's enrollment and profile collections ([`INTUNE_CONFIGURATION`]:
//! the header is ignored) and Intune's Autopilot collections ([`INTUNE_AUTOPILOT`]: larger `$top`, `contains`, no
//! `eq` on serial numbers; [`INTUNE_AUTOPILOT_DEVICES`] adds the device list's quirks: no `$select`, fragile
//! `contains`, next links by serial number).

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::filter::{self, FilterForms, ParsedFilter};
use super::odata::{ApiVersion, ErrorReply};
use super::store::Rendered;
use super::urlencoding;

/// How a service words the refusals the query engine gives. Entra's directory front end and the Intune front end
/// for Autopilot collections answer the same mistakes with different codes and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wording {
    Entra,
    Intune,
}

impl Wording {
    fn bad_request(self, message: impl Into<String>) -> ErrorReply {
        match self {
            Wording::Entra => ErrorReply::bad_request(message),
            Wording::Intune => ErrorReply::new(StatusCode::BAD_REQUEST, "BadRequest", message),
        }
    }

    fn invalid_top(self, text: &str, max: usize) -> ErrorReply {
        match self {
            Wording::Entra => ErrorReply::bad_request(format!(
                "Invalid page size specified: '{text}'. Must be between 1 and {max} inclusive."
            )),
            Wording::Intune => self.bad_request(format!(
                "Invalid $top value '{text}': it must be between 1 and {max}."
            )),
        }
    }

    fn expired_cursor(self) -> ErrorReply {
        match self {
            Wording::Entra => ErrorReply::bad_request(
                "The specified page token value has expired and can no longer be included in your request.",
            )
            .with_code("Directory_ExpiredPageToken"),
            Wording::Intune => self.bad_request("The $skiptoken is not valid."),
        }
    }

    pub fn invalid_filter(self, text: &str) -> ErrorReply {
        match self {
            Wording::Entra => ErrorReply::bad_request("Invalid filter clause"),
            Wording::Intune => self.bad_request(format!("Invalid filter clause: '{text}'.")),
        }
    }

    /// A filter form the grammar knows (`gt`, `all`, ...) that the collection does not support.
    pub fn unsupported_filter(self, text: &str) -> ErrorReply {
        match self {
            Wording::Entra => ErrorReply::unsupported_query("Unsupported Query."),
            Wording::Intune => self.invalid_filter(text),
        }
    }

    pub fn unsupported_function(self, name: &str, text: &str) -> ErrorReply {
        match self {
            Wording::Entra => self.unsupported_filter(text),
            Wording::Intune => self.bad_request(format!(
                "The function '{name}' is not supported in $filter on this collection."
            )),
        }
    }

    /// `eq`/`ne` on a property the service cannot compare: Intune's bare "An error has occurred" for
    /// `serialNumber eq '...'` on Autopilot devices (only `contains` works there).
    pub fn cannot_compare(self) -> ErrorReply {
        self.bad_request("An error has occurred")
    }
}

/// What one collection's list requests support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryRules {
    /// Items per page when no `$top` is given.
    pub page_size: usize,
    /// The largest `$top` accepted.
    pub max_top: usize,
    /// Entra's advanced queries: `$count`, `$search`, `ne`/`not`/`endsWith` and `$orderby` with `$filter` need
    /// `ConsistencyLevel: eventual`. Intune ignores the header, so all of them just work there.
    pub advanced_queries_need_eventual: bool,
    pub filter: FilterForms,
    /// Whether `$select` works; where it does not, the service answers 500.
    pub select_works: bool,
    /// The form of the `$skiptoken` in next links.
    pub cursor: CursorForm,
}

/// How a collection's next links carry the position to resume from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorForm {
    /// An opaque token (base64 of the last sort key), as Entra writes it.
    Opaque,
    /// Intune's Autopilot devices: `LastSerialNumber='<serial>'` (quotes doubled), percent-encoded in the link
    /// (`$skiptoken=LastSerialNumber%3D%27...%27`, as microsoft-graph-docs-contrib#5311 shows it), the list
    /// ordered by serial number. Clients must follow the link as it is: rebuilding it breaks on serials with
    /// spaces or quotes.
    LastSerialNumber,
}

impl QueryRules {
    fn wording(&self) -> Wording {
        self.filter.wording
    }
}

/// `/groups`, `/devices`, member lists, `deletedItems`.
pub const ENTRA_DIRECTORY: QueryRules = QueryRules {
    page_size: 100,
    max_top: 999,
    advanced_queries_need_eventual: true,
    filter: FilterForms {
        lists_and_negation: true,
        contains: false,
        no_equality_on: &[],
        fragile_contains_on: &[],
        wording: Wording::Entra,
    },
    select_works: true,
    cursor: CursorForm::Opaque,
};

/// `deviceEnrollmentConfigurations` and `windowsAutopilotDeploymentProfiles` (and their assignments): the OData
/// layer in front of Intune, worded as Entra's.
pub const INTUNE_CONFIGURATION: QueryRules = QueryRules {
    advanced_queries_need_eventual: false,
    ..ENTRA_DIRECTORY
};

/// `importedWindowsAutopilotDeviceIdentities`. Intune documents no page size for its Autopilot lists (other Intune
/// lists are reported at 1,000); the emulator pages at 100, which is never kinder to a client than a larger page.
pub const INTUNE_AUTOPILOT: QueryRules = QueryRules {
    page_size: 100,
    max_top: 1000,
    advanced_queries_need_eventual: false,
    filter: FilterForms {
        lists_and_negation: false,
        contains: true,
        no_equality_on: &["serialNumber"],
        fragile_contains_on: &[],
        wording: Wording::Intune,
    },
    select_works: true,
    cursor: CursorForm::Opaque,
};

/// `windowsAutopilotDeviceIdentities`, as observed (graph-api-next.md section 14): `contains` on serial numbers
/// fails for serials with blanks or hyphenated hex groups, `$select` answers 500 (microsoft-graph-docs-contrib#2756,
/// DeviceOffboardingManager#65: on the list; the emulator refuses it on a GET by id too), and next links carry the
/// last serial number.
pub const INTUNE_AUTOPILOT_DEVICES: QueryRules = QueryRules {
    filter: FilterForms {
        fragile_contains_on: &["serialNumber"],
        ..INTUNE_AUTOPILOT.filter
    },
    select_works: false,
    cursor: CursorForm::LastSerialNumber,
    ..INTUNE_AUTOPILOT
};

/// Options Graph accepts with or without the `$` prefix.
const SYSTEM_OPTIONS: &[&str] = &[
    "top",
    "skiptoken",
    "select",
    "filter",
    "orderby",
    "count",
    "search",
    "expand",
    "skip",
    "format",
];

/// What the query options of a request are evaluated against.
#[derive(Debug, Clone)]
pub struct QueryContext<'a> {
    pub version: ApiVersion,
    /// `http://host:port`, for absolute links.
    pub base_url: &'a str,
    /// The request path, e.g. `/v1.0/groups`.
    pub path: &'a str,
    pub params: &'a [(String, String)],
    /// Whether the request carried `ConsistencyLevel: eventual`.
    pub eventual: bool,
}

impl QueryContext<'_> {
    /// The value of a system query option, with or without its `$`.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key.strip_prefix('$').unwrap_or(key) == name)
            .map(|(_, value)| value.as_str())
    }

    /// A non-system query parameter (e.g. `@id` on `DELETE .../members/$ref`).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// `{base}/{version}/$metadata#{fragment}`.
    pub fn context_url(&self, fragment: &str) -> String {
        format!(
            "{}/{}/$metadata#{fragment}",
            self.base_url,
            self.version.as_str()
        )
    }

    /// Refuses system options that the route does not support (Graph answers 400 rather than ignoring them).
    pub fn reject_options_except(&self, allowed: &[&str]) -> Result<(), ErrorReply> {
        for (key, _) in self.params {
            let bare = key.strip_prefix('$').unwrap_or(key);
            let is_system = key.starts_with('$') || SYSTEM_OPTIONS.contains(&bare);
            if is_system && !allowed.contains(&bare) {
                if !SYSTEM_OPTIONS.contains(&bare) {
                    return Err(ErrorReply::new(
                        axum::http::StatusCode::BAD_REQUEST,
                        "BadRequest",
                        format!("The query parameter '{key}' is not supported."),
                    ));
                }
                return Err(ErrorReply::bad_request(format!(
                    "The query option '${bare}' is not supported on this request."
                )));
            }
        }
        Ok(())
    }
}

/// A collection's identity in messages and annotations.
#[derive(Debug, Clone)]
pub struct Collection {
    /// e.g. `microsoft.graph.group`.
    pub type_name: &'static str,
    /// The `@odata.context` fragment, e.g. `groups` or `directoryObjects`.
    pub context: String,
    /// Properties `$filter` and `$select` may name.
    pub properties: Vec<String>,
    /// Whether `$filter` is supported at all (member lists need advanced queries for it).
    pub filterable: bool,
    pub rules: QueryRules,
}

impl Collection {
    /// Property names taken from an empty object's rendering, so filters and selects accept exactly what GET shows.
    pub fn new(type_name: &'static str, context: impl Into<String>, sample: &Rendered) -> Self {
        let properties = sample
            .default
            .keys()
            .chain(sample.on_select.keys())
            .cloned()
            .collect();
        Collection {
            type_name,
            context: context.into(),
            properties,
            filterable: true,
            rules: ENTRA_DIRECTORY,
        }
    }

    /// The same collection, served under other rules.
    pub fn with_rules(self, rules: QueryRules) -> Self {
        Collection { rules, ..self }
    }
}

/// Applies `$select` to one object: only the named properties, in the order named; otherwise the defaults.
pub fn select(rendered: &Rendered, selection: Option<&[String]>) -> Map<String, Value> {
    match selection {
        None => rendered.default.clone(),
        Some(names) => names
            .iter()
            .filter_map(|name| {
                rendered
                    .default
                    .get(name)
                    .or_else(|| rendered.on_select.get(name))
                    .map(|value| (name.clone(), value.clone()))
            })
            .collect(),
    }
}

/// Parses `$select`, checking names against the collection.
pub fn parse_select(
    ctx: &QueryContext,
    collection: &Collection,
) -> Result<Option<Vec<String>>, ErrorReply> {
    let Some(text) = ctx.option("select") else {
        return Ok(None);
    };
    if !collection.rules.select_works {
        return Err(ErrorReply::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "An internal server error has occurred",
        ));
    }
    let names: Vec<String> = text
        .split(',')
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect();
    for name in &names {
        if !collection.properties.contains(name) {
            return Err(unknown_property(name, collection.type_name));
        }
    }
    Ok(Some(names))
}

pub fn unknown_property(name: &str, type_name: &str) -> ErrorReply {
    ErrorReply::new(
        axum::http::StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Could not find a property named '{name}' on type '{type_name}'."),
    )
}

/// One object answer: `@odata.context` then the (selected) properties.
pub fn entity(
    ctx: &QueryContext,
    collection: &Collection,
    rendered: &Rendered,
    odata_type: Option<&str>,
) -> Result<Value, ErrorReply> {
    let selection = parse_select(ctx, collection)?;
    let fragment = match &selection {
        Some(names) => format!("{}({})/$entity", collection.context, names.join(",")),
        None => format!("{}/$entity", collection.context),
    };
    let mut body = Map::new();
    body.insert("@odata.context".into(), json!(ctx.context_url(&fragment)));
    if let Some(odata_type) = odata_type {
        body.insert("@odata.type".into(), json!(odata_type));
    }
    body.extend(select(rendered, selection.as_deref()));
    Ok(Value::Object(body))
}

/// How a collection is ordered: by `$orderby=displayName` if asked, else by id. Every key ends in the id, so the
/// order is total and a cursor names a position even after inserts and deletes.
#[derive(Debug, Clone, PartialEq)]
enum Order {
    Id,
    DisplayName {
        descending: bool,
    },
    /// [`CursorForm::LastSerialNumber`] collections.
    SerialNumber,
}

fn sort_key(order: &Order, object: &Map<String, Value>) -> (String, String) {
    let id = object
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    match order {
        Order::Id => (String::new(), id),
        Order::SerialNumber => (
            object
                .get("serialNumber")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_lowercase(),
            id,
        ),
        Order::DisplayName { .. } => (
            object
                .get("displayName")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_lowercase(),
            id,
        ),
    }
}

fn encode_cursor(key: &(String, String)) -> String {
    URL_SAFE_NO_PAD.encode(json!([key.0, key.1]).to_string())
}

fn decode_cursor(token: &str, wording: Wording) -> Result<(String, String), ErrorReply> {
    let expired = || wording.expired_cursor();
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim())
        .map_err(|_| expired())?;
    let parts: Vec<String> = serde_json::from_slice(&bytes).map_err(|_| expired())?;
    match <[String; 2]>::try_from(parts) {
        Ok([first, second]) => Ok((first, second)),
        Err(_) => Err(expired()),
    }
}

/// `LastSerialNumber='<serial>'`, quotes doubled as in an OData literal.
fn encode_serial_cursor(serial: &str) -> String {
    format!("LastSerialNumber='{}'", serial.replace('\'', "''"))
}

/// The position after every item with the cursor's serial number.
fn decode_serial_cursor(token: &str, wording: Wording) -> Result<(String, String), ErrorReply> {
    let quoted = token
        .trim()
        .strip_prefix("LastSerialNumber=")
        .and_then(|rest| rest.strip_prefix('\''))
        .and_then(|rest| rest.strip_suffix('\''))
        .filter(|inner| !inner.replace("''", "").contains('\''))
        .ok_or_else(|| wording.expired_cursor())?;
    Ok((
        quoted.replace("''", "'").to_lowercase(),
        char::MAX.to_string(),
    ))
}

/// `$search="displayName:term"` clauses joined by AND/OR, left to right; a clause matches when a word of the
/// property (or the whole value) starts with the term.
fn search_matches(search: &str, object: &Map<String, Value>) -> bool {
    let mut result: Option<bool> = None;
    let mut pending_or = false;
    for part in split_search(search) {
        match part.as_str() {
            "AND" => pending_or = false,
            "OR" => pending_or = true,
            clause => {
                let clause = clause.trim_matches('"');
                let hit = clause.split_once(':').is_some_and(|(property, term)| {
                    let term = term.to_lowercase();
                    object
                        .get(property)
                        .and_then(Value::as_str)
                        .is_some_and(|value| {
                            let value = value.to_lowercase();
                            value.starts_with(&term)
                                || value
                                    .split(|c: char| !c.is_alphanumeric())
                                    .any(|word| word.starts_with(&term))
                        })
                });
                result = Some(match result {
                    None => hit,
                    Some(previous) if pending_or => previous || hit,
                    Some(previous) => previous && hit,
                });
            }
        }
    }
    result.unwrap_or(true)
}

fn split_search(search: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in search.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ' ' if !quoted => {
                if !current.is_empty() {
                    parts.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// The `Request_UnsupportedQuery` Entra gives for an advanced query without the header.
fn needs_eventual(operator: &str) -> ErrorReply {
    ErrorReply::unsupported_query(format!(
        "Operator '{operator}' is not supported because the 'ConsistencyLevel:eventual' header is missing. Refer to https://aka.ms/graph-docs/advanced-queries for more information"
    ))
}

/// The parsed query options of a list request.
#[derive(Debug)]
pub struct ListQuery {
    cursor_form: CursorForm,
    top: usize,
    cursor: Option<(String, String)>,
    selection: Option<Vec<String>>,
    filter: Option<ParsedFilter>,
    count: bool,
    order: Order,
    search: Option<String>,
}

impl ListQuery {
    pub fn parse(ctx: &QueryContext, collection: &Collection) -> Result<Self, ErrorReply> {
        let rules = &collection.rules;
        let wording = rules.wording();
        // Whether Entra's advanced-query rules hold back this request: only where they apply and the header is absent.
        let held_back = rules.advanced_queries_need_eventual && !ctx.eventual;
        if ctx.option("skip").is_some() {
            return Err(wording.bad_request("'$skip' is not supported by the service."));
        }
        let top = match ctx.option("top") {
            None => rules.page_size,
            Some(text) => match text.trim().parse::<usize>() {
                Ok(top) if (1..=rules.max_top).contains(&top) => top,
                _ => return Err(wording.invalid_top(text, rules.max_top)),
            },
        };
        let cursor = ctx
            .option("skiptoken")
            .map(|token| match rules.cursor {
                CursorForm::Opaque => decode_cursor(token, wording),
                CursorForm::LastSerialNumber => decode_serial_cursor(token, wording),
            })
            .transpose()?;
        let selection = parse_select(ctx, collection)?;
        let filter = match ctx.option("filter").filter(|text| !text.trim().is_empty()) {
            None => None,
            Some(_) if !collection.filterable && !ctx.eventual => {
                return Err(ErrorReply::unsupported_query(
                    "Filtering this collection requires the 'ConsistencyLevel:eventual' header.",
                ));
            }
            Some(text) => {
                let parsed = filter::parse(
                    text,
                    rules.filter,
                    &collection.properties,
                    collection.type_name,
                )?;
                if let Some(operator) = parsed.advanced_operator
                    && held_back
                {
                    return Err(needs_eventual(operator));
                }
                Some(parsed)
            }
        };
        let count = match ctx.option("count") {
            None => false,
            Some(value) if value.eq_ignore_ascii_case("true") => {
                if held_back {
                    return Err(ErrorReply::bad_request(
                        "$count is not currently supported.",
                    ));
                }
                true
            }
            Some(value) if value.eq_ignore_ascii_case("false") => false,
            Some(value) => {
                return Err(wording.bad_request(format!("Invalid value '{value}' for $count.")));
            }
        };
        let order = match ctx
            .option("orderby")
            .map(str::trim)
            .filter(|text| !text.is_empty())
        {
            None => Order::Id,
            Some(text) => {
                let mut words = text.split_whitespace();
                let property = words.next().unwrap_or_default();
                let direction = words.next().map(str::to_ascii_lowercase);
                let sortable = property == "displayName" && words.next().is_none();
                let descending = match direction.as_deref() {
                    None | Some("asc") => false,
                    Some("desc") => true,
                    Some(_) => {
                        return Err(ErrorReply::unsupported_query(
                            "Sorting not supported for current query.",
                        ));
                    }
                };
                if !sortable || (filter.is_some() && held_back) {
                    return Err(ErrorReply::unsupported_query(
                        "Sorting not supported for current query.",
                    ));
                }
                Order::DisplayName { descending }
            }
        };
        // Intune's Autopilot device list has no `$orderby` (the route refuses it) and resumes by serial number.
        let order = match (order, rules.cursor) {
            (Order::Id, CursorForm::LastSerialNumber) => Order::SerialNumber,
            (order, _) => order,
        };
        let search = match ctx.option("search") {
            None => None,
            Some(_) if held_back => {
                return Err(ErrorReply::unsupported_query(
                    "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
                ));
            }
            Some(text) => Some(text.to_string()),
        };
        Ok(ListQuery {
            cursor_form: rules.cursor,
            top,
            cursor,
            selection,
            filter,
            count,
            order,
            search,
        })
    }

    /// One page of `items` as a Graph collection body, with `@odata.nextLink` when more remain.
    pub fn page(
        &self,
        ctx: &QueryContext,
        collection: &Collection,
        items: Vec<Rendered>,
        odata_type: Option<&str>,
    ) -> Value {
        let mut matched: Vec<((String, String), Rendered)> = items
            .into_iter()
            .filter(|item| self.matches(item))
            .map(|item| (sort_key(&self.order, &item.default), item))
            .collect();
        matched.sort_by(|a, b| a.0.cmp(&b.0));
        if matches!(self.order, Order::DisplayName { descending: true }) {
            matched.reverse();
        }
        let total = matched.len();
        let descending = matches!(self.order, Order::DisplayName { descending: true });
        let start = match &self.cursor {
            None => 0,
            Some(cursor) => matched
                .iter()
                .position(|(key, _)| {
                    if descending {
                        key < cursor
                    } else {
                        key > cursor
                    }
                })
                .unwrap_or(total),
        };
        let end = (start + self.top).min(total);
        let value: Vec<Value> = matched[start..end]
            .iter()
            .map(|(_, item)| {
                let mut object = Map::new();
                if let Some(odata_type) = odata_type {
                    object.insert("@odata.type".into(), json!(odata_type));
                }
                object.extend(select(item, self.selection.as_deref()));
                Value::Object(object)
            })
            .collect();
        let fragment = match &self.selection {
            Some(names) => format!("{}({})", collection.context, names.join(",")),
            None => collection.context.clone(),
        };
        let mut body = Map::new();
        body.insert("@odata.context".into(), json!(ctx.context_url(&fragment)));
        if self.count {
            body.insert("@odata.count".into(), json!(total));
        }
        if end < total {
            let (key, last) = &matched[end - 1];
            let cursor = match self.cursor_form {
                CursorForm::Opaque => encode_cursor(key),
                // Intune percent-encodes the quotes too.
                CursorForm::LastSerialNumber => urlencoding::encode(&encode_serial_cursor(
                    last.default
                        .get("serialNumber")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                ))
                .replace('\'', "%27"),
            };
            body.insert("@odata.nextLink".into(), json!(next_link(ctx, &cursor)));
        }
        body.insert("value".into(), Value::Array(value));
        Value::Object(body)
    }

    /// How many objects match (for `/$count`).
    pub fn count_matching(&self, items: &[Rendered]) -> usize {
        items.iter().filter(|item| self.matches(item)).count()
    }

    /// Whether `item` passes the request's `$filter` and `$search`.
    fn matches(&self, item: &Rendered) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|filter| filter.matches(&item.default))
            && self
                .search
                .as_deref()
                .is_none_or(|search| search_matches(search, &item.default))
    }
}

/// The request's own URL with the next cursor in place of the old one.
fn next_link(ctx: &QueryContext, cursor: &str) -> String {
    let mut query: Vec<String> = ctx
        .params
        .iter()
        .filter(|(key, _)| key.strip_prefix('$').unwrap_or(key) != "skiptoken")
        .map(|(key, value)| {
            format!(
                "{}={}",
                urlencoding::encode(key),
                urlencoding::encode(value)
            )
        })
        .collect();
    query.push(format!("$skiptoken={cursor}"));
    format!("{}{}?{}", ctx.base_url, ctx.path, query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_expires() {
        let key = ("name".to_string(), "id-1".to_string());
        assert_eq!(
            decode_cursor(&encode_cursor(&key), Wording::Entra).unwrap(),
            key
        );
        let error = decode_cursor("garbage!", Wording::Entra).unwrap_err();
        assert_eq!(error.code, "Directory_ExpiredPageToken");
        let error = decode_cursor("garbage!", Wording::Intune).unwrap_err();
        assert_eq!(error.message, "The $skiptoken is not valid.");
    }

    #[test]
    fn serial_cursors_round_trip_with_quotes_and_blanks() {
        let serial = "VMware-56 4d O'Brien";
        let token = encode_serial_cursor(serial);
        assert_eq!(token, "LastSerialNumber='VMware-56 4d O''Brien'");
        assert_eq!(
            decode_serial_cursor(&token, Wording::Intune).unwrap().0,
            serial.to_lowercase()
        );
        for bad in ["garbage", "LastSerialNumber=x", "LastSerialNumber='a'b'"] {
            assert_eq!(
                decode_serial_cursor(bad, Wording::Intune)
                    .unwrap_err()
                    .message,
                "The $skiptoken is not valid.",
                "{bad}"
            );
        }
    }

    #[test]
    fn search_matches_word_prefixes() {
        let object = json!({"displayName": "Autopilot Devices Sales"})
            .as_object()
            .unwrap()
            .clone();
        assert!(search_matches("\"displayName:devi\"", &object));
        assert!(search_matches(
            "\"displayName:auto\" AND \"displayName:sal\"",
            &object
        ));
        assert!(!search_matches(
            "\"displayName:auto\" AND \"displayName:hr\"",
            &object
        ));
        assert!(search_matches(
            "\"displayName:hr\" OR \"displayName:sal\"",
            &object
        ));
    }
}
