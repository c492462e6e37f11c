//! The `definitionFormat` values of the inventory (seed 001), with the lower-case
//! spelling the upload endpoint takes (`format=openapi3`) and the capitalised one its
//! responses show (`"Openapi3"`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DefinitionFormat {
    Openapi3,
    Openapi2,
    Genericapi,
    Graphql,
    Grpc,
    Raml,
    Wsdl,
    Wadl,
}

impl DefinitionFormat {
    pub const ALL: [DefinitionFormat; 8] = [
        DefinitionFormat::Openapi3,
        DefinitionFormat::Openapi2,
        DefinitionFormat::Genericapi,
        DefinitionFormat::Graphql,
        DefinitionFormat::Grpc,
        DefinitionFormat::Raml,
        DefinitionFormat::Wsdl,
        DefinitionFormat::Wadl,
    ];

    /// Response spelling (`Openapi3`).
    pub fn as_str(self) -> &'static str {
        match self {
            DefinitionFormat::Openapi3 => "Openapi3",
            DefinitionFormat::Openapi2 => "Openapi2",
            DefinitionFormat::Genericapi => "Genericapi",
            DefinitionFormat::Graphql => "Graphql",
            DefinitionFormat::Grpc => "Grpc",
            DefinitionFormat::Raml => "Raml",
            DefinitionFormat::Wsdl => "Wsdl",
            DefinitionFormat::Wadl => "Wadl",
        }
    }

    /// Query-parameter spelling (`openapi3`).
    pub fn query_name(self) -> &'static str {
        match self {
            DefinitionFormat::Openapi3 => "openapi3",
            DefinitionFormat::Openapi2 => "openapi2",
            DefinitionFormat::Genericapi => "genericapi",
            DefinitionFormat::Graphql => "graphql",
            DefinitionFormat::Grpc => "grpc",
            DefinitionFormat::Raml => "raml",
            DefinitionFormat::Wsdl => "wsdl",
            DefinitionFormat::Wadl => "wadl",
        }
    }

    pub fn expected() -> String {
        Self::ALL
            .iter()
            .map(|f| f.query_name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for DefinitionFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown definition format `{0}`, expected one of: {list}", list = DefinitionFormat::expected())]
pub struct UnknownFormat(pub String);

impl FromStr for DefinitionFormat {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.query_name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}
