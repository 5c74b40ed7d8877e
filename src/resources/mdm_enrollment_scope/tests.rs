use super::*;
use crate::graph::{AzureCli, ClientConfig, Cloud, Credential, Credentials, GraphClient};
use crate::resources::lifecycle::Managed;
use crate::resources::test_support::{
    assert_every_attribute_is_documented, plan_create, set, validation_errors,
};
use crate::tfplugin::{Model, Value};

const GROUP: &str = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";

fn provider_data(credential: Credential) -> ProviderData {
    let config = ClientConfig {
        credentials: Credentials {
            tenant_id: "00000000-0000-0000-0000-000000000001".into(),
            client_id: "app".into(),
            credential,
        },
        cloud: Cloud::Global,
        graph_endpoint: None,
        authority_host: None,
        user_agent: "test".into(),
    };
    ProviderData::new(GraphClient::new(config).unwrap())
}

fn served(applies_to: &str) -> MdmPolicy {
    serde_json::from_value(serde_json::json!({
        "id": INTUNE_POLICY_ID, "appliesTo": applies_to,
        "complianceUrl": DEFAULT_COMPLIANCE_URL, "discoveryUrl": null,
        "termsOfUseUrl": DEFAULT_TERMS_OF_USE_URL, "isValid": true}))
    .unwrap()
}

#[test]
fn the_schema_is_documented() {
    assert_every_attribute_is_documented(&Managed(MdmEnrollmentScopeResource));
}

#[test]
fn an_application_credential_is_refused_at_plan_naming_the_azure_cli() {
    let mut diags = Diagnostics::new();
    let app = provider_data(Credential::ClientSecret("s3cr3t".into()));
    MdmEnrollmentScopeResource.check_provider(&app, &mut diags);
    assert!(diags.has_errors());
    let text = format!("{diags:?}");
    assert!(
        text.contains("az login") && text.contains("use_cli"),
        "{text}"
    );
    assert!(
        text.contains("client secret"),
        "names how it signs in: {text}"
    );
    assert!(!text.contains("s3cr3t"));

    let mut diags = Diagnostics::new();
    let user = provider_data(Credential::AzureCli(AzureCli::default()));
    MdmEnrollmentScopeResource.check_provider(&user, &mut diags);
    assert!(!diags.has_errors(), "{diags:?}");
}

#[test]
fn groups_go_only_with_selected_and_selected_needs_one() {
    let resource = Managed(MdmEnrollmentScopeResource);
    for attrs in [
        vec![
            ("applies_to", Value::string("all")),
            ("included_group_ids", set(&[GROUP])),
        ],
        vec![("applies_to", Value::string("selected"))],
        vec![
            ("applies_to", Value::string("selected")),
            ("included_group_ids", set(&[])),
        ],
    ] {
        let errors = validation_errors(&resource, &attrs);
        assert!(
            errors.iter().any(|(path, _)| path == "included_group_ids"),
            "{attrs:?}: {errors:?}"
        );
    }
    let errors = validation_errors(
        &resource,
        &[
            ("applies_to", Value::string("everyone")),
            (
                "terms_of_use_url",
                Value::string("http://contoso.example/tou"),
            ),
            ("included_group_ids", set(&["not-a-guid"])),
        ],
    );
    let paths: Vec<&str> = errors.iter().map(|(path, _)| path.as_str()).collect();
    for attribute in ["applies_to", "terms_of_use_url", "included_group_ids"] {
        assert!(paths.contains(&attribute), "{attribute}: {errors:?}");
    }
    assert!(
        validation_errors(
            &resource,
            &[
                ("applies_to", Value::string("selected")),
                ("included_group_ids", set(&[GROUP]))
            ]
        )
        .is_empty()
    );
}

#[test]
fn a_plan_of_all_has_no_groups_and_microsofts_urls() {
    let planned = plan_create(
        &Managed(MdmEnrollmentScopeResource),
        &[("applies_to", Value::string("all"))],
    );
    let plan = MdmEnrollmentScope::from_value(&planned);
    assert_eq!(plan.id, Field::Known(INTUNE_POLICY_ID.to_string()));
    assert_eq!(plan.included_group_ids, Field::Known(BTreeSet::new()));
    assert_eq!(
        plan.compliance_url,
        Field::Known(DEFAULT_COMPLIANCE_URL.to_string())
    );
    assert_eq!(
        plan.discovery_url,
        Field::Known(DEFAULT_DISCOVERY_URL.to_string())
    );
    assert_eq!(
        plan.terms_of_use_url,
        Field::Known(DEFAULT_TERMS_OF_USE_URL.to_string())
    );
}

#[test]
fn only_urls_that_differ_are_patched_and_ids_keep_the_configurations_spelling() {
    let plan = MdmEnrollmentScope {
        applies_to: Field::Known("all".into()),
        compliance_url: Field::Known(DEFAULT_COMPLIANCE_URL.into()),
        discovery_url: Field::Known(DEFAULT_DISCOVERY_URL.into()),
        terms_of_use_url: Field::Known("https://contoso.example/tou".into()),
        ..Default::default()
    };
    let urls = plan.url_changes(&served("none"));
    assert_eq!(
        urls,
        MdmUrls {
            compliance_url: None,
            discovery_url: Some(DEFAULT_DISCOVERY_URL.into()),
            terms_of_use_url: Some("https://contoso.example/tou".into()),
        }
    );
    let like = MdmEnrollmentScope {
        included_group_ids: Field::Known([GROUP.to_ascii_uppercase()].into()),
        ..Default::default()
    };
    let state = MdmEnrollmentScope::from_graph(&served("selected"), vec![GROUP.into()], &like);
    assert_eq!(state.applies_to, Field::Known("selected".into()));
    assert_eq!(
        state.included_group_ids,
        Field::Known([GROUP.to_ascii_uppercase()].into())
    );
    assert_eq!(
        state.discovery_url,
        Field::Null,
        "a URL Graph has not set reads as null"
    );
}
