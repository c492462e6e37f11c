//! Parameters of an `apigee` importer: which Apigee API to read (`mode`), where,
//! and exactly one way to authenticate. The seed's generic `organizationId` is an
//! alias of `organization`.

use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::descriptor::Parameters;
use crate::fields::FieldError;
use crate::http::oauth::ServiceAccountKey;
use crate::params::{MASK, Secret, non_empty, string_list, whole_opt};
use crate::registry::Environment;

crate::wire_enum! {
    /// Which Apigee API the importer reads.
    pub enum Mode {
        Proxies => "proxies",
        Apihub => "apihub",
        Edge => "edge",
    }
}

/// `parameters` of an `apigee` importer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApigeeParameters {
    /// `proxies` (default: deployed proxies of Apigee X / hybrid), `apihub` (the
    /// specs of Apigee API hub) or `edge` (deployed proxies of Apigee Edge / OPDK).
    #[serde(default)]
    pub mode: Option<Mode>,
    /// The Apigee organization (alias `organizationId`); required in `proxies`
    /// and `edge` mode.
    #[serde(default, alias = "organizationId", deserialize_with = "non_empty")]
    #[schema(min_length = 1, pattern = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    pub organization: Option<String>,
    /// The Google Cloud project of API hub; required in `apihub` mode.
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(min_length = 1, pattern = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
    pub project_id: Option<String>,
    /// The API hub location (`us-central1`, …); required in `apihub` mode.
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(min_length = 1, pattern = r"^[a-z0-9-]+$")]
    pub location: Option<String>,
    /// A Google service-account key (the key file's JSON, as a string or an
    /// object); tokens come from its `token_uri` with a signed JWT assertion.
    #[serde(default)]
    pub service_account_key_json: Option<Secret>,
    /// An OAuth client id, with `clientSecret` and a user's `refreshToken`.
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(min_length = 1, pattern = r"^\S+$")]
    pub client_id: Option<String>,
    /// The OAuth client's secret.
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// A user's OAuth refresh token (3-legged consent for the OAuth client).
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    /// A ready bearer token (short-lived: for trials).
    #[serde(default)]
    pub access_token: Option<Secret>,
    /// `edge` mode: the Apigee Edge user of Edge's token flow.
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(min_length = 1, pattern = r"^\S+$")]
    pub username: Option<String>,
    /// `edge` mode: that user's password.
    #[serde(default)]
    pub password: Option<Secret>,
    /// Only proxies deployed to these environments (default: all).
    #[serde(default, deserialize_with = "string_list")]
    #[schema(value_type = Option<Vec<String>>, min_items = 1)]
    pub environments: Option<Vec<String>>,
    /// Overrides the management API base URL (default
    /// `https://apigee.googleapis.com`; `edge`: `https://api.enterprise.apigee.com`).
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(
        pattern = r"^https?://[A-Za-z0-9.-]+(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/[A-Za-z0-9._~/-]*)?$"
    )]
    pub management_url: Option<String>,
    /// Overrides the API hub base URL (default `https://apihub.googleapis.com`).
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(
        pattern = r"^https?://[A-Za-z0-9.-]+(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/[A-Za-z0-9._~/-]*)?$"
    )]
    pub apihub_url: Option<String>,
    /// Overrides the OAuth token endpoint (default: the key's `token_uri`, else
    /// `https://oauth2.googleapis.com/token`; `edge`: `https://login.apigee.com/oauth/token`).
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(
        pattern = r"^https?://[A-Za-z0-9.-]+(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/[A-Za-z0-9._~/-]*)?$"
    )]
    pub token_url: Option<String>,
    /// Calls per second, 1-100 (default 10; Apigee limits an organization to
    /// about 6000 calls a minute).
    #[serde(default, deserialize_with = "whole_opt")]
    #[schema(minimum = 1, maximum = 100)]
    pub max_requests_per_second: Option<u32>,
}

/// How the importer authenticates; exactly one is given.
pub enum Auth {
    ServiceAccount(ServiceAccountKey),
    RefreshToken {
        client_id: String,
        client_secret: Secret,
        refresh_token: Secret,
    },
    AccessToken(Secret),
    Password {
        username: String,
        password: Secret,
    },
}

const WAYS: &str = "serviceAccountKeyJson, clientId + clientSecret + refreshToken, accessToken, or (edge) username + password";

impl ApigeeParameters {
    pub fn mode(&self) -> Mode {
        self.mode.unwrap_or(Mode::Proxies)
    }

