//! Bearer tokens for platform calls: client credentials (form or JSON body), a
//! refresh token, a JWT bearer assertion signed RS256 with a Google service-account
//! key, or a token given as is. Each is cached until shortly before it expires, and
//! fetched anew once when the platform answers 401.
//!
//! Token requests go through the same [`Http`] as every other call (paced, retried,
//! size-capped, cancelled with the run). The `oauth2` crate was not used: its HTTP
//! integration pulls a second reqwest (0.12) and it cannot post a JSON token body,
//! which MuleSoft's own CLI does; the grants here are a few lines each on top of
//! `jsonwebtoken` for the signing.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Deserialize;
use tokio::sync::Mutex;

use super::Http;
use crate::error::ConnectorError;
use crate::params::Secret;
use tokio_util::sync::CancellationToken;

/// Tokens are refreshed this long before they expire.
const EARLY: Duration = Duration::from_secs(60);

#[async_trait]
pub trait TokenSource: Send + Sync {
    /// A bearer token; `refresh` asks for a new one (the last was refused).
    async fn token(
        &self,
        http: &Http,
        cancel: &CancellationToken,
        refresh: bool,
    ) -> Result<Secret, ConnectorError>;
}

/// A token given in the parameters; it cannot be refreshed.
pub struct Static(pub Secret);

#[async_trait]
impl TokenSource for Static {
    async fn token(
        &self,
        http: &Http,
        _: &CancellationToken,
        refresh: bool,
    ) -> Result<Secret, ConnectorError> {
        if refresh {
            return Err(ConnectorError::auth(format!(
                "{} refused the access token (401); give a new one",
                http.platform()
            )));
        }
        Ok(self.0.clone())
    }
}

/// How a grant sends its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    Form,
    Json,
}

/// The OAuth 2 grant a [`Cached`] source uses.
pub enum Grant {
    ClientCredentials {
        client_id: String,
        client_secret: Secret,
        scope: Option<String>,
        body: Body,
    },
    RefreshToken {
        client_id: String,
        client_secret: Secret,
        refresh_token: Secret,
    },
    /// RFC 7523 JWT bearer with a Google service-account key.
    JwtBearer {
        key: ServiceAccountKey,
        scope: String,
    },
    /// Resource-owner password (Apigee Edge's management token flow), with the
    /// client authenticated by HTTP Basic.
    Password {
        username: String,
        password: Secret,
        basic_client: (String, String),
    },
}

/// The parts of a Google service-account key file that sign a token request.
#[derive(Clone, Deserialize)]
pub struct ServiceAccountKey {
    pub client_email: String,
    pub private_key: String,
    #[serde(default)]
    pub token_uri: Option<String>,
}

impl std::fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("client_email", &self.client_email)
            .finish_non_exhaustive()
    }
}

/// A grant against a token endpoint, with the token cached.
pub struct Cached {
    pub token_url: String,
    pub grant: Grant,
    cache: Mutex<Option<(Secret, Option<Instant>)>>,
}

