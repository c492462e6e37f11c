//! The rules of each specification's JSON schema, as tables: which properties an
//! object has, which are required, and of what type. Objects whose rules depend on
//! their content (parameters by location, security schemes by type, schemas, path
//! items, responses) are [`Custom`] checks.
//!
//! - [`v3`] and [`v2`]: the tables of OpenAPI 3.x and Swagger 2.0;
//! - [`paths`], [`responses`], [`security`], [`schema`]: the content-dependent checks;
//! - [`swagger2`]: swagger-parser's semantic checks of Swagger 2.0.

mod paths;
mod responses;
mod schema;
mod security;
mod swagger2;
mod v2;
mod v3;

pub(super) use swagger2::swagger2_semantics;
pub(super) use v2::ROOT_2;
pub(super) use v3::{ROOT_30, ROOT_31};

use crate::normalize::doc::Obj;

use super::Ver;
use super::validate::{At, Checker};
use paths::{header, parameter, path_item, paths};
use responses::{components, link, media_type, response, responses};
use schema::schema;
use security::security_scheme;
use v3::{LICENSE_30, LICENSE_31};

#[derive(Clone, Copy)]
pub(super) enum Ty {
    Any,
    Str,
    Bool,
    Num,
    Int,
    Enum(&'static [&'static str]),
    Strs,
    Arr(&'static Ty),
    Map(&'static Ty),
    Obj(&'static Spec),
    Custom(Custom),
}

pub(super) struct Spec {
    pub name: &'static str,
    pub fields: &'static [(&'static str, Ty)],
    pub required: &'static [&'static str],
    /// `x-` keys allowed.
    pub extensions: bool,
    /// Any other key allowed.
    pub open: bool,
}

pub(super) const fn closed(
    name: &'static str,
    fields: &'static [(&'static str, Ty)],
    required: &'static [&'static str],
) -> Spec {
    Spec {
        name,
        fields,
        required,
        extensions: true,
        open: false,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Custom {
    Paths,
    PathItem,
    Parameter,
    Header,
    Responses,
    Response,
    Callback,
    Components,
    SecurityScheme,
    Schema,
    MediaType,
    Link,
    License,
}

impl Custom {
    pub(super) fn name(self) -> &'static str {
        match self {
            Custom::Paths => "Paths",
            Custom::PathItem => "PathItem",
            Custom::Parameter => "Parameter",
            Custom::Header => "Header",
            Custom::Responses => "Responses",
            Custom::Response => "Response",
            Custom::Callback => "Callback",
            Custom::Components => "Components",
            Custom::SecurityScheme => "SecurityScheme",
            Custom::Schema => "Schema",
            Custom::MediaType => "MediaType",
            Custom::Link => "Link",
            Custom::License => "License",
        }
    }
}

pub(super) const STR: &Ty = &Ty::Str;
pub(super) const ANY: &Ty = &Ty::Any;
pub(super) const STRS: &Ty = &Ty::Strs;
pub(super) const SCHEMA: Ty = Ty::Custom(Custom::Schema);
pub(super) const SCHEMA_REF: &Ty = &SCHEMA;
pub(super) const SEC_REQ: Ty = Ty::Map(STRS);
pub(super) const SEC_REQS: Ty = Ty::Arr(&SEC_REQ);

/// Dispatch of the content-dependent objects.
pub(super) fn custom(c: &mut Checker<'_>, kind: Custom, at: &At<'_>, map: Obj<'_>) {
    match kind {
        Custom::Paths => paths(c, at, map),
        Custom::PathItem => path_item(c, at, map),
        Custom::Parameter => parameter(c, at, map),
        Custom::Header => header(c, at, map),
        Custom::Responses => responses(c, at, map),
        Custom::Response => response(c, at, map),
        Custom::Callback => {
            for (k, v) in map {
                if !k.starts_with("x-") {
                    c.check(&at.key(k), v, Ty::Custom(Custom::PathItem));
                }
            }
        }
        Custom::Components => components(c, at, map),
        Custom::SecurityScheme => security_scheme(c, at, map),
        Custom::Schema => schema(c, at, map),
        Custom::MediaType => media_type(c, at, map),
        Custom::Link => link(c, at, map),
        Custom::License => {
            let spec = if c.ver == Ver::V31 {
                &LICENSE_31
            } else {
                &LICENSE_30
            };
            c.object(at, map, spec);
            if c.ver == Ver::V31 && map.contains_key("identifier") && map.contains_key("url") {
                c.error(at, "License must not have both `identifier` and `url`");
            }
        }
    }
}