    /// The one way to authenticate (named by its first field), or the field that
    /// makes the choice wrong.
    fn way(&self) -> Result<&'static str, FieldError> {
        let oauth = [
            ("clientId", self.client_id.is_some()),
            ("clientSecret", self.client_secret.is_some()),
            ("refreshToken", self.refresh_token.is_some()),
        ];
        let edge = [
            ("username", self.username.is_some()),
            ("password", self.password.is_some()),
        ];
        let ways: Vec<&'static str> = [
            (
                "serviceAccountKeyJson",
                self.service_account_key_json.is_some(),
            ),
            ("clientId", oauth.iter().any(|(_, given)| *given)),
            ("accessToken", self.access_token.is_some()),
            ("username", edge.iter().any(|(_, given)| *given)),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect();
        let way = match ways.as_slice() {
            [] => {
                return Err(FieldError::param(
                    "serviceAccountKeyJson",
                    format!("one way to authenticate is required: {WAYS}"),
                ));
            }
            [way] => *way,
            [first, second, ..] => {
                return Err(FieldError::param(
                    second,
                    format!("give only one way to authenticate, not both {first} and {second}"),
                ));
            }
        };
        for group in [&oauth[..], &edge[..]] {
            if group.iter().any(|(_, given)| *given)
                && let Some((missing, _)) = group.iter().find(|(_, given)| !*given)
            {
                let all: Vec<&str> = group.iter().map(|(n, _)| *n).collect();
                return Err(FieldError::param(
                    missing,
                    format!("is required with {}", all.join(" + ")),
                ));
            }
        }
        match (self.mode(), way) {
            (Mode::Edge, "username" | "accessToken") => Ok(way),
            (Mode::Edge, _) => Err(FieldError::param(
                way,
                "edge mode takes username + password or accessToken",
            )),
            (_, "username") => Err(FieldError::param(
                "username",
                "username + password work only in edge mode",
            )),
            _ => Ok(way),
        }
    }

    /// How to authenticate, read from the parameters.
    pub fn auth(&self) -> Result<Auth, FieldError> {
        let way = self.way()?;
        let given = |s: &Option<Secret>, name: &str| {
            s.clone()
                .ok_or_else(|| FieldError::param(name, "is required"))
        };
        Ok(match way {
            "serviceAccountKeyJson" => Auth::ServiceAccount(self.service_account_key()?),
            "accessToken" => Auth::AccessToken(given(&self.access_token, "accessToken")?),
            "username" => Auth::Password {
                username: self.username.clone().unwrap_or_default(),
                password: given(&self.password, "password")?,
            },
            _ => Auth::RefreshToken {
                client_id: self.client_id.clone().unwrap_or_default(),
                client_secret: given(&self.client_secret, "clientSecret")?,
                refresh_token: given(&self.refresh_token, "refreshToken")?,
            },
        })
    }

    /// The service-account key, read and its shape checked when the importer is
    /// saved (a JSON key file with `client_email` and a PEM `private_key` whose
    /// body is base64); whether the key can sign RS256 is known at the first token
    /// request, which names it.
    fn service_account_key(&self) -> Result<ServiceAccountKey, FieldError> {
        let field = "serviceAccountKeyJson";
        let text = self
            .service_account_key_json
            .as_ref()
            .map(Secret::expose)
            .unwrap_or_default();
        let key: ServiceAccountKey = serde_json::from_str(text).map_err(|e| {
            // serde's message names a missing field; it never quotes the input.
            let why = e.to_string();
            let why = why.split(" at line").next().unwrap_or("invalid JSON");
            let why = if e.is_data() { why } else { "invalid JSON" };
            FieldError::param(field, format!("is not a service-account key file: {why}"))
        })?;
        if key.client_email.trim().is_empty() {
            return Err(FieldError::param(field, "has an empty client_email"));
        }
        let pem = key.private_key.trim();
        let body = pem
            .strip_prefix("-----BEGIN PRIVATE KEY-----")
            .or_else(|| pem.strip_prefix("-----BEGIN RSA PRIVATE KEY-----"))
            .and_then(|b| {
                b.strip_suffix("-----END PRIVATE KEY-----")
                    .or_else(|| b.strip_suffix("-----END RSA PRIVATE KEY-----"))
            });
        let base64_body = body.is_some_and(|b| {
            let joined: String = b.split_whitespace().collect();
            !joined.is_empty()
                && base64::Engine::decode(&base64::engine::general_purpose::STANDARD, joined)
                    .is_ok()
        });
        if !base64_body {
            return Err(FieldError::param(
                field,
                "has a private_key that is not a PEM private key",
            ));
        }
        if let Some(uri) = &key.token_uri {
            crate::params::check_http_url(field, uri).map_err(|_| {
                FieldError::param(field, "has a token_uri that is not an http(s) URL")
            })?;
        }
        Ok(key)
    }
}

