//! Behaviour of the membership rule grammar as the provider and the emulator see it: which rules parse, to what,
//! where the errors point, and who is a member.

use std::collections::HashMap;

use super::*;

/// A device or user made of a property map; anything absent is null.
struct Fake(HashMap<&'static str, PropertyValue>);

impl Fake {
    fn new(properties: &[(&'static str, PropertyValue)]) -> Self {
        Fake(properties.iter().cloned().collect())
    }
}

impl RuleSubject for Fake {
    fn property(&self, name: &str) -> PropertyValue {
        self.0.get(name).cloned().unwrap_or(PropertyValue::Null)
    }
}

fn text(value: &str) -> PropertyValue {
    PropertyValue::String(value.to_string())
}

fn list(values: &[&str]) -> PropertyValue {
    PropertyValue::Strings(values.iter().map(|v| v.to_string()).collect())
}

/// An Autopilot-registered laptop with a group tag, as the emulator models it.
fn autopilot_laptop() -> Fake {
    Fake::new(&[
        ("objectId", text("5f1c2c6e-0b7a-4d1e-9a57-2f6a3f0c9d11")),
        ("displayName", text("DESKTOP-7H2K9Q1")),
        ("deviceOSType", text("Windows")),
        ("deviceOSVersion", text("10.0.22631.3447")),
        ("deviceManufacturer", text("Contoso")),
        ("deviceModel", text("Surface Laptop 5")),
        ("enrollmentProfileName", text("Autopilot")),
        ("accountEnabled", PropertyValue::Bool(true)),
        ("isRooted", PropertyValue::Bool(false)),
        (
            "devicePhysicalIds",
            list(&[
                "[ZTDId]:8f8a1f2e-7c1d-4c5e-9d8e-123456789abc",
                "[OrderID]:Sales",
                "[GID]:g:6966",
            ]),
        ),
        ("systemLabels", list(&["M365Managed"])),
    ])
}

/// A phone that Autopilot knows nothing about.
fn phone() -> Fake {
    Fake::new(&[
        ("objectId", text("0d9e4c55-3a1b-4a8c-8d55-6a1f5b1e2c33")),
        ("displayName", text("Pixel of Alex")),
        ("deviceOSType", text("AndroidForWork")),
        ("accountEnabled", PropertyValue::Bool(true)),
        ("isRooted", PropertyValue::Bool(true)),
        ("devicePhysicalIds", list(&[])),
    ])
}

fn evaluate_rule(rule: &str, subject: &Fake) -> bool {
    parse(rule)
        .unwrap_or_else(|e| panic!("{rule}: {e}"))
        .evaluate(subject)
}

/// A compact, fully parenthesised picture of a syntax tree, so tests can state the shape they expect.
fn shape(expr: &Expr) -> String {
    match expr {
        Expr::And(operands) => format!(
            "(and {})",
            operands.iter().map(shape).collect::<Vec<_>>().join(" ")
        ),
        Expr::Or(operands) => format!(
            "(or {})",
            operands.iter().map(shape).collect::<Vec<_>>().join(" ")
        ),
        Expr::Not(inner) => format!("(not {})", shape(inner)),
        Expr::Compare(comparison) => {
            let operand = match &comparison.operand {
                Operand::Property(name) => name.clone(),
                Operand::Item(spelling) => spelling.clone(),
            };
            let value = match &comparison.value {
                Value::Null => "null".to_string(),
                Value::Bool(flag) => flag.to_string(),
                Value::String(text) => format!("{text:?}"),
                Value::List(items) => format!("{items:?}"),
                Value::Pattern(pattern) => format!("/{}/", pattern.as_str()),
            };
            format!("[{operand} {} {value}]", comparison.operator.spelling())
        }
        Expr::Quantified {
            property,
            quantifier,
            predicate,
        } => {
            let word = match quantifier {
                Quantifier::Any => "any",
                Quantifier::All => "all",
            };
            format!("({word} {property} {})", shape(predicate))
        }
    }
}

fn parsed_shape(rule: &str) -> String {
    shape(
        parse(rule)
            .unwrap_or_else(|e| panic!("{rule}: {e}"))
            .expression(),
    )
}

#[test]
fn canonical_autopilot_rules_parse_and_select_autopilot_devices() {
    let cases = [
        (
            "(device.devicePhysicalIds -any (_ -contains \"[ZTDId]\"))",
            true,
            false,
        ),
        (
            "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))",
            true,
            false,
        ),
        (
            "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))",
            true,
            false,
        ),
        (
            "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Marketing\"))",
            false,
            false,
        ),
        (
            "(device.devicePhysicalIds -any (_ -eq \"[PurchaseOrderId]:76222342342\"))",
            false,
            false,
        ),
        ("device.objectId -ne null", true, true),
        (
            "(device.deviceOSType -eq \"Windows\") -and (device.enrollmentProfileName -eq \"Autopilot\")",
            true,
            false,
        ),
        (
            "device.enrollmentProfileName -eq \"Autopilot\"",
            true,
            false,
        ),
        // The documentation's own spelling, without parentheses around the predicate.
        (
            "(device.devicePhysicalIds -any _ -contains \"[ZTDId]\")",
            true,
            false,
        ),
    ];
    for (rule, laptop, phone_expected) in cases {
        let parsed = parse(rule).unwrap_or_else(|e| panic!("{rule}: {e}"));
        assert_eq!(parsed.subject_kind(), SubjectKind::Device, "{rule}");
        assert_eq!(
            parsed.evaluate(&autopilot_laptop()),
            laptop,
            "{rule} on the Autopilot laptop"
        );
        assert_eq!(
            parsed.evaluate(&phone()),
            phone_expected,
            "{rule} on the phone"
        );
    }
}

#[test]
fn valid_rules_have_the_expected_shape() {
    let cases = [
        (
            "device.displayName -eq \"PC-1\"",
            "[displayName -eq \"PC-1\"]",
        ),
        (
            "device.displayName -startsWith \"CORP-\"",
            "[displayName -startsWith \"CORP-\"]",
        ),
        (
            "device.accountEnabled -eq true",
            "[accountEnabled -eq true]",
        ),
        ("device.isRooted -ne false", "[isRooted -ne false]"),
        ("device.isRooted -eq \"True\"", "[isRooted -eq true]"),
        (
            "device.deviceCategory -eq null",
            "[deviceCategory -eq null]",
        ),
        (
            "device.extensionAttribute7 -notContains \"lab\"",
            "[extensionAttribute7 -notContains \"lab\"]",
        ),
        (
            "device.deviceOSType -in [\"Windows\", \"Windows10\"]",
            "[deviceOSType -in [\"Windows\", \"Windows10\"]]",
        ),
        ("device.deviceOSType -notIn []", "[deviceOSType -notIn []]"),
        (
            "device.deviceModel -match \"^Surface.*5$\"",
            "[deviceModel -match /^Surface.*5$/]",
        ),
        (
            "device.devicePhysicalIds -all (_ -startsWith \"[\")",
            "(all devicePhysicalIds [_ -startsWith \"[\"])",
        ),
        (
            "device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\" -or _ -eq \"[OrderID]:Sales\")",
            "(any devicePhysicalIds (or [_ -startsWith \"[ZTDId]\"] [_ -eq \"[OrderID]:Sales\"]))",
        ),
        (
            "device.systemLabels -contains \"M365Managed\"",
            "[systemLabels -contains \"M365Managed\"]",
        ),
        (
            "device.memberOf -any (group.objectId -in ['0b2f4a4e-1c1d-4e6f-8a9b-112233445566'])",
            "(any memberOf [group.objectId -in [\"0b2f4a4e-1c1d-4e6f-8a9b-112233445566\"]])",
        ),
        (
            "user.department -eq \"Sales\"",
            "[department -eq \"Sales\"]",
        ),
        (
            "user.proxyAddresses -any (_ -startsWith \"smtp:\")",
            "(any proxyAddresses [_ -startsWith \"smtp:\"])",
        ),
        (
            "user.extension_b7d8e5fa1c2d4e6f8a9b0c1d2e3f4a5b_costCenter -eq \"42\"",
            "[extension_b7d8e5fa1c2d4e6f8a9b0c1d2e3f4a5b_costCenter -eq \"42\"]",
        ),
        // Whitespace, including line breaks from a heredoc, separates tokens and nothing more.
        (
            "\n  (device.deviceOSType -eq \"Windows\")\n\t-and\n  (device.isRooted -eq false)\n",
            "(and [deviceOSType -eq \"Windows\"] [isRooted -eq false])",
        ),
        (
            "((((device.displayName -eq \"x\"))))",
            "[displayName -eq \"x\"]",
        ),
    ];
    for (rule, expected) in cases {
        assert_eq!(parsed_shape(rule), expected, "{rule}");
    }
}

#[test]
fn precedence_is_comparison_then_not_then_and_then_or() {
    let a = "device.displayName -eq \"a\"";
    let b = "device.deviceModel -eq \"b\"";
    let c = "device.deviceOSType -eq \"c\"";
    let d = "device.deviceId -eq \"d\"";
    let (sa, sb, sc, sd) = (
        "[displayName -eq \"a\"]",
        "[deviceModel -eq \"b\"]",
        "[deviceOSType -eq \"c\"]",
        "[deviceId -eq \"d\"]",
    );
    let cases = [
        (
            format!("{a} -or {b} -and {c}"),
            format!("(or {sa} (and {sb} {sc}))"),
        ),
        (
            format!("{a} -and {b} -or {c}"),
            format!("(or (and {sa} {sb}) {sc})"),
        ),
        (
            format!("{a} -and {b} -or {c} -and {d}"),
            format!("(or (and {sa} {sb}) (and {sc} {sd}))"),
        ),
        (
            format!("({a} -or {b}) -and {c}"),
            format!("(and (or {sa} {sb}) {sc})"),
        ),
        (
            format!("-not {a} -and {b}"),
            format!("(and (not {sa}) {sb})"),
        ),
        (
            format!("-not ({a} -and {b})"),
            format!("(not (and {sa} {sb}))"),
        ),
        (format!("-not -not {a}"), format!("(not (not {sa}))")),
        (
            format!("{a} -or {b} -or {c}"),
            format!("(or {sa} {sb} {sc})"),
        ),
        (
            format!("{a} -and -not {b}"),
            format!("(and {sa} (not {sb}))"),
        ),
    ];
    for (rule, expected) in cases {
        assert_eq!(parsed_shape(&rule), expected, "{rule}");
    }
}

#[test]
fn precedence_decides_membership() {
    // Windows -or (Android -and rooted): the Windows laptop is in although it is not rooted.
    let rule = "device.deviceOSType -eq \"Windows\" -or device.deviceOSType -eq \"AndroidForWork\" -and \
                device.isRooted -eq true";
    assert!(evaluate_rule(rule, &autopilot_laptop()));
    assert!(evaluate_rule(rule, &phone()));
    let grouped = "(device.deviceOSType -eq \"Windows\" -or device.deviceOSType -eq \"AndroidForWork\") -and \
                   device.isRooted -eq true";
    assert!(!evaluate_rule(grouped, &autopilot_laptop()));
    assert!(evaluate_rule(grouped, &phone()));
}

#[test]
fn operators_ignore_case_and_the_dash_is_optional() {
    let reference = parsed_shape(
        "device.deviceOSType -startsWith \"Win\" -and -not (device.isRooted -eq true)",
    );
    for spelling in [
        "device.deviceOSType -STARTSWITH \"Win\" -AND -NOT (device.isRooted -Eq true)",
        "device.deviceOSType startswith \"Win\" and not (device.isRooted eq true)",
        "device.deviceOSType -startsWith \"Win\" And Not (device.isRooted EQ TRUE)",
    ] {
        assert_eq!(parsed_shape(spelling), reference, "{spelling}");
    }
    assert_eq!(
        parsed_shape("user.city in [\"Lagos\"]"),
        "[city -in [\"Lagos\"]]"
    );
}

#[test]
fn values_compare_ignoring_case_but_property_names_do_not() {
    let laptop = autopilot_laptop();
    assert!(evaluate_rule(
        "device.deviceOSType -eq \"WINDOWS\"",
        &laptop
    ));
    assert!(evaluate_rule(
        "device.deviceModel -contains \"LAPTOP\"",
        &laptop
    ));
    assert!(evaluate_rule(
        "device.displayName -endsWith \"9q1\"",
        &laptop
    ));
    assert!(evaluate_rule(
        "device.deviceOSType -in [\"ios\", \"windows\"]",
        &laptop
    ));
    let error = parse("device.DeviceOSType -eq \"Windows\"").unwrap_err();
    assert_eq!(error.offset, 0);
    assert!(
        error.message.contains("did you mean deviceOSType?"),
        "{error}"
    );
    // The object prefix is not a property name; Graph's own examples are lowercase but other casings are read.
    assert_eq!(
        parse("Device.deviceOSType -eq \"x\"")
            .unwrap()
            .subject_kind(),
        SubjectKind::Device
    );
}

#[test]
fn quoted_strings_resolve_their_escapes() {
    let cases = [
        ("device.displayName -eq \"say `\"hi`\"\"", "say \"hi\""),
        ("device.displayName -eq \"O''Brien\"", "O'Brien"),
        ("device.displayName -eq \"O'Brien\"", "O'Brien"),
        ("device.displayName -eq 'it''s'", "it's"),
        ("device.displayName -eq 'say \"hi\"'", "say \"hi\""),
        ("device.displayName -eq \"back``tick\"", "back`tick"),
        ("device.displayName -eq \"\"", ""),
        (
            "device.displayName -eq \"-and (not) [a]\"",
            "-and (not) [a]",
        ),
        ("device.displayName -eq \"Gerät\"", "Gerät"),
    ];
    for (rule, expected) in cases {
        let parsed = parse(rule).unwrap_or_else(|e| panic!("{rule}: {e}"));
        let Expr::Compare(Comparison {
            value: Value::String(value),
            ..
        }) = parsed.expression()
        else {
            panic!("{rule}: not a string comparison");
        };
        assert_eq!(value, expected, "{rule}");
        let subject = Fake::new(&[("displayName", text(expected))]);
        assert!(parsed.evaluate(&subject), "{rule}");
    }
}

#[test]
fn in_lists_select_any_listed_value() {
    let laptop = autopilot_laptop();
    let phone = phone();
    let rule = "device.deviceOSType -in [\"Windows\", \"iOS\"]";
    assert!(evaluate_rule(rule, &laptop));
    assert!(!evaluate_rule(rule, &phone));
    let rule = "device.deviceOSType -notIn [\"Windows\", \"iOS\"]";
    assert!(!evaluate_rule(rule, &laptop));
    assert!(evaluate_rule(rule, &phone));
    assert!(!evaluate_rule("device.deviceOSType -in []", &laptop));
    // `-in` compares whole values, not substrings.
    assert!(!evaluate_rule("device.deviceOSType -in [\"Win\"]", &laptop));
    assert!(evaluate_rule(
        "device.devicePhysicalIds -any (_ -in [\"[OrderID]:sales\", \"[OrderID]:HR\"])",
        &laptop
    ));
}

#[test]
fn match_uses_the_regex_engine_ignoring_case() {
    let laptop = autopilot_laptop();
    let cases = [
        ("device.displayName -match \"^desktop-\"", true),
        ("device.displayName -match \"^DESKTOP-[A-Z0-9]{7}$\"", true),
        ("device.displayName -match \"^DESKTOP-[A-Z0-9]{6}$\"", false),
        ("device.displayName -match \"7H2\"", true),
        ("device.displayName -match \".*?k9.*\"", true),
        (
            "device.deviceOSVersion -match \"^10\\.0\\.2\\d{4}\\.\"",
            true,
        ),
        (
            "device.deviceOSVersion -match \"^10\\.0\\.1\\d{4}\\.\"",
            false,
        ),
        ("device.displayName -notMatch \"^LAPTOP-\"", true),
        ("device.deviceModel -match \"(Book|Laptop) \\d\"", true),
        (
            "device.devicePhysicalIds -any (_ -match \"^\\[ZTDId\\]:[0-9a-f-]{36}$\")",
            true,
        ),
        ("device.enrollmentProfileName -match \"\"", true),
    ];
    for (rule, expected) in cases {
        assert_eq!(evaluate_rule(rule, &laptop), expected, "{rule}");
    }
}

#[test]
fn null_and_missing_properties_behave_like_graph() {
    let bare = Fake::new(&[("displayName", text("bare"))]);
    let cases = [
        ("device.deviceCategory -eq null", true),
        ("device.deviceCategory -ne null", false),
        ("device.displayName -eq null", false),
        ("device.displayName -ne null", true),
        ("device.deviceCategory -eq \"x\"", false),
        ("device.deviceCategory -ne \"x\"", true),
        ("device.deviceCategory -startsWith \"x\"", false),
        ("device.deviceCategory -contains \"\"", false),
        ("device.deviceCategory -match \".*\"", false),
        ("device.deviceCategory -in [\"x\"]", false),
        ("device.deviceCategory -notStartsWith \"x\"", true),
        ("device.deviceCategory -notIn [\"x\"]", true),
        ("device.accountEnabled -eq true", false),
        ("device.accountEnabled -eq false", false),
        ("device.accountEnabled -ne true", true),
        ("device.devicePhysicalIds -any (_ -eq \"x\")", false),
        ("device.devicePhysicalIds -all (_ -eq \"x\")", true),
        ("device.systemLabels -contains \"x\"", false),
        ("device.systemLabels -notContains \"x\"", true),
    ];
    for (rule, expected) in cases {
        assert_eq!(evaluate_rule(rule, &bare), expected, "{rule}");
    }
}

#[test]
fn collections_and_booleans_evaluate_per_item() {
    let laptop = autopilot_laptop();
    let phone = phone();
    let cases = [
        (
            "device.devicePhysicalIds -all (_ -startsWith \"[\")",
            true,
            true,
        ),
        (
            "device.devicePhysicalIds -all (_ -startsWith \"[ZTDId]\")",
            false,
            true,
        ),
        (
            "device.devicePhysicalIds -any (_ -notStartsWith \"[ZTDId]\")",
            true,
            false,
        ),
        (
            "device.devicePhysicalIds -any (-not (_ -contains \"ztdid\"))",
            true,
            false,
        ),
        (
            "-not (device.devicePhysicalIds -any (_ -contains \"[ZTDId]\"))",
            false,
            true,
        ),
        ("device.systemLabels -contains \"365\"", true, false),
        ("device.systemLabels -eq \"m365managed\"", true, false),
        ("device.isRooted -eq true", false, true),
        ("device.isRooted -ne true", true, false),
        (
            "device.accountEnabled -eq true -and device.isRooted -eq false",
            true,
            false,
        ),
    ];
    for (rule, on_laptop, on_phone) in cases {
        assert_eq!(
            evaluate_rule(rule, &laptop),
            on_laptop,
            "{rule} on the laptop"
        );
        assert_eq!(evaluate_rule(rule, &phone), on_phone, "{rule} on the phone");
    }
}

#[test]
fn user_rules_evaluate_against_users() {
    let user = Fake::new(&[
        ("department", text("Sales")),
        ("city", text("Lagos")),
        ("userPrincipalName", text("ada@contoso.com")),
        (
            "proxyAddresses",
            list(&["SMTP:ada@contoso.com", "smtp:ada@contoso.onmicrosoft.com"]),
        ),
    ]);
    let rule = parse("user.department -eq \"Accounts\" -or user.city -in [\"Lagos\", \"Ibadan\"]")
        .unwrap();
    assert_eq!(rule.subject_kind(), SubjectKind::User);
    assert!(rule.evaluate(&user));
    assert!(evaluate_rule(
        "user.proxyAddresses -any (_ -endsWith \"onmicrosoft.com\")",
        &user
    ));
    assert!(!evaluate_rule(
        "user.otherMails -any (_ -contains \"@\")",
        &user
    ));
}

#[test]
fn invalid_rules_point_at_the_offending_token() {
    let long = "x".repeat(MAX_RULE_LENGTH);
    let over_long = format!("device.displayName -eq \"{long}\"");
    let cases: Vec<(&str, usize, &str)> = vec![
        ("", 0, "the rule is empty"),
        ("   \n ", 0, "the rule is empty"),
        (&over_long, MAX_RULE_LENGTH, "Graph accepts at most 3072"),
        // parentheses
        ("(device.displayName -eq \"x\"", 0, "this ( is never closed"),
        (
            "((device.displayName -eq \"x\")",
            0,
            "this ( is never closed",
        ),
        (
            "device.displayName -eq \"x\")",
            26,
            "this ) has no matching (",
        ),
        (
            "(device.displayName -eq \"x\" device.deviceId -eq \"y\")",
            28,
            "expected -and, -or or ), found \"device.deviceId\"",
        ),
        ("()", 1, "expected a condition"),
        // quotes
        ("device.displayName -eq \"x", 23, "never closed"),
        ("device.displayName -eq \"x`\"", 23, "never closed"),
        ("device.displayName -eq 'x", 23, "never closed"),
        (
            "device.displayName -eq \u{201C}x\u{201D}",
            23,
            "typographic quote",
        ),
        // missing operands
        (
            "device.displayName -eq",
            22,
            "expected a quoted string after -eq, found the end of the rule",
        ),
        (
            "device.displayName",
            18,
            "expected an operator like -eq after device.displayName, found the end of the rule",
        ),
        (
            "device.displayName -eq \"x\" -and",
            31,
            "expected a condition like device.displayName -eq \"PC-1\" after -and, found the end of the rule",
        ),
        (
            "-and device.displayName -eq \"x\"",
            0,
            "expected a condition",
        ),
        (
            "device.displayName -eq \"x\" -or -or device.deviceId -eq \"y\"",
            31,
            "after -or, found \"-or\"",
        ),
        ("-not", 4, "expected a condition"),
        ("device.devicePhysicalIds -any", 29, "expected a condition"),
        (
            "device.devicePhysicalIds -any ()",
            31,
            "expected a condition",
        ),
        // values
        (
            "device.deviceOSType -eq foo",
            24,
            "expected a quoted string after -eq, found \"foo\"",
        ),
        (
            "device.deviceOSType -eq Windows",
            24,
            "expected a quoted string after -eq, found \"Windows\"",
        ),
        (
            "device.deviceOSType -startsWith null",
            32,
            "null works only with -eq and -ne, not -startsWith",
        ),
        (
            "device.deviceOSType -eq [\"a\"]",
            24,
            "a list of values works only with -in and -notIn, not -eq",
        ),
        (
            "device.deviceOSType -in \"Windows\"",
            24,
            "expected a list like [\"a\", \"b\"] after -in",
        ),
        (
            "device.deviceOSType -in [\"a\" \"b\"]",
            29,
            "expected , or ] in the list, found \"\\\"b\\\"\"",
        ),
        (
            "device.deviceOSType -in [\"a\",]",
            29,
            "expected a quoted string in the list, found \"]\"",
        ),
        (
            "device.deviceOSType -in [\"a\"",
            24,
            "this [ is never closed",
        ),
        (
            "device.deviceOSType -in [a]",
            25,
            "expected a quoted string in the list, found \"a\"",
        ),
        (
            "device.accountEnabled -eq \"yes\"",
            26,
            "expected true or false after -eq",
        ),
        (
            "device.accountEnabled -eq maybe",
            26,
            "expected true or false after -eq",
        ),
        (
            "device.accountEnabled -startsWith \"t\"",
            22,
            "accountEnabled is true or false, so it takes only -eq or -ne",
        ),
        (
            "device.deviceModel -match Surface",
            26,
            "expected a quoted regular expression after -match",
        ),
        // regular expressions: the offset is the pattern character at fault
        (
            "device.deviceModel -match \"(Surface\"",
            27,
            "this ( is never closed",
        ),
        (
            "device.deviceModel -match \"Sur[face\"",
            30,
            "this [ is never closed",
        ),
        (
            "device.deviceModel -match \"*Surface\"",
            27,
            "nothing to repeat",
        ),
        (
            "device.deviceModel -match \"Surface)\"",
            34,
            "this ) has no matching (",
        ),
        (
            "device.deviceModel -match \"(?=Surface)\"",
            27,
            "look-around",
        ),
        (
            "device.deviceModel -match \"(a)\\1\"",
            30,
            "back-references are not supported",
        ),
        // operators
        (
            "device.displayName -like \"x\"",
            19,
            "unknown operator -like",
        ),
        (
            "device.displayName -startWith \"x\"",
            19,
            "unknown operator -startWith; did you mean -startsWith?",
        ),
        ("device.displayName -gt \"x\"", 19, "unknown operator -gt"),
        (
            "device.displayName - eq \"x\"",
            19,
            "expected an operator name after -",
        ),
        (
            "device.displayName \u{2013}eq \"x\"",
            19,
            "typographic dash",
        ),
        (
            "device.displayName -and \"x\"",
            19,
            "expected a comparison operator like -eq after device.displayName, found \"-and\"",
        ),
        (
            "device.displayName \"x\"",
            19,
            "expected an operator like -eq after device.displayName",
        ),
        // properties
        (
            "device.devicePhysicalId -any (_ -eq \"x\")",
            0,
            "unknown device property \"devicePhysicalId\"; did you mean devicePhysicalIds?",
        ),
        (
            "device.colour -eq \"red\"",
            0,
            "unknown device property \"colour\"",
        ),
        (
            "device.userPrincipalName -eq \"a\"",
            0,
            "it is a user property",
        ),
        (
            "displayName -eq \"x\"",
            0,
            "expected a property like device.displayName, found \"displayName\"; did you mean device.displayName?",
        ),
        (
            "computer.displayName -eq \"x\"",
            0,
            "unknown object \"computer\"",
        ),
        ("\"x\" -eq device.displayName", 0, "expected a condition"),
        (
            "device.displayName -eq \"a\" -and user.city -eq \"b\"",
            32,
            "a rule cannot mix device and user properties",
        ),
        (
            "user.city -eq \"b\" -or (device.deviceId -eq \"a\")",
            23,
            "a rule cannot mix device and user properties",
        ),
        // collections
        (
            "device.devicePhysicalIds -eq \"x\"",
            25,
            "is a collection: compare its items with -any or -all",
        ),
        (
            "device.devicePhysicalIds -contains \"[ZTDId]\"",
            25,
            "is a collection",
        ),
        (
            "device.displayName -any (_ -eq \"x\")",
            19,
            "-any applies only to collections",
        ),
        ("_ -eq \"x\"", 0, "allowed only inside -any or -all"),
        (
            "device.devicePhysicalIds -any _ -eq \"a\" -or _ -eq \"b\"",
            44,
            "put them all in the parentheses",
        ),
        (
            "device.devicePhysicalIds -any (device.deviceId -eq \"x\")",
            31,
            "compare the item _",
        ),
        (
            "device.devicePhysicalIds -any (_ -any (_ -eq \"x\"))",
            33,
            "-any cannot be nested",
        ),
        (
            "device.memberOf -any (_ -eq \"x\")",
            22,
            "compare the item group.objectId",
        ),
        // trailing garbage and stray characters
        (
            "device.displayName -eq \"x\" \"y\"",
            27,
            "expected -and, -or or the end of the rule, found \"\\\"y\\\"\"",
        ),
        (
            "device.displayName -eq \"x\" device.deviceId",
            27,
            "expected -and, -or or the end of the rule",
        ),
        (
            "device.displayName -eq \"x\" ;",
            27,
            "unexpected character ';'",
        ),
        (
            "device.displayName -eq \"x\" && device.deviceId -eq \"y\"",
            27,
            "unexpected character '&'",
        ),
    ];
    for (rule, offset, fragment) in cases {
        let error = match parse(rule) {
            Ok(parsed) => panic!("{rule:?} parsed as {parsed}"),
            Err(error) => error,
        };
        assert!(
            error.message.contains(fragment),
            "{rule:?}: {error:?} lacks {fragment:?}"
        );
        assert_eq!(error.offset, offset, "{rule:?}: {error}");
    }
}

#[test]
fn deep_nesting_is_refused_before_it_exhausts_the_stack() {
    let comparison = "device.displayName -eq \"x\"";
    let nested = |depth: usize| format!("{}{comparison}{}", "(".repeat(depth), ")".repeat(depth));
    assert!(parse(&nested(100)).is_ok());
    let error = parse(&nested(101)).unwrap_err();
    assert_eq!(error.offset, 100);
    assert!(
        error.message.contains("nested more than 100 levels"),
        "{error}"
    );
    // Far deeper than the limit: must come back as an error on a test thread's small stack, not crash.
    assert_eq!(parse(&nested(1500)).unwrap_err().offset, 100);
    let negated = format!("{}{comparison}", "-not ".repeat(200));
    assert_eq!(parse(&negated).unwrap_err().offset, 500);
    let pattern = format!("{}a{}", "(".repeat(1000), ")".repeat(1000));
    let error = parse(&format!("device.displayName -match \"{pattern}\"")).unwrap_err();
    assert_eq!(error.offset, "device.displayName -match \"".len() + 100);
    assert!(
        error
            .message
            .contains("groups are nested more than 100 levels"),
        "{error}"
    );
}

#[test]
fn rule_length_is_counted_in_characters() {
    let filler = |n: usize| "é".repeat(n);
    let prefix = "device.displayName -eq \"";
    let at_limit = format!("{prefix}{}\"", filler(MAX_RULE_LENGTH - prefix.len() - 1));
    assert_eq!(at_limit.chars().count(), MAX_RULE_LENGTH);
    assert!(
        at_limit.len() > MAX_RULE_LENGTH,
        "the test needs multi-byte characters"
    );
    assert!(parse(&at_limit).is_ok());
    let over = format!("{prefix}{}\"", filler(MAX_RULE_LENGTH - prefix.len()));
    assert_eq!(parse(&over).unwrap_err().offset, MAX_RULE_LENGTH);
}

#[test]
fn error_offsets_count_characters_not_bytes() {
    let rule = "device.displayName -eq \"Gerät München\" -and device.deviceOSType -eq Windows";
    let error = parse(rule).unwrap_err();
    assert_eq!(error.offset, 68);
    assert_eq!(rule.chars().nth(error.offset), Some('W'));
}

#[test]
fn errors_read_well_for_people() {
    let rule = "device.deviceOSType -eq foo";
    let error = parse(rule).unwrap_err();
    assert_eq!(
        error.to_string(),
        "at character 25: expected a quoted string after -eq, found \"foo\""
    );
    assert_eq!(
        error.pointer(rule),
        "device.deviceOSType -eq foo\n                        ^"
    );
    let multi_line = "device.deviceOSType -eq \"x\"\n-and\tdevice.colour -eq \"y\"";
    let error = parse(multi_line).unwrap_err();
    let pointer = error.pointer(multi_line);
    let (line, caret) = pointer.split_once('\n').unwrap();
    assert!(!line.contains('\t') && !line.contains('\n'));
    assert_eq!(
        &line[caret.len() - 1..caret.len() - 1 + "device.colour".len()],
        "device.colour"
    );
    let boxed: Box<dyn std::error::Error> = Box::new(error);
    assert!(
        boxed
            .to_string()
            .starts_with("at character 34: unknown device property \"colour\"")
    );
}

#[test]
fn printing_and_reparsing_gives_the_same_rule() {
    let rules = [
        "(device.devicePhysicalIds -any (_ -contains \"[ZTDId]\"))",
        "device.objectId -ne null",
        "(device.deviceOSType -eq \"Windows\") -and (device.enrollmentProfileName -eq \"Autopilot\")",
        "device.displayName -eq \"a\" -or device.deviceModel -eq \"b\" -and device.deviceOSType -eq \"c\"",
        "(device.displayName -eq \"a\" -or device.deviceModel -eq \"b\") -and device.deviceOSType -eq \"c\"",
        "-not (device.displayName -eq \"a\" -and device.deviceModel -eq \"b\") -or device.isRooted -eq true",
        "device.displayName -eq \"say `\"hi`\" to O''Brien, `` twice\"",
        "device.displayName -in ['a''b', \"c`\"d\", \"\"]",
        "device.displayName -match \"^(PC|LT)-\\d{3,}$\"",
        "device.devicePhysicalIds -all _ -startsWith \"[\"",
        "device.memberOf -any (group.objectId -in [\"g1\", \"g2\"])",
        "user.proxyAddresses -any (_ -startsWith \"smtp:\" -and -not (_ -endsWith \".local\"))",
        "((device.extensionAttribute1 -eq \"x\"))",
    ];
    for rule in rules {
        let parsed = parse(rule).unwrap_or_else(|e| panic!("{rule}: {e}"));
        let printed = parsed.to_string();
        let reparsed = parse(&printed).unwrap_or_else(|e| panic!("{printed}: {e}"));
        assert_eq!(reparsed, parsed, "{rule} printed as {printed}");
        assert_eq!(reparsed.to_string(), printed, "printing is stable");
    }
    assert_eq!(
        parse("device.displayName -eq \"a\" -or device.deviceModel -eq \"b\" -and device.deviceOSType -eq \"c\"")
            .unwrap()
            .to_string(),
        "device.displayName -eq \"a\" -or device.deviceModel -eq \"b\" -and device.deviceOSType -eq \"c\""
    );
    assert_eq!(
        parse(
            "(device.displayName eq 'a' or device.deviceModel eq 'b') and device.isRooted eq TRUE"
        )
        .unwrap()
        .to_string(),
        "(device.displayName -eq \"a\" -or device.deviceModel -eq \"b\") -and device.isRooted -eq true"
    );
}

/// Generated rules and inputs: the printer and the parser agree on every tree, and no input makes the parser
/// panic or point outside the rule.
mod generated {
    use proptest::prelude::*;

    use super::super::*;

    const STRING_PROPERTIES: [&str; 6] = [
        "displayName",
        "deviceOSType",
        "deviceModel",
        "enrollmentProfileName",
        "extensionAttribute3",
        "objectId",
    ];
    const TEXT_OPERATORS: [CompareOp; 8] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::StartsWith,
        CompareOp::NotStartsWith,
        CompareOp::EndsWith,
        CompareOp::NotEndsWith,
        CompareOp::Contains,
        CompareOp::NotContains,
    ];
    const PATTERNS: [&str; 5] = ["^PC-\\d{3}$", "(a|b)+", "[^x-z]*?q", "\\bLT\\b", ""];

    /// Text with every character the quoting has to care about.
    fn text() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9 \"'`\\[\\]():,.é-]{0,8}"
    }

    fn comparison(operand: Operand) -> impl Strategy<Value = Expr> {
        let operand_for_text = operand.clone();
        let operand_for_list = operand.clone();
        let operand_for_pattern = operand;
        prop_oneof![
            (prop::sample::select(TEXT_OPERATORS.to_vec()), text()).prop_map(
                move |(operator, value)| {
                    Expr::Compare(Comparison {
                        operand: operand_for_text.clone(),
                        operator,
                        value: Value::String(value),
                    })
                }
            ),
            (any::<bool>(), prop::collection::vec(text(), 0..3)).prop_map(
                move |(negated, items)| {
                    Expr::Compare(Comparison {
                        operand: operand_for_list.clone(),
                        operator: if negated {
                            CompareOp::NotIn
                        } else {
                            CompareOp::In
                        },
                        value: Value::List(items),
                    })
                }
            ),
            (any::<bool>(), prop::sample::select(PATTERNS.to_vec())).prop_map(
                move |(negated, pattern)| {
                    Expr::Compare(Comparison {
                        operand: operand_for_pattern.clone(),
                        operator: if negated {
                            CompareOp::NotMatch
                        } else {
                            CompareOp::Match
                        },
                        value: Value::Pattern(Regex::new(pattern).unwrap()),
                    })
                }
            ),
        ]
    }

    fn leaf() -> impl Strategy<Value = Expr> {
        let on_property = prop::sample::select(STRING_PROPERTIES.to_vec())
            .prop_flat_map(|name| comparison(Operand::Property(name.to_string())));
        let on_bool = (
            any::<bool>(),
            prop_oneof![Just(Value::Null), any::<bool>().prop_map(Value::Bool)],
        )
            .prop_map(|(negated, value)| {
                Expr::Compare(Comparison {
                    operand: Operand::Property("isRooted".to_string()),
                    operator: if negated {
                        CompareOp::Ne
                    } else {
                        CompareOp::Eq
                    },
                    value,
                })
            });
        let item_predicate =
            comparison(Operand::Item("_".to_string())).prop_recursive(2, 6, 3, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
                    prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
                    inner.prop_map(|e| Expr::Not(Box::new(e))),
                ]
            });
        let quantified =
            (any::<bool>(), item_predicate).prop_map(|(all, predicate)| Expr::Quantified {
                property: "devicePhysicalIds".to_string(),
                quantifier: if all {
                    Quantifier::All
                } else {
                    Quantifier::Any
                },
                predicate: Box::new(predicate),
            });
        prop_oneof![4 => on_property, 1 => on_bool, 1 => quantified]
    }

    pub(super) fn expression() -> impl Strategy<Value = Expr> {
        leaf().prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
                inner.prop_map(|e| Expr::Not(Box::new(e))),
            ]
        })
    }

    /// Fragments that rules are made of, right and wrong, so that random sequences reach deep into the parser.
    pub(super) const FRAGMENTS: [&str; 24] = [
        "(",
        ")",
        "[",
        "]",
        ",",
        "-and",
        "or",
        "-not",
        "-any",
        "-all",
        "-eq",
        "-in",
        "-match",
        "-frob",
        "_",
        "device.displayName",
        "device.devicePhysicalIds",
        "user.city",
        "device.isRooted",
        "\"x\"",
        "'y'",
        "\"(\"",
        "null",
        "true",
    ];

    proptest! {
        #[test]
        fn printed_rules_parse_back_to_the_same_tree(root in expression()) {
            let rule = Rule { kind: SubjectKind::Device, root };
            let printed = rule.to_string();
            let reparsed = parse(&printed).map_err(|e| TestCaseError::fail(format!("{printed}\n{e}")))?;
            prop_assert_eq!(reparsed, rule, "{}", printed);
        }

    }
}

