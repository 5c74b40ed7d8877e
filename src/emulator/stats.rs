//! Request counters for `GET /_emulator/stats`: every request except the admin routes, by route template
//! (`GET /v1.0/groups/{id}`), plus how many were throttled, how many got an injected fault, and how many access
//! tokens were issued by each grant (`client_secret`, `client_certificate`, `federated`, `managed_identity`, `user`).

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Stats {
    pub requests: u64,
    pub by_route: BTreeMap<String, u64>,
    pub throttled: u64,
    pub faults: u64,
    pub tokens_by_grant: BTreeMap<String, u64>,
}

impl Stats {
    pub fn count(&mut self, route_key: &str) {
        self.requests += 1;
        *self.by_route.entry(route_key.to_string()).or_default() += 1;
    }

    pub fn count_token(&mut self, grant: &str) {
        *self.tokens_by_grant.entry(grant.to_string()).or_default() += 1;
    }
}
