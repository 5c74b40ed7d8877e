//! The national clouds Microsoft Graph runs in. Each has its own login host and its own Graph root, and a token
//! must be requested for the Graph root of the same cloud (a Global token is worthless against GCC High).

use std::fmt;
use std::str::FromStr;

/// Which Microsoft cloud the tenant lives in; the provider's `environment` attribute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Cloud {
    /// The worldwide public cloud (`login.microsoftonline.com`, `graph.microsoft.com`).
    #[default]
    Global,
    /// US Government L4, also called GCC High.
    UsGovernment,
    /// US Government L5 (Department of Defense).
    Dod,
    /// Microsoft Azure operated by 21Vianet.
    China,
}

impl Cloud {
    /// The names `FromStr` accepts, in the order the documentation lists them.
    pub const NAMES: [&'static str; 4] = ["global", "usgovernment", "dod", "china"];

    /// The Entra ID login host of this cloud, as a URL without a trailing slash.
    pub fn authority_host(&self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::UsGovernment | Cloud::Dod => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }

    /// The Graph root of this cloud (without the version segment), also the resource a token is requested for.
    pub fn graph_root(&self) -> &'static str {
        match self {
            Cloud::Global => "https://graph.microsoft.com",
            Cloud::UsGovernment => "https://graph.microsoft.us",
            Cloud::Dod => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    /// The canonical lower-case name, as written in configuration.
    pub fn name(&self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::UsGovernment => "usgovernment",
            Cloud::Dod => "dod",
            Cloud::China => "china",
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a cloud name was not recognised; the message lists the accepted names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown environment {given:?}: expected one of global, usgovernment, dod, china")]
pub struct UnknownCloud {
    /// The name as it was given.
    pub given: String,
}

impl FromStr for Cloud {
    type Err = UnknownCloud;

    /// Case-insensitive; `public` is accepted for `global` because that is what `ARM_ENVIRONMENT` holds for the
    /// public cloud in the azurerm provider's convention.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "global" | "public" => Ok(Cloud::Global),
            "usgovernment" => Ok(Cloud::UsGovernment),
            "dod" => Ok(Cloud::Dod),
            "china" => Ok(Cloud::China),
            _ => Err(UnknownCloud {
                given: s.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_name_parses_back_to_a_cloud_with_that_name() {
        for name in Cloud::NAMES {
            let cloud: Cloud = name.parse().unwrap();
            assert_eq!(cloud.name(), name);
        }
    }

    #[test]
    fn names_are_case_insensitive_and_public_means_global() {
        assert_eq!("USGovernment".parse::<Cloud>(), Ok(Cloud::UsGovernment));
        assert_eq!("public".parse::<Cloud>(), Ok(Cloud::Global));
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_accepted_names() {
        let err = "german".parse::<Cloud>().unwrap_err();
        assert!(
            err.to_string().contains("global, usgovernment, dod, china"),
            "{err}"
        );
    }

    #[test]
    fn dod_shares_the_us_login_host_but_has_its_own_graph_root() {
        assert_eq!(
            Cloud::Dod.authority_host(),
            Cloud::UsGovernment.authority_host()
        );
        assert_ne!(Cloud::Dod.graph_root(), Cloud::UsGovernment.graph_root());
    }
}