/// Hostile input: rules come from configurations and from Graph, and the emulator evaluates every rule against every
/// device. See `crate::hostile` for how these run (`make fuzz` runs them longer).
mod hostile {
    use proptest::prelude::*;

    use super::super::*;
    use super::generated::{FRAGMENTS, expression};
    use crate::hostile::{apply_to_text, config, hostile_char, mutations, text_fragment};

    /// Answers every property with one of `values`, whatever type the rule expects of it.
    #[derive(Debug)]
    struct Anything(Vec<PropertyValue>);

    impl RuleSubject for Anything {
        fn property(&self, name: &str) -> PropertyValue {
            self.0
                .get(name.len() % self.0.len().max(1))
                .cloned()
                .unwrap_or(PropertyValue::Null)
        }
    }

    fn property_value() -> impl Strategy<Value = PropertyValue> {
        let text = "[a-zA-Z0-9 \\[\\]:_.-]{0,10}|.{0,6}";
        prop_oneof![
            Just(PropertyValue::Null),
            any::<bool>().prop_map(PropertyValue::Bool),
            text.prop_map(PropertyValue::String),
            prop::collection::vec(text, 0..4).prop_map(PropertyValue::Strings),
        ]
    }

    fn subject() -> impl Strategy<Value = Anything> {
        prop::collection::vec(property_value(), 1..6).prop_map(Anything)
    }