impl Parameters for ApigeeParameters {
    const ALIASES: &'static [(&'static str, &'static str)] = &[("organizationId", "organization")];

    fn check(&self, _: &Environment) -> Result<(), FieldError> {
        match self.mode() {
            Mode::Proxies | Mode::Edge if self.organization.is_none() => {
                return Err(FieldError::param(
                    "organization",
                    format!("is required in {} mode", self.mode().as_str()),
                ));
            }
            Mode::Apihub => {
                for (name, missing) in [
                    ("projectId", self.project_id.is_none()),
                    ("location", self.location.is_none()),
                ] {
                    if missing {
                        return Err(FieldError::param(name, "is required in apihub mode"));
                    }
                }
            }
            _ => {}
        }
        // A kept (masked) key was checked when it was given.
        let kept = self
            .service_account_key_json
            .as_ref()
            .is_some_and(|k| k.expose() == MASK);
        if self.way()? == "serviceAccountKeyJson" && !kept {
            self.service_account_key()?;
        }
        for (name, url) in [
            ("managementUrl", &self.management_url),
            ("apihubUrl", &self.apihub_url),
            ("tokenUrl", &self.token_url),
        ] {
            if let Some(u) = url
                && crate::params::check_http_url(name, u)?.query().is_some()
            {
                return Err(FieldError::param(name, "must not have a query"));
            }
        }
        if let Some(envs) = &self.environments
            && (envs.is_empty() || envs.iter().any(|e| e.contains('/') || e.trim() != e))
        {
            return Err(FieldError::param(
                "environments",
                "must be environment names (no `/`, no spaces around them)",
            ));
        }
        if self
            .max_requests_per_second
            .is_some_and(|n| !(1..=100).contains(&n))
        {
            return Err(FieldError::param("maxRequestsPerSecond", "must be 1-100"));
        }
        Ok(())
    }

    fn schema_rules() -> Option<Value> {
        let mode_is = |m: &str| json!({"required": ["mode"], "properties": {"mode": {"const": m}}});
        let not_mode = |m: &str| json!({"not": mode_is(m)});
        let one_of_auth = json!({"oneOf": [
            {"required": ["serviceAccountKeyJson"]},
            {"required": ["clientId", "clientSecret", "refreshToken"]},
            {"required": ["accessToken"]},
            {"required": ["username", "password"]},
        ]});
        let absent = |names: &[&str]| json!({"not": {"anyOf": names.iter().map(|n| json!({"required": [n]})).collect::<Vec<_>>()}});
        Some(json!({"properties": {
            "environments": {"items": {"type": "string", "pattern": "^[^/\\s]+$"}},
        }, "allOf": [
            {"anyOf": [mode_is("apihub"), {"required": ["organization"]}, {"required": ["organizationId"]}]},
            {"anyOf": [not_mode("apihub"), {"required": ["projectId", "location"]}]},
            one_of_auth,
            {"anyOf": [mode_is("edge"), absent(&["username", "password"])]},
            {"anyOf": [not_mode("edge"), absent(&["serviceAccountKeyJson", "clientId", "clientSecret", "refreshToken"])]},
            {"dependentRequired": {
                "clientId": ["clientSecret", "refreshToken"], "clientSecret": ["clientId", "refreshToken"],
                "refreshToken": ["clientId", "clientSecret"], "username": ["password"], "password": ["username"],
            }},
        ]}))
    }

    fn example() -> Value {
        json!({"mode": "proxies", "organization": "my-org", "environments": ["prod"],
               "accessToken": "ya29.example-access-token"})
    }

    /// Each secret with the fields it goes with (they exclude each other).
    fn example_with_secret(secret: &str, value: &str) -> Value {
        let org = json!({"organization": "my-org"});
        let mut p = match secret {
            "serviceAccountKeyJson" => json!({"serviceAccountKeyJson": {
                "type": "service_account", "client_email": "importer@my-project.iam.gserviceaccount.com",
                "private_key_id": value,
                "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}}),
            "clientSecret" => {
                json!({"clientId": "client", "clientSecret": value, "refreshToken": "1//refresh"})
            }
            "refreshToken" => {
                json!({"clientId": "client", "clientSecret": "secret", "refreshToken": value})
            }
            "password" => json!({"mode": "edge", "username": "ops@example.com", "password": value}),
            _ => json!({secret: value}),
        };
        if let (Some(p), Some(o)) = (p.as_object_mut(), org.as_object()) {
            p.extend(o.clone());
        }
        p
    }
}
