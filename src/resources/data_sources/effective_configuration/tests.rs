use super::choice::*;

fn group(id: &str) -> GroupRef {
    GroupRef {
        id: id.to_string(),
        name: Some(format!("G-{id}")),
    }
}

fn target(kind: TargetKind) -> Target {
    Target { kind, filter: None }
}

fn esp(id: &str, priority: i64, targets: Vec<Target>) -> Candidate {
    Candidate {
        id: id.to_string(),
        name: format!("ESP-{id}"),
        priority,
        targets,
    }
}

fn device_in(groups: &[&str]) -> DeviceFacts {
    DeviceFacts {
        group_ids: groups.iter().map(|g| g.to_string()).collect(),
        user_principal_name: None,
    }
}

fn default() -> Option<(String, String)> {
    Some((
        "x_DefaultWindows10EnrollmentCompletionPageConfiguration".into(),
        "All users and all devices".into(),
    ))
}

fn chosen(choice: &Choice) -> Option<&str> {
    choice.esp.as_ref().map(|(id, _)| id.as_str())
}

#[test]
fn best_priority_including_esp_wins() {
    let esps = [
        esp("b", 2, vec![target(TargetKind::Group(group("g1")))]),
        esp("a", 1, vec![target(TargetKind::Group(group("g1")))]),
    ];
    let choice = choose(&esps, &device_in(&["g1"]), default());
    assert_eq!(chosen(&choice), Some("a"));
    assert!(choice.reasons[0].contains("ESP-a") && choice.reasons[0].contains("priority 1"));
    assert!(choice.reasons[1].contains("ESP-b"));
    assert!(
        choice
            .reasons
            .last()
            .unwrap()
            .contains("Chosen: ESP \"ESP-a\"")
    );
}

#[test]
fn exclusion_beats_inclusion_and_the_next_priority_applies() {
    let esps = [
        esp(
            "a",
            1,
            vec![
                target(TargetKind::AllDevices),
                target(TargetKind::Exclusion(group("g2"))),
            ],
        ),
        esp("b", 2, vec![target(TargetKind::Group(group("g1")))]),
    ];
    let choice = choose(&esps, &device_in(&["g1", "g2"]), default());
    assert_eq!(chosen(&choice), Some("b"));
    assert!(
        choice.reasons[0].contains("excluded by group \"G-g2\""),
        "{:?}",
        choice.reasons
    );
    assert!(choice.reasons[1].contains("included through group \"G-g1\""));
}

#[test]
fn device_assignments_come_before_user_assignments() {
    let esps = [
        esp("users", 1, vec![target(TargetKind::AllUsers)]),
        esp("devices", 2, vec![target(TargetKind::Group(group("g1")))]),
    ];
    let mut device = device_in(&["g1"]);
    device.user_principal_name = Some("ana@contoso.example".into());
    assert_eq!(chosen(&choose(&esps, &device, default())), Some("devices"));
    // Without a device assignment the user's applies; without a user, all users reaches nobody.
    let device = DeviceFacts {
        group_ids: Default::default(),
        user_principal_name: Some("ana@contoso.example".into()),
    };
    assert_eq!(chosen(&choose(&esps, &device, default())), Some("users"));
    let choice = choose(&esps, &device_in(&[]), default());
    assert_eq!(
        chosen(&choice),
        Some("x_DefaultWindows10EnrollmentCompletionPageConfiguration")
    );
    assert!(choice.reasons.last().unwrap().contains("default ESP"));
}

#[test]
fn a_filter_that_decides_leaves_the_choice_unknown_and_one_that_excludes_is_honoured() {
    let filtered = Target {
        kind: TargetKind::Group(group("g1")),
        filter: Some(FilterOutcome::Unknowable("filter F lets it through".into())),
    };
    let esps = [
        esp("a", 1, vec![filtered]),
        esp("b", 2, vec![target(TargetKind::AllDevices)]),
    ];
    let choice = choose(&esps, &device_in(&["g1"]), default());
    assert_eq!(choice.esp, None);
    assert!(choice.reasons[0].contains("if filter F lets it through"));
    assert!(
        choice
            .reasons
            .last()
            .unwrap()
            .contains("unknown before enrollment")
    );

    let left_out = Target {
        kind: TargetKind::Group(group("g1")),
        filter: Some(FilterOutcome::LeavesOut("filter F does not match".into())),
    };
    let esps = [
        esp("a", 1, vec![left_out]),
        esp("b", 2, vec![target(TargetKind::AllDevices)]),
    ];
    assert_eq!(
        chosen(&choose(&esps, &device_in(&["g1"]), default())),
        Some("b")
    );
}

#[test]
fn an_unfiltered_candidate_ranked_first_is_not_blocked_by_a_later_filtered_one() {
    let filtered = Target {
        kind: TargetKind::AllDevices,
        filter: Some(FilterOutcome::Unknowable("filter F lets it through".into())),
    };
    let esps = [
        esp("a", 1, vec![target(TargetKind::Group(group("g1")))]),
        esp("b", 2, vec![filtered]),
    ];
    assert_eq!(
        chosen(&choose(&esps, &device_in(&["g1"]), default())),
        Some("a")
    );
}

#[test]
fn a_filtered_user_assignment_does_not_hide_a_device_assignment() {
    let filtered = Target {
        kind: TargetKind::AllUsers,
        filter: Some(FilterOutcome::Unknowable("filter F lets it through".into())),
    };
    let esps = [
        esp("users", 1, vec![filtered]),
        esp("devices", 2, vec![target(TargetKind::Group(group("g1")))]),
    ];
    let mut device = device_in(&["g1"]);
    device.user_principal_name = Some("ana@contoso.example".into());
    assert_eq!(chosen(&choose(&esps, &device, default())), Some("devices"));
    // Without the device assignment, the filtered user assignment decides, and that is unknown.
    let choice = choose(&esps[..1], &device, default());
    assert_eq!(choice.esp, None, "{:?}", choice.reasons);
}