    /// Everything a caller does with the outcome of a parse: evaluate, print and reparse, or point at the error.
    fn check_parsed(rule: &str, subject: &Anything) -> Result<(), TestCaseError> {
        match parse(rule) {
            Ok(parsed) => {
                let _ = parsed.evaluate(subject);
                let printed = parsed.to_string();
                let reparsed = parse(&printed).map_err(|e| {
                    TestCaseError::fail(format!("{rule:?} printed as {printed:?}: {e}"))
                })?;
                prop_assert_eq!(reparsed, parsed, "{:?} printed as {:?}", rule, printed);
            }
            Err(error) => {
                let length = rule.chars().count();
                prop_assert!(
                    error.offset <= length.max(MAX_RULE_LENGTH),
                    "{rule:?}: {error}"
                );
                prop_assert!(!error.message.is_empty());
                let _ = error.pointer(rule);
            }
        }
        Ok(())
    }

    /// Pattern syntax right and wrong: groups of every kind, escapes, counted repetition near and past the limits.
    const PATTERN_FRAGMENTS: [&str; 28] = [
        "(", ")", "(?:", "(?<n>", "(?'n'", "(?i)", "(?=", "()", "|", "[", "]", "[^", "-", "\\",
        "\\x4", "\\u00e9", "\\d", "\\b", "{", "}", "{1000}", "{0,1000}", "{1001}", "{2,1}", "*",
        "+?", "^", "$",
    ];