impl Cached {
    pub fn new(token_url: impl Into<String>, grant: Grant) -> Cached {
        Cached {
            token_url: token_url.into(),
            grant,
            cache: Mutex::new(None),
        }
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    /// Seconds; a number or a string. Absent: valid until refused.
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize, Default)]
struct TokenError {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

#[async_trait]
impl TokenSource for Cached {
    async fn token(
        &self,
        http: &Http,
        cancel: &CancellationToken,
        refresh: bool,
    ) -> Result<Secret, ConnectorError> {
        let mut cache = self.cache.lock().await;
        if !refresh
            && let Some((token, until)) = cache.as_ref()
            && until.is_none_or(|t| Instant::now() + EARLY < t)
        {
            return Ok(token.clone());
        }
        let (token, lifetime) = self.request(http, cancel).await?;
        *cache = Some((token.clone(), lifetime.map(|l| Instant::now() + l)));
        Ok(token)
    }
}

impl Cached {
    async fn request(
        &self,
        http: &Http,
        cancel: &CancellationToken,
    ) -> Result<(Secret, Option<Duration>), ConnectorError> {
        let fields = self.fields()?;
        let url = self.token_url.clone();
        let (json, basic) = match &self.grant {
            Grant::ClientCredentials {
                body: Body::Json, ..
            } => (true, None),
            Grant::Password { basic_client, .. } => (false, Some(basic_client.clone())),
            _ => (false, None),
        };
        let build = move |c: &reqwest::Client| {
            let req = c.post(&url).header("accept", "application/json");
            let req = match &basic {
                Some((id, secret)) => req.basic_auth(id, Some(secret)),
                None => req,
            };
            if json {
                let map: serde_json::Map<String, serde_json::Value> = fields
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.clone())))
                    .collect();
                req.json(&map)
            } else {
                req.form(&fields)
            }
        };
        let resp = http
            .send(cancel, "token request", &build)
            .await
            .map_err(|e| self.refused(http, e))?;
        let answer: TokenAnswer = http.json("token request", resp).await?;
        let lifetime = answer.expires_in.and_then(|v| match v {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        });
        Ok((
            Secret::new(answer.access_token),
            lifetime.map(Duration::from_secs),
        ))
    }

    fn fields(&self) -> Result<Vec<(&'static str, String)>, ConnectorError> {
        Ok(match &self.grant {
            Grant::ClientCredentials {
                client_id,
                client_secret,
                scope,
                ..
            } => {
                let mut f = vec![
                    ("grant_type", "client_credentials".to_owned()),
                    ("client_id", client_id.clone()),
                    ("client_secret", client_secret.expose().to_owned()),
                ];
                if let Some(s) = scope {
                    f.push(("scope", s.clone()));
                }
                f
            }
            Grant::RefreshToken {
                client_id,
                client_secret,
                refresh_token,
            } => vec![
                ("grant_type", "refresh_token".to_owned()),
                ("client_id", client_id.clone()),
                ("client_secret", client_secret.expose().to_owned()),
                ("refresh_token", refresh_token.expose().to_owned()),
            ],
            Grant::JwtBearer { key, scope } => vec![
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:jwt-bearer".to_owned(),
                ),
                ("assertion", jwt_assertion(key, scope, &self.token_url)?),
            ],
            Grant::Password {
                username, password, ..
            } => vec![
                ("grant_type", "password".to_owned()),
                ("username", username.clone()),
                ("password", password.expose().to_owned()),
            ],
        })
    }

    /// A refused token request names the endpoint and what the server said
    /// (`invalid_client (AADSTS7000215: …)`), never what was sent.
    fn refused(&self, http: &Http, e: ConnectorError) -> ConnectorError {
        let Some(status) = e.status else { return e };
        let said = e
            .detail
            .as_deref()
            .and_then(|body| serde_json::from_str::<TokenError>(body).ok())
            .unwrap_or_default();
        let detail = match (said.error, said.error_description) {
            (Some(code), Some(text)) => format!(" {code} ({text})"),
            (Some(code), None) => format!(" {code}"),
            (None, Some(text)) => format!(" ({text})"),
            (None, None) => String::new(),
        };
        let endpoint = url::Url::parse(&self.token_url)
            .map(|u| format!("{}{}", u.origin().ascii_serialization(), u.path()))
            .unwrap_or_else(|_| "the token endpoint".into());
        let text = format!(
            "{} token request to {endpoint} failed: {status}{detail}",
            http.platform()
        );
        let kind = if matches!(status, 400 | 401 | 403) {
            ConnectorError::auth(text)
        } else {
            ConnectorError::transient(text)
        };
        kind.with_status(status)
    }
}

/// A signed RS256 assertion for Google's token endpoint (valid one hour).
fn jwt_assertion(
    key: &ServiceAccountKey,
    scope: &str,
    audience: &str,
) -> Result<String, ConnectorError> {
    #[derive(serde::Serialize)]
    struct Claims<'a> {
        iss: &'a str,
        scope: &'a str,
        aud: &'a str,
        iat: i64,
        exp: i64,
    }
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        iss: &key.client_email,
        scope,
        aud: audience,
        iat: now,
        exp: now + 3600,
    };
    let signing =
        jsonwebtoken::EncodingKey::from_rsa_pem(key.private_key.as_bytes()).map_err(|e| {
            ConnectorError::config(format!(
                "the service-account key's private_key is not an RSA PEM key ({e})"
            ))
        })?;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &signing,
    )
    .map_err(|e| ConnectorError::config(format!("cannot sign the token request ({e})")))
}
