//! Security schemes, whose fields depend on their `type`.

use crate::normalize::doc::{Doc, Obj};

use super::super::Ver;
use super::super::validate::{At, Checker};
use super::v3::*;
use super::*;

pub(super) fn security_scheme(c: &mut Checker<'_>, at: &At<'_>, map: Obj<'_>) {
    let kind = map.get("type").and_then(Doc::as_str).unwrap_or("");
    if c.ver == Ver::V2 {
        let spec: &Spec = match (kind, map.get("flow").and_then(Doc::as_str)) {
            ("basic", _) => {
                static B: Spec = closed(
                    "basicAuthenticationSecurity",
                    &[("type", Ty::Str), ("description", Ty::Str)],
                    &["type"],
                );
                &B
            }
            ("apiKey", _) => {
                static K: Spec = closed(
                    "apiKeySecurity",
                    &[
                        ("type", Ty::Str),
                        ("name", Ty::Str),
                        ("in", Ty::Enum(&["header", "query"])),
                        ("description", Ty::Str),
                    ],
                    &["type", "name", "in"],
                );
                &K
            }
            ("oauth2", Some("implicit")) => {
                static I: Spec = closed(
                    "oauth2ImplicitSecurity",
                    &[
                        ("type", Ty::Str),
                        ("flow", Ty::Str),
                        ("scopes", OAUTH_SCOPES),
                        ("authorizationUrl", Ty::Str),
                        ("description", Ty::Str),
                    ],
                    &["type", "flow", "authorizationUrl"],
                );
                &I
            }
            ("oauth2", Some("password" | "application")) => {
                static P: Spec = closed(
                    "oauth2PasswordSecurity",
                    &[
                        ("type", Ty::Str),
                        ("flow", Ty::Str),
                        ("scopes", OAUTH_SCOPES),
                        ("tokenUrl", Ty::Str),
                        ("description", Ty::Str),
                    ],
                    &["type", "flow", "tokenUrl"],
                );
                &P
            }
            ("oauth2", Some("accessCode")) => {
                static A: Spec = closed(
                    "oauth2AccessCodeSecurity",
                    &[
                        ("type", Ty::Str),
                        ("flow", Ty::Str),
                        ("scopes", OAUTH_SCOPES),
                        ("authorizationUrl", Ty::Str),
                        ("tokenUrl", Ty::Str),
                        ("description", Ty::Str),
                    ],
                    &["type", "flow", "authorizationUrl", "tokenUrl"],
                );
                &A
            }
            _ => {
                c.error(at, "security definition must have `type` basic, apiKey or oauth2 (with a valid `flow`)");
                return;
            }
        };
        return c.object(at, map, spec);
    }
    let spec = match kind {
        "apiKey" => &SS_APIKEY,
        "http" => &SS_HTTP,
        "oauth2" => &SS_OAUTH2,
        "openIdConnect" => &SS_OIDC,
        "mutualTLS" if c.ver == Ver::V31 => &SS_MTLS,
        other => {
            c.error(
                &at.key("type"),
                format!(
                    "`{other}` is not a security scheme type (apiKey, http, oauth2, openIdConnect)"
                ),
            );
            return;
        }
    };
    c.object(at, map, spec);
    if kind == "http"
        && map.contains_key("bearerFormat")
        && !map
            .get("scheme")
            .and_then(Doc::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("bearer"))
        && c.ver == Ver::V30
    {
        c.error(at, "`bearerFormat` is only allowed with scheme `bearer`");
    }
}