    proptest! {
        #![proptest_config(config(256))]

        #[test]
        fn fragment_soup_never_panics(parts in prop::collection::vec(prop::sample::select(FRAGMENTS.to_vec()), 0..12),
                                      subject in subject()) {
            check_parsed(&parts.join(" "), &subject)?;
        }

        #[test]
        fn arbitrary_text_never_panics(rule in any::<String>(), subject in subject()) {
            check_parsed(&rule, &subject)?;
        }

        #[test]
        fn mutated_rules_never_panic(root in expression(),
                                     edits in mutations(hostile_char(), text_fragment(&FRAGMENTS)),
                                     subject in subject()) {
            let printed = Rule { kind: SubjectKind::Device, root }.to_string();
            check_parsed(&apply_to_text(&printed, &edits), &subject)?;
        }

        #[test]
        fn arbitrary_patterns_never_panic(pattern in "[a-c()|*+?{}0-9,\\[\\]^$.\\\\dws-]{0,12}", text in "[a-c0-9 -]{0,12}") {
            if let Ok(regex) = Regex::new(&pattern) {
                let _ = regex.is_match(&text);
            }
        }

        #[test]
        fn pattern_soup_never_panics(parts in prop::collection::vec(prop::sample::select(&PATTERN_FRAGMENTS[..]), 0..9),
                                     text in ".{0,12}") {
            if let Ok(regex) = Regex::new(&parts.concat()) {
                let _ = regex.is_match(&text);
            }
        }

        #[test]
        fn patterns_inside_rules_never_panic(pattern in ".{0,16}",
                                             edits in mutations(hostile_char(), text_fragment(&PATTERN_FRAGMENTS)),
                                             subject in subject()) {
            let pattern = apply_to_text(&pattern, &edits);
            check_parsed(&format!("device.displayName -match \"{pattern}\""), &subject)?;
        }
    }
}
