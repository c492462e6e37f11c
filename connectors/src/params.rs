//! Typed importer parameters: each connector declares one struct (serde with
//! `deny_unknown_fields` and the seed's aliases, doc comments that become the
//! parameter docs, `utoipa::ToSchema`), read by [`parse`] so every type reports a
//! bad parameter the same way, as a [`FieldError`] naming it.
//!
//! Secrets are typed [`Secret`]: their `Debug` shows nothing, and their schema says
//! `writeOnly` / `format: password`.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::fields::FieldError;

/// What responses show instead of a secret; sent back, it keeps the stored value.
pub const MASK: &str = "********";

/// Parameters every importer type takes besides its own.
pub const COMMON: &[&str] = &["maxConcurrentFetches"];

/// Default of `maxConcurrentFetches`: documents downloaded at once by one run.
pub const DEFAULT_CONCURRENT_FETCHES: usize = 4;

/// `maxConcurrentFetches`: how many documents one run downloads at once (1-32,
/// default 4), while the listing goes on.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommonParameters {
    /// Documents downloaded, normalized and written at once while the listing goes
    /// on (1-32, default 4). A run holds at most this many documents in memory.
    #[serde(default, deserialize_with = "whole_opt")]
    #[schema(minimum = 1, maximum = 32)]
    pub max_concurrent_fetches: Option<u32>,
}

impl CommonParameters {
    /// The common parameters of `value` (an importer's `parameters`), checked.
    pub fn of(value: &Value) -> Result<CommonParameters, FieldError> {
        let Value::Object(map) = value else {
            return Ok(CommonParameters {
                max_concurrent_fetches: None,
            });
        };
        let common: Map<String, Value> = map
            .iter()
            .filter(|(k, _)| COMMON.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let p: CommonParameters = parse_object(Value::Object(common))?;
        if let Some(n) = p.max_concurrent_fetches
            && !(1..=32).contains(&n)
        {
            return Err(FieldError::param("maxConcurrentFetches", "must be 1-32"));
        }
        Ok(p)
    }

    pub fn concurrent_fetches(&self) -> usize {
        self.max_concurrent_fetches
            .map_or(DEFAULT_CONCURRENT_FETCHES, |n| n as usize)
    }
}

/// Reads `value` (an importer's `parameters`; `null` or absent is `{}`) into `P`,
/// leaving out the [`COMMON`] parameters.
pub fn parse<P: DeserializeOwned>(value: &Value) -> Result<P, FieldError> {
    let map = match value {
        Value::Null => Map::new(),
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| !COMMON.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => return Err(FieldError::new("parameters", "must be an object")),
    };
    parse_object(Value::Object(map))
}

fn parse_object<P: DeserializeOwned>(value: Value) -> Result<P, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        FieldError::from_serde("parameters", &path, &e.inner().to_string())
    })
}

/// A secret parameter: sealed at rest by the daemon, masked in responses, never
/// shown by `Debug`. Read as a non-empty string (a JSON object, such as a Google
/// service-account key, is kept as its JSON text).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, to hand to the platform. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(********)")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) if s.trim().is_empty() => {
                Err(serde::de::Error::custom("must not be empty"))
            }
            Value::String(s) => Ok(Secret(s)),
            v @ Value::Object(_) => Ok(Secret(v.to_string())),
            _ => Err(serde::de::Error::custom("must be a string")),
        }
    }
}

impl utoipa::PartialSchema for Secret {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Password,
            )))
            .write_only(true)
            .min_length(Some(1))
            .description(Some(
                "A secret: stored encrypted, returned as `********`; sending `********` back keeps the stored value.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Secret {}

/// A whole number, also when written `70.0` (JSON has one number type, and JSON
/// Schema counts `70.0` as an integer).
pub fn whole<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = serde_json::Number::deserialize(d)?;
    if let Some(n) = v.as_u64() {
        return u32::try_from(n).map_err(|_| serde::de::Error::custom("is too large"));
    }
    match v.as_f64() {
        Some(f) if f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f) => Ok(f as u32),
        _ => Err(serde::de::Error::custom(format!(
            "must be a non-negative whole number, not {v}"
        ))),
    }
}

/// [`whole`] for an optional field.
pub fn whole_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "whole")] u32);
    Ok(Option::<W>::deserialize(d)?.map(|W(n)| n))
}

/// A non-empty string (trimmed by the caller where that matters).
pub fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(s) if s.trim().is_empty() => Err(serde::de::Error::custom("must not be empty")),
        other => Ok(other),
    }
}

/// A list of non-empty strings; a single string is read as a one-element list.
pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    let list = match Option::<OneOrMany>::deserialize(d)? {
        None => return Ok(None),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    };
    if let Some(i) = list.iter().position(|s| s.trim().is_empty()) {
        return Err(serde::de::Error::custom(format!(
            "item {i} must be a non-empty string"
        )));
    }
    Ok(Some(list))
}

/// Checks that `url` is an http(s) URL with a host; names `key` otherwise.
pub fn check_http_url(key: &str, url: &str) -> Result<url::Url, FieldError> {
    let parsed = url::Url::parse(url)
        .map_err(|e| FieldError::param(key, format!("`{url}` is not a URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(FieldError::param(key, "must be an http(s) URL with a host"));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct P {
        #[serde(alias = "clientSecret")]
        secret_access_key: Option<Secret>,
        #[serde(default, deserialize_with = "string_list")]
        regions: Option<Vec<String>>,
    }

    #[test]
    fn parse_names_the_field_and_skips_common_parameters() {
        let p: P =
            parse(&json!({"clientSecret": "s", "regions": "eu-west-1", "maxConcurrentFetches": 2}))
                .expect("valid");
        assert_eq!(p.regions, Some(vec!["eu-west-1".to_owned()]));
        assert_eq!(
            format!("{:?}", p.secret_access_key),
            "Some(Secret(********))"
        );
        let err = parse::<P>(&json!({"region": "x"})).expect_err("unknown");
        assert_eq!(err.field, "parameters.region");
        let err = parse::<P>(&json!({"regions": ["a", ""]})).expect_err("empty item");
        assert_eq!(err.field, "parameters.regions");
        let err = parse::<P>(&json!({"clientSecret": ""})).expect_err("empty secret");
        assert_eq!(err.field, "parameters.clientSecret");
        let err = parse::<P>(&json!([1])).expect_err("not an object");
        assert_eq!(err.field, "parameters");
        assert!(parse::<P>(&Value::Null).is_ok());
        let err = CommonParameters::of(&json!({"maxConcurrentFetches": 0})).expect_err("bounds");
        assert_eq!(err.field, "parameters.maxConcurrentFetches");
        assert_eq!(
            CommonParameters::of(&json!({}))
                .expect("default")
                .concurrent_fetches(),
            4
        );
    }
}
