//! The importer types of the Importers API (seed 000), parsed in any letter case and
//! written back the way the seed's responses spell them (`"Aws_api_gateway"`).

crate::wire_enum! {
    /// A source platform an importer pulls API definitions from.
    pub enum ImporterType {
        AwsApiGateway => "Aws_api_gateway" | "aws_api_gateway",
        Azure => "Azure" | "azure",
        Apigee => "Apigee" | "apigee",
        Kong => "Kong" | "kong",
        AnypointExchange => "Anypoint_exchange" | "anypoint_exchange",
        InvictiNadAgent => "Invicti_nad_agent" | "invicti_nad_agent",
        /// Extension beyond seed 000: spec files in a local folder (git checkouts, CI).
        Directory => "Directory" | "directory",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_case_and_displays_seed_spelling() {
        let t: ImporterType = "AWS_API_GATEWAY".parse().expect("valid type");
        assert_eq!(t, ImporterType::AwsApiGateway);
        assert_eq!(t.as_str(), "Aws_api_gateway");
        assert_eq!(t.request_str(), "aws_api_gateway");
        for t in ImporterType::ALL {
            assert_eq!(t.as_str().parse::<ImporterType>(), Ok(*t));
            assert_eq!(t.request_str().parse::<ImporterType>(), Ok(*t));
        }
    }

    #[test]
    fn unknown_type_names_the_value_and_the_choices() {
        let err = "gcp".parse::<ImporterType>().expect_err("must fail");
        assert!(
            err.contains("`gcp`") && err.contains("anypoint_exchange"),
            "{err}"
        );
    }
}
