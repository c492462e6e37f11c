//! Request extractors that answer bad input with the error envelope and name the
//! field at fault: JSON bodies (415 without a JSON content type, 413 over the size
//! limit, 400 for syntax, types, unknown fields and enum values) and query strings.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use apihub_connectors::FieldError;

use super::error::ApiError;

/// A JSON body, parsed with the path of any failing field.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers().get(header::CONTENT_TYPE)) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be JSON with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{')
            && !bytes.trim_ascii().is_empty()
        {
            return Err(ApiError::invalid("body", "must be a JSON object"));
        }
        parse_json(&bytes).map(ApiJson)
    }
}

fn is_json(ct: Option<&header::HeaderValue>) -> bool {
    let Some(ct) = ct.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Maps a body-read failure: over the limit is 413, anything else 400.
pub fn body_error(e: BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "request body is larger than this endpoint accepts",
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("cannot read body: {e}"),
        )
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("body is not valid JSON: {inner}"),
            );
        }
        field_error(&e.path().to_string(), &inner.to_string())
    })?;
    // `{"name": "a"} xyz` is not one JSON document; accepting it would hide a
    // client bug (or a smuggled second body).
    de.end().map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("body is not valid JSON: {e} (only whitespace may follow the object)"),
        )
    })?;
    Ok(value)
}

/// Names the field (serde reports missing and unknown fields at the parent's
/// path); the one mapping is [`FieldError::from_serde`].
fn field_error(path: &str, message: &str) -> ApiError {
    FieldError::from_serde("", path, message).into()
}

/// For `Option<Option<T>>` body fields: tells "absent" (outer `None`, with
/// `#[serde(default)]`) from "null" (`Some(None)`).
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// A query string, parsed with the name of any failing parameter.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let msg = e.inner().to_string();
                match field_error(&path, &msg) {
                    mut err if err.field.as_deref() == Some("body") => {
                        err.field = Some("query".into());
                        err.message = format!("query: {msg}");
                        err
                    }
                    err => err,
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Body {
        name: String,
        update_frequency: Option<Freq>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Freq {
        value: u32,
    }

    #[test]
    fn names_fields_in_errors() {
        let field = |body: &str| {
            parse_json::<Body>(body.as_bytes())
                .expect_err("must fail")
                .field
        };
        assert_eq!(field(r#"{}"#).as_deref(), Some("name"));
        assert_eq!(field(r#"{"name": 1}"#).as_deref(), Some("name"));
        assert_eq!(field(r#"{"name": "a", "nme": 1}"#).as_deref(), Some("nme"));
        assert_eq!(
            field(r#"{"name": "a", "updateFrequency": {"value": -1}}"#).as_deref(),
            Some("updateFrequency.value")
        );
        let e = parse_json::<Body>(b"{\"name\":").expect_err("must fail");
        assert_eq!(e.code, "malformed_json");
        let e = parse_json::<Body>(br#"{"name":"a"} xyz"#).expect_err("trailing junk");
        assert_eq!(e.code, "malformed_json");
        let e = parse_json::<Body>(br#"{"name":"a"}{"name":"b"}"#).expect_err("two objects");
        assert_eq!(e.code, "malformed_json");
        assert!(parse_json::<Body>(b"{\"name\":\"a\"}\n  ").is_ok());
    }
}
