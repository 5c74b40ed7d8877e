//! Lists: paging through nextLinks, filters, select, count.

use reqwest::StatusCode;
use serde_json::json;

use super::*;

#[tokio::test]
async fn paging_follows_next_links_through_every_group_once() {
    let h = harness().await;
    let mut created = Vec::new();
    for n in 0..7 {
        created.push(h.create_group(&format!("Group {n}")).await);
    }
    let mut seen = Vec::new();
    let mut url = "/v1.0/groups?$top=3&$select=id,displayName".to_string();
    let mut pages = 0;
    loop {
        let page = h.get(&url).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        pages += 1;
        for group in page.body["value"].as_array().unwrap() {
            assert_eq!(
                group.as_object().unwrap().len(),
                2,
                "only the selected properties: {group}"
            );
            seen.push(group["id"].as_str().unwrap().to_string());
        }
        match page.body["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(next.starts_with(&h.base), "nextLink is absolute: {next}");
                assert!(next.contains("$skiptoken="));
                url = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(sorted(seen), sorted(created));
}

#[tokio::test]
async fn top_outside_1_to_999_and_bad_skiptokens_are_refused() {
    let h = harness().await;
    assert_eq!(
        h.get("/v1.0/groups?$top=0").await.status,
        StatusCode::BAD_REQUEST
    );
    let too_big = h.get("/v1.0/groups?$top=1000").await;
    assert_eq!(too_big.status, StatusCode::BAD_REQUEST);
    assert!(too_big.error_message().contains("between 1 and 999"));
    assert_eq!(h.get("/v1.0/groups?$top=999").await.status, StatusCode::OK);
    let expired = h.get("/v1.0/groups?$skiptoken=nonsense").await;
    assert_eq!(expired.error_code(), "Directory_ExpiredPageToken");
}

#[tokio::test]
async fn the_filter_forms_the_provider_uses_work() {
    let h = harness().await;
    let sales = h.create_group("AP Sales").await;
    let hr = h.create_group("AP HR").await;
    let other = h.create_group("Other").await;
    let ids = |answer: &Answer| -> Vec<String> {
        sorted(
            answer.body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["id"].as_str().unwrap().to_string())
                .collect(),
        )
    };
    assert_eq!(
        ids(&h
            .get("/v1.0/groups?$filter=displayName eq 'ap sales'")
            .await),
        vec![sales.clone()]
    );
    assert_eq!(
        ids(&h
            .get("/v1.0/groups?$filter=startsWith(displayName,'AP ')")
            .await),
        sorted(vec![sales.clone(), hr.clone()])
    );
    assert_eq!(
        ids(&h
            .get(&format!("/v1.0/groups?$filter=id in ('{sales}','{other}')"))
            .await),
        sorted(vec![sales.clone(), other])
    );
    assert_eq!(
        ids(&h.get("/v1.0/groups?$filter=mailNickname eq 'AP-HR'").await),
        vec![hr]
    );

    let unsupported = h
        .get("/v1.0/groups?$filter=contains(displayName,'Sales')")
        .await;
    assert_eq!(unsupported.status, StatusCode::BAD_REQUEST);
    assert_eq!(unsupported.error_code(), "Request_UnsupportedQuery");
    let advanced = h.get("/v1.0/groups?$filter=displayName ne 'Other'").await;
    assert_eq!(advanced.error_code(), "Request_UnsupportedQuery");
    let with_header = h
        .call_with(
            Method::GET,
            "/v1.0/groups?$filter=displayName ne 'Other'&$count=true",
            None,
            &h.token,
            &[("ConsistencyLevel", "eventual")],
        )
        .await;
    assert_eq!(with_header.status, StatusCode::OK);
    assert_eq!(with_header.body["@odata.count"], 2);
}

#[tokio::test]
async fn select_on_an_entity_and_beta_only_properties() {
    let h = harness().await;
    let id = h
        .create_dynamic_group(
            "Dyn",
            "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))",
        )
        .await;
    let selected = h
        .get(&format!(
            "/v1.0/groups/{id}?$select=displayName,membershipRule"
        ))
        .await;
    assert_eq!(
        selected
            .body
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| !k.starts_with('@'))
            .count(),
        2
    );
    assert!(
        selected.body["@odata.context"]
            .as_str()
            .unwrap()
            .contains("groups(displayName,membershipRule)/$entity")
    );
    let status = h
        .get(&format!(
            "/beta/groups/{id}?$select=membershipRuleProcessingStatus"
        ))
        .await;
    assert_eq!(
        status.body["membershipRuleProcessingStatus"]["status"],
        "Succeeded"
    );
    assert!(
        h.get(&format!("/beta/groups/{id}"))
            .await
            .body
            .get("membershipRuleProcessingStatus")
            .is_none()
    );
    let v1 = h
        .get(&format!(
            "/v1.0/groups/{id}?$select=membershipRuleProcessingStatus"
        ))
        .await;
    assert_eq!(v1.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        v1.body["error"]["message"],
        json!(
            "Could not find a property named 'membershipRuleProcessingStatus' on type 'microsoft.graph.group'."
        )
    );
}
