//! The importer types of the Importers API (seed 000), parsed in any letter case and
//! written back the way the seed's responses spell them (`"Aws_api_gateway"`).

use std::fmt;
use std::str::FromStr;

/// A source platform an importer pulls API definitions from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImporterType {
    AwsApiGateway,
    Azure,
    Apigee,
    Kong,
    AnypointExchange,
    InvictiNadAgent,
    /// Extension beyond seed 000: spec files in a local folder (git checkouts, CI).
    Directory,
}

impl ImporterType {
    pub const ALL: [ImporterType; 7] = [
        ImporterType::AwsApiGateway,
        ImporterType::Azure,
        ImporterType::Apigee,
        ImporterType::Kong,
        ImporterType::AnypointExchange,
        ImporterType::InvictiNadAgent,
        ImporterType::Directory,
    ];

    /// The request spelling, which is also the `source.origin` of imported definitions.
    pub fn as_str(self) -> &'static str {
        match self {
            ImporterType::AwsApiGateway => "aws_api_gateway",
            ImporterType::Azure => "azure",
            ImporterType::Apigee => "apigee",
            ImporterType::Kong => "kong",
            ImporterType::AnypointExchange => "anypoint_exchange",
            ImporterType::InvictiNadAgent => "invicti_nad_agent",
            ImporterType::Directory => "directory",
        }
    }

    /// The response spelling of seed 000: first letter upper case, the rest as sent.
    pub fn display_name(self) -> &'static str {
        match self {
            ImporterType::AwsApiGateway => "Aws_api_gateway",
            ImporterType::Azure => "Azure",
            ImporterType::Apigee => "Apigee",
            ImporterType::Kong => "Kong",
            ImporterType::AnypointExchange => "Anypoint_exchange",
            ImporterType::InvictiNadAgent => "Invicti_nad_agent",
            ImporterType::Directory => "Directory",
        }
    }

    /// Human-readable list of accepted values, for error messages.
    pub fn expected() -> String {
        Self::ALL
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for ImporterType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Unknown importer type; the message lists what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown importer type `{0}`, expected one of: {list}", list = ImporterType::expected())]
pub struct UnknownImporterType(pub String);

impl FromStr for ImporterType {
    type Err = UnknownImporterType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownImporterType(s.to_owned()))
    }
}

impl serde::Serialize for ImporterType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.display_name())
    }
}

impl<'de> serde::Deserialize<'de> for ImporterType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_case_and_displays_seed_spelling() {
        let t: ImporterType = "AWS_API_GATEWAY".parse().expect("valid type");
        assert_eq!(t, ImporterType::AwsApiGateway);
        assert_eq!(t.display_name(), "Aws_api_gateway");
        for t in ImporterType::ALL {
            assert_eq!(t.display_name().parse::<ImporterType>(), Ok(t));
            assert_eq!(t.as_str().parse::<ImporterType>(), Ok(t));
        }
    }

    #[test]
    fn unknown_type_names_the_value_and_the_choices() {
        let err = "gcp".parse::<ImporterType>().expect_err("must fail");
        let msg = err.to_string();
        assert!(
            msg.contains("`gcp`") && msg.contains("anypoint_exchange"),
            "{msg}"
        );
    }
}
