//! Parameter names that look like credentials. The descriptors say exactly which of
//! their fields are secrets; this list is the conservative fallback for types whose
//! parameters are free-form (no connector in this build), and a check that no
//! descriptor forgot a field named like a credential.

/// Compared case-insensitively, at any depth.
pub const NAMES: &[&str] = &[
    "clientSecret",
    "secretAccessKey",
    "sessionToken",
    "password",
    "token",
    "adminToken",
    "apiKey",
    "serviceAccountKeyJson",
    "refreshToken",
    "registrationToken",
    "accessToken",
    "privateKey",
    "personalAccessToken",
    "sasToken",
    "connectionString",
];

/// Whether `key` names a credential: one of [`NAMES`], or ends in `secret`,
/// `password`, `token` or `key` (but not `…Id`, `…Url` or a plain `key`).
pub fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    NAMES.iter().any(|n| n.eq_ignore_ascii_case(key))
        || [
            "secret",
            "password",
            "passwd",
            "token",
            "privatekey",
            "apikey",
        ]
        .iter()
        .any(|s| k.ends_with(s))
}

#[cfg(test)]
mod tests {
    #[test]
    fn credential_names_are_recognised() {
        for k in [
            "clientSecret",
            "adminToken",
            "X-Api-Key".replace('-', "").as_str(),
            "dbPassword",
        ] {
            assert!(super::looks_secret(k), "{k}");
        }
        for k in ["clientId", "tokenUrl", "region", "keyId", "path"] {
            assert!(!super::looks_secret(k), "{k}");
        }
    }
}
