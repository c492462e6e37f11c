//! The tables of Swagger 2.0.

use super::v3::{CONTACT, EXTDOCS, LICENSE_30, TAG, XML};
use super::{ANY, Custom, SCHEMA_REF, SEC_REQS, Spec, Ty, closed};

// ---- Swagger 2.0 ----
pub(super) static INFO_2: Spec = closed(
    "Info",
    &[
        ("title", Ty::Str),
        ("version", Ty::Str),
        ("description", Ty::Str),
        ("termsOfService", Ty::Str),
        ("contact", Ty::Obj(&CONTACT)),
        ("license", Ty::Obj(&LICENSE_30)),
    ],
    &["version", "title"],
);
pub(super) static SCHEMES: Ty = Ty::Arr(&Ty::Enum(&["http", "https", "ws", "wss"]));
pub(super) static OPERATION_2: Spec = closed(
    "Operation",
    &[
        ("tags", Ty::Strs),
        ("summary", Ty::Str),
        ("description", Ty::Str),
        ("externalDocs", Ty::Obj(&EXTDOCS)),
        ("operationId", Ty::Str),
        ("consumes", Ty::Strs),
        ("produces", Ty::Strs),
        ("parameters", Ty::Arr(&Ty::Custom(Custom::Parameter))),
        ("responses", Ty::Custom(Custom::Responses)),
        ("schemes", SCHEMES),
        ("deprecated", Ty::Bool),
        ("security", SEC_REQS),
    ],
    &["responses"],
);
pub(in crate::normalize::legacy::openapi) static ROOT_2: Spec = closed(
    "Swagger",
    &[
        ("swagger", Ty::Enum(&["2.0"])),
        ("info", Ty::Obj(&INFO_2)),
        ("host", Ty::Str),
        ("basePath", Ty::Str),
        ("schemes", SCHEMES),
        ("consumes", Ty::Strs),
        ("produces", Ty::Strs),
        ("paths", Ty::Custom(Custom::Paths)),
        ("definitions", Ty::Map(SCHEMA_REF)),
        ("parameters", Ty::Map(&Ty::Custom(Custom::Parameter))),
        ("responses", Ty::Map(&Ty::Custom(Custom::Response))),
        ("security", SEC_REQS),
        (
            "securityDefinitions",
            Ty::Map(&Ty::Custom(Custom::SecurityScheme)),
        ),
        ("tags", Ty::Arr(&Ty::Obj(&TAG))),
        ("externalDocs", Ty::Obj(&EXTDOCS)),
    ],
    &["swagger", "info", "paths"],
);
pub(super) static SCHEMA_2: Spec = closed(
    "Schema",
    &[
        ("format", Ty::Str),
        ("title", Ty::Str),
        ("description", Ty::Str),
        ("default", Ty::Any),
        ("multipleOf", Ty::Num),
        ("maximum", Ty::Num),
        ("exclusiveMaximum", Ty::Bool),
        ("minimum", Ty::Num),
        ("exclusiveMinimum", Ty::Bool),
        ("maxLength", Ty::Int),
        ("minLength", Ty::Int),
        ("pattern", Ty::Str),
        ("maxItems", Ty::Int),
        ("minItems", Ty::Int),
        ("uniqueItems", Ty::Bool),
        ("maxProperties", Ty::Int),
        ("minProperties", Ty::Int),
        ("required", Ty::Strs),
        ("enum", Ty::Arr(ANY)),
        ("additionalProperties", Ty::Any),
        ("type", Ty::Any),
        ("items", Ty::Any),
        ("allOf", Ty::Arr(SCHEMA_REF)),
        ("properties", Ty::Map(SCHEMA_REF)),
        ("discriminator", Ty::Str),
        ("readOnly", Ty::Bool),
        ("xml", Ty::Obj(&XML)),
        ("externalDocs", Ty::Obj(&EXTDOCS)),
        ("example", Ty::Any),
    ],
    &[],
);
pub(super) const PRIMITIVE: &[&str] = &["string", "number", "integer", "boolean", "array"];
/// Fields a non-body Swagger 2.0 parameter, header or `items` may have.
pub(super) const SIMPLE_2: &[(&str, Ty)] = &[
    ("format", Ty::Str),
    ("items", Ty::Any),
    (
        "collectionFormat",
        Ty::Enum(&["csv", "ssv", "tsv", "pipes", "multi"]),
    ),
    ("default", Ty::Any),
    ("maximum", Ty::Num),
    ("exclusiveMaximum", Ty::Bool),
    ("minimum", Ty::Num),
    ("exclusiveMinimum", Ty::Bool),
    ("maxLength", Ty::Int),
    ("minLength", Ty::Int),
    ("pattern", Ty::Str),
    ("maxItems", Ty::Int),
    ("minItems", Ty::Int),
    ("uniqueItems", Ty::Bool),
    ("enum", Ty::Arr(ANY)),
    ("multipleOf", Ty::Num),
    ("description", Ty::Str),
];
