//! The rules of each specification's JSON schema, as tables: which properties an
//! object has, which are required, and of what type. Objects whose rules depend on
//! their content (parameters by location, security schemes by type, schemas, path
//! items, responses) are [`Custom`] checks below.

use serde_json::{Map, Value};

use super::Ver;
use super::validate::{At, Checker};

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

const fn closed(
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

const STR: &Ty = &Ty::Str;
const ANY: &Ty = &Ty::Any;
const STRS: &Ty = &Ty::Strs;
const SCHEMA: Ty = Ty::Custom(Custom::Schema);
const SCHEMA_REF: &Ty = &SCHEMA;
const SEC_REQ: Ty = Ty::Map(STRS);
const SEC_REQS: Ty = Ty::Arr(&SEC_REQ);

// ---- shared by 3.0 and 3.1 ----
static CONTACT: Spec = closed(
    "Contact",
    &[("name", Ty::Str), ("url", Ty::Str), ("email", Ty::Str)],
    &[],
);
static EXTDOCS: Spec = closed(
    "ExternalDocumentation",
    &[("description", Ty::Str), ("url", Ty::Str)],
    &["url"],
);
static TAG: Spec = closed(
    "Tag",
    &[
        ("name", Ty::Str),
        ("description", Ty::Str),
        ("externalDocs", Ty::Obj(&EXTDOCS)),
    ],
    &["name"],
);
static SERVER_VAR: Spec = closed(
    "ServerVariable",
    &[
        ("enum", Ty::Strs),
        ("default", Ty::Str),
        ("description", Ty::Str),
    ],
    &["default"],
);
static SERVER_VAR_31: Spec = closed(
    "ServerVariable",
    &[
        ("enum", Ty::Strs),
        ("default", Ty::Str),
        ("descriptions", Ty::Str),
    ],
    &["default"],
);
static SERVER: Spec = closed(
    "Server",
    &[
        ("url", Ty::Str),
        ("description", Ty::Str),
        ("variables", Ty::Map(&Ty::Obj(&SERVER_VAR))),
    ],
    &["url"],
);
static SERVER_31: Spec = closed(
    "Server",
    &[
        ("url", Ty::Str),
        ("description", Ty::Str),
        ("variables", Ty::Map(&Ty::Obj(&SERVER_VAR_31))),
    ],
    &["url"],
);
static EXAMPLE_TY: Ty = Ty::Obj(&EXAMPLE);
static EXAMPLE: Spec = closed(
    "Example",
    &[
        ("summary", Ty::Str),
        ("description", Ty::Str),
        ("value", Ty::Any),
        ("externalValue", Ty::Str),
    ],
    &[],
);
static DISCRIMINATOR: Spec = Spec {
    name: "Discriminator",
    fields: &[("propertyName", Ty::Str), ("mapping", Ty::Map(STR))],
    required: &["propertyName"],
    extensions: true,
    open: true,
};
static XML: Spec = closed(
    "XML",
    &[
        ("name", Ty::Str),
        ("namespace", Ty::Str),
        ("prefix", Ty::Str),
        ("attribute", Ty::Bool),
        ("wrapped", Ty::Bool),
    ],
    &[],
);
static ENCODING: Spec = Spec {
    name: "Encoding",
    fields: &[
        ("contentType", Ty::Str),
        ("headers", Ty::Map(&Ty::Custom(Custom::Header))),
        (
            "style",
            Ty::Enum(&["form", "spaceDelimited", "pipeDelimited", "deepObject"]),
        ),
        ("explode", Ty::Bool),
        ("allowReserved", Ty::Bool),
    ],
    required: &[],
    extensions: false,
    open: false,
};
static ENCODING_31: Spec = closed("Encoding", ENCODING.fields, &[]);
static REQUEST_BODY: Spec = closed(
    "RequestBody",
    &[
        ("description", Ty::Str),
        ("content", Ty::Map(&Ty::Custom(Custom::MediaType))),
        ("required", Ty::Bool),
    ],
    &["content"],
);
static OAUTH_SCOPES: Ty = Ty::Map(STR);
static FLOW_IMPLICIT: Spec = closed(
    "ImplicitOAuthFlow",
    &[
        ("authorizationUrl", Ty::Str),
        ("refreshUrl", Ty::Str),
        ("scopes", OAUTH_SCOPES),
    ],
    &["authorizationUrl", "scopes"],
);
static FLOW_PASSWORD: Spec = closed(
    "PasswordOAuthFlow",
    &[
        ("tokenUrl", Ty::Str),
        ("refreshUrl", Ty::Str),
        ("scopes", OAUTH_SCOPES),
    ],
    &["tokenUrl"],
);
static FLOW_CLIENT: Spec = closed(
    "ClientCredentialsFlow",
    &[
        ("tokenUrl", Ty::Str),
        ("refreshUrl", Ty::Str),
        ("scopes", OAUTH_SCOPES),
    ],
    &["tokenUrl"],
);
static FLOW_CODE: Spec = closed(
    "AuthorizationCodeOAuthFlow",
    &[
        ("authorizationUrl", Ty::Str),
        ("tokenUrl", Ty::Str),
        ("refreshUrl", Ty::Str),
        ("scopes", OAUTH_SCOPES),
    ],
    &["authorizationUrl", "tokenUrl"],
);
static FLOWS: Spec = closed(
    "OAuthFlows",
    &[
        ("implicit", Ty::Obj(&FLOW_IMPLICIT)),
        ("password", Ty::Obj(&FLOW_PASSWORD)),
        ("clientCredentials", Ty::Obj(&FLOW_CLIENT)),
        ("authorizationCode", Ty::Obj(&FLOW_CODE)),
    ],
    &[],
);
static SS_APIKEY: Spec = closed(
    "APIKeySecurityScheme",
    &[
        ("type", Ty::Str),
        ("name", Ty::Str),
        ("in", Ty::Enum(&["header", "query", "cookie"])),
        ("description", Ty::Str),
    ],
    &["type", "name", "in"],
);
static SS_HTTP: Spec = closed(
    "HTTPSecurityScheme",
    &[
        ("type", Ty::Str),
        ("scheme", Ty::Str),
        ("bearerFormat", Ty::Str),
        ("description", Ty::Str),
    ],
    &["type", "scheme"],
);
static SS_OAUTH2: Spec = closed(
    "OAuth2SecurityScheme",
    &[
        ("type", Ty::Str),
        ("flows", Ty::Obj(&FLOWS)),
        ("description", Ty::Str),
    ],
    &["type", "flows"],
);
static SS_OIDC: Spec = closed(
    "OpenIdConnectSecurityScheme",
    &[
        ("type", Ty::Str),
        ("openIdConnectUrl", Ty::Str),
        ("description", Ty::Str),
    ],
    &["type", "openIdConnectUrl"],
);
static SS_MTLS: Spec = closed(
    "MutualTLSSecurityScheme",
    &[("type", Ty::Str), ("description", Ty::Str)],
    &["type"],
);

// ---- OpenAPI 3.0 ----
static INFO_30: Spec = closed(
    "Info",
    &[
        ("title", Ty::Str),
        ("description", Ty::Str),
        ("termsOfService", Ty::Str),
        ("contact", Ty::Obj(&CONTACT)),
        ("license", Ty::Custom(Custom::License)),
        ("version", Ty::Str),
    ],
    &["title", "version"],
);
pub(super) static LICENSE_30: Spec =
    closed("License", &[("name", Ty::Str), ("url", Ty::Str)], &["name"]);
static OPERATION_30: Spec = closed(
    "Operation",
    &[
        ("tags", Ty::Strs),
        ("summary", Ty::Str),
        ("description", Ty::Str),
        ("externalDocs", Ty::Obj(&EXTDOCS)),
        ("operationId", Ty::Str),
        ("parameters", Ty::Arr(&Ty::Custom(Custom::Parameter))),
        ("requestBody", Ty::Obj(&REQUEST_BODY)),
        ("responses", Ty::Custom(Custom::Responses)),
        ("callbacks", Ty::Map(&Ty::Custom(Custom::Callback))),
        ("deprecated", Ty::Bool),
        ("security", SEC_REQS),
        ("servers", Ty::Arr(&Ty::Obj(&SERVER))),
    ],
    &["responses"],
);
pub(super) static ROOT_30: Spec = closed(
    "OpenAPI",
    &[
        ("openapi", Ty::Str),
        ("info", Ty::Obj(&INFO_30)),
        ("externalDocs", Ty::Obj(&EXTDOCS)),
        ("servers", Ty::Arr(&Ty::Obj(&SERVER))),
        ("security", SEC_REQS),
        ("tags", Ty::Arr(&Ty::Obj(&TAG))),
        ("paths", Ty::Custom(Custom::Paths)),
        ("components", Ty::Custom(Custom::Components)),
    ],
    &["openapi", "info", "paths"],
);
static SCHEMA_30: Spec = closed(
    "Schema",
    &[
        ("title", Ty::Str),
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
        (
            "type",
            Ty::Enum(&["array", "boolean", "integer", "number", "object", "string"]),
        ),
        ("not", SCHEMA),
        ("allOf", Ty::Arr(SCHEMA_REF)),
        ("oneOf", Ty::Arr(SCHEMA_REF)),
        ("anyOf", Ty::Arr(SCHEMA_REF)),
        ("items", SCHEMA),
        ("properties", Ty::Map(SCHEMA_REF)),
        ("additionalProperties", Ty::Any),
        ("description", Ty::Str),
        ("format", Ty::Str),
        ("default", Ty::Any),
        ("nullable", Ty::Bool),
        ("discriminator", Ty::Obj(&DISCRIMINATOR)),
        ("readOnly", Ty::Bool),
        ("writeOnly", Ty::Bool),
        ("example", Ty::Any),
        ("externalDocs", Ty::Obj(&EXTDOCS)),
        ("deprecated", Ty::Bool),
        ("xml", Ty::Obj(&XML)),
    ],
    &[],
);

// ---- OpenAPI 3.1 ----
static INFO_31: Spec = closed(
    "Info",
    &[
        ("title", Ty::Str),
        ("summary", Ty::Str),
        ("description", Ty::Str),
        ("termsOfService", Ty::Str),
        ("contact", Ty::Obj(&CONTACT)),
        ("license", Ty::Custom(Custom::License)),
        ("version", Ty::Str),
    ],
    &["title", "version"],
);
pub(super) static LICENSE_31: Spec = closed(
    "License",
    &[("name", Ty::Str), ("identifier", Ty::Str), ("url", Ty::Str)],
    &["name"],
);
static OPERATION_31: Spec = closed("Operation", OPERATION_30.fields, &[]);
pub(super) static ROOT_31: Spec = closed(
    "OpenAPI",
    &[
        ("openapi", Ty::Str),
        ("info", Ty::Obj(&INFO_31)),
        ("jsonSchemaDialect", Ty::Str),
        ("servers", Ty::Arr(&Ty::Obj(&SERVER_31))),
        ("paths", Ty::Custom(Custom::Paths)),
        ("webhooks", Ty::Map(&Ty::Custom(Custom::PathItem))),
        ("components", Ty::Custom(Custom::Components)),
        ("security", SEC_REQS),
        ("tags", Ty::Arr(&Ty::Obj(&TAG))),
        ("externalDocs", Ty::Obj(&EXTDOCS)),
    ],
    &["openapi", "info"],
);

// ---- Swagger 2.0 ----
static INFO_2: Spec = closed(
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
static SCHEMES: Ty = Ty::Arr(&Ty::Enum(&["http", "https", "ws", "wss"]));
static OPERATION_2: Spec = closed(
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
pub(super) static ROOT_2: Spec = closed(
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
static SCHEMA_2: Spec = closed(
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
const PRIMITIVE: &[&str] = &["string", "number", "integer", "boolean", "array"];
/// Fields a non-body Swagger 2.0 parameter, header or `items` may have.
const SIMPLE_2: &[(&str, Ty)] = &[
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

/// Dispatch of the content-dependent objects.
pub(super) fn custom(c: &mut Checker<'_>, kind: Custom, at: &At<'_>, map: &Map<String, Value>) {
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

fn paths(c: &mut Checker<'_>, at: &At<'_>, map: &Map<String, Value>) {
    for (k, v) in map {
        if k.starts_with('/') {
            c.check(&at.key(k), v, Ty::Custom(Custom::PathItem));
        } else if !k.starts_with("x-") {
            c.error(&at.key(k), format!("path `{k}` must start with `/`"));
        }
    }
}

fn path_item(c: &mut Checker<'_>, at: &At<'_>, map: &Map<String, Value>) {
    for (k, v) in map {
        let here = at.key(k);
        match k.as_str() {
            "summary" | "description" if c.ver != Ver::V2 => c.check(&here, v, Ty::Str),
            "servers" if c.ver != Ver::V2 => {
                static S30: Ty = Ty::Obj(&SERVER);
                static S31: Ty = Ty::Obj(&SERVER_31);
                c.check(
                    &here,
                    v,
                    Ty::Arr(if c.ver == Ver::V31 { &S31 } else { &S30 }),
                );
            }
            "parameters" => c.check(&here, v, Ty::Arr(&Ty::Custom(Custom::Parameter))),
            "$ref" => c.check(&here, v, Ty::Str),
            m if c.is_method(m) => {
                let op = match c.ver {
                    Ver::V2 => &OPERATION_2,
                    Ver::V30 => &OPERATION_30,
                    Ver::V31 => &OPERATION_31,
                };
                c.check(&here, v, Ty::Obj(op));
            }
            x if x.starts_with("x-") => {}
            other => c.error(
                &here,
                format!(
                    "unknown property `{other}` in PathItem{}",
                    if other.chars().any(|ch| ch.is_ascii_uppercase()) {
                        " (HTTP methods must be lower case)"
                    } else {
                        ""
                    }
                ),
            ),
        }
    }
}

fn location(c: &mut Checker<'_>, at: &At<'_>, map: &Map<String, Value>) -> Option<String> {
    let allowed: &[&str] = if c.ver == Ver::V2 {
        &["body", "query", "header", "path", "formData"]
    } else {
        &["query", "header", "path", "cookie"]
    };
    match map.get("in").and_then(Value::as_str) {
        Some(l) if allowed.contains(&l) => Some(l.to_owned()),
        Some(l) => {
            c.error(
                &at.key("in"),
                format!(
                    "`{l}` is not a parameter location; expected one of: {}",
                    allowed.join(", ")
                ),
            );
            None
        }
        None => None,
    }
}

fn parameter(c: &mut Checker<'_>, at: &At<'_>, map: &Map<String, Value>) {
    if !map.contains_key("name") && c.ver != Ver::V31 {
        c.error(at, "Parameter must have the required property `name`");
    }
    if !map.contains_key("in") {
        c.error(at, "Parameter must have the required property `in`");
    }
    let loc = location(c, at, map);
    if loc.as_deref() == Some("path") && map.get("required") != Some(&Value::Bool(true)) {
        c.error(at, "path parameters must have `required: true`");
    }
    if c.ver == Ver::V2 {
        return parameter_2(c, at, map, loc.as_deref());
    }
    let styles: &[&str] = match loc.as_deref() {
        Some("path") => &["matrix", "label", "simple"],
        Some("query") => &["form", "spaceDelimited", "pipeDelimited", "deepObject"],
        Some("header") => &["simple"],
        _ => &["form"],
    };
    if let Some(style) = map.get("style")
        && loc.is_some()
        && !style.as_str().is_some_and(|s| styles.contains(&s))
    {
        c.error(
            &at.key("style"),
            format!("must be one of: {}", styles.join(", ")),
        );
    }
    serialized_value(c, at, map, &[("name", Ty::Str), ("in", Ty::Str)]);
}

/// What OpenAPI 3 parameters and headers share: schema XOR content, example XOR examples.
fn serialized_value(
    c: &mut Checker<'_>,
    at: &At<'_>,
    map: &Map<String, Value>,
    extra: &[(&str, Ty)],
) {
    let has = |k| map.contains_key(k);
    match (has("schema"), has("content")) {
        (true, true) => c.error(at, "must not have both `schema` and `content`"),
        (false, false) if c.ver != Ver::V31 || !extra.is_empty() => {
            c.error(at, "must have either `schema` or `content`")
        }
        (false, true) => {
            for k in ["style", "explode", "allowReserved", "example", "examples"] {
                if has(k) && c.ver == Ver::V30 {
                    c.error(at, format!("must not have `{k}` together with `content`"));
                }
            }
        }
        _ => {}
    }
    if has("example") && has("examples") {
        c.error(at, "must not have both `example` and `examples`");
    }
    if let Some(content) = map.get("content").and_then(Value::as_object)
        && content.len() != 1
    {
        c.error(&at.key("content"), "must have exactly one media type");
    }
    for (k, v) in map {
        let here = at.key(k);
        let ty = match k.as_str() {
            "description" | "style" => Ty::Str,
            "required" | "deprecated" | "allowEmptyValue" | "explode" | "allowReserved" => Ty::Bool,
            "schema" => SCHEMA,
            "content" => Ty::Map(&Ty::Custom(Custom::MediaType)),
            "example" => Ty::Any,
            "examples" => Ty::Map(&EXAMPLE_TY),
            x if x.starts_with("x-") => Ty::Any,
            other => match extra.iter().find(|(n, _)| *n == other) {
                Some((_, ty)) => *ty,
                None => {
                    c.error(&here, format!("unknown property `{other}`"));
                    continue;
                }
            },
        };
        c.check(&here, v, ty);
    }
}

fn parameter_2(c: &mut Checker<'_>, at: &At<'_>, map: &Map<String, Value>, loc: Option<&str>) {
    if loc == Some("body") {
        if !map.contains_key("schema") {
            c.error(at, "body parameters must have a `schema`");
        }
        static BODY: Spec = closed(
            "BodyParameter",
            &[
                ("name", Ty::Str),
                ("in", Ty::Str),
                ("description", Ty::Str),
                ("required", Ty::Bool),
                ("schema", SCHEMA),
            ],
            &[],
        );
        c.object(at, map, &BODY);
        return;
    }
    let types: &[&str] = if loc == Some("formData") {
        &["string", "number", "integer", "boolean", "array", "file"]
    } else {
        PRIMITIVE
    };
    simple_2(
        c,
        at,
        map,
        types,
        &[
            ("name", Ty::Str),
            ("in", Ty::Str),
            ("required", Ty::Bool),
            ("allowEmptyValue", Ty::Bool),
        ],
    );
}

/// Swagger 2.0 non-body parameters, headers and `items`: `type` required.
fn simple_2(
    c: &mut Checker<'_>,
    at: &At<'_>,
    map: &Map<String, Value>,
    types: &[&str],
    extra: &[(&str, Ty)],
) {
    match map.get("type").and_then(Value::as_str) {
        Some(t) if types.contains(&t) => {}
        Some(t) => c.error(
            &at.key("type"),
            format!("`{t}` is not one of: {}", types.join(", ")),
        ),
        None => c.error(at, "must have the required property `type`"),
    }
    for (k, v) in map {
        let here = at.key(k);
        if k == "type" || k.starts_with("x-") {
            continue;
        }
        if k == "items" {
            match v.as_object() {
                Some(items) => simple_2(c, &here, items, PRIMITIVE, &[]),
                None => c.error(&here, "must be an object"),
            }
            continue;
        }
        match SIMPLE_2.iter().chain(extra.iter()).find(|(n, _)| n == k) {
            Some((_, ty)) => c.check(&here, v, *ty),
            None => c.error(&here, format!("unknown property `{k}`")),
        }
    }
}

fn header(c: &mut Checker<'_>, at: &At<'_>, map: &Map<String, Value>) {
    if c.ver == Ver::V2 {
        return simple_2(c, at, map, PRIMITIVE, &[]);
    }
    if let Some(style) = map.get("style")
        && style.as_str() != Some("simple")
    {
        c.error(&at.key("style"), "must be `simple`");
    }
    serialized_value(c, at, map, &[]);
}

fn responses(c: &mut Checker<'_>, at: &At<'_>, map: &Map<String, Value>) {
    let ver = c.ver;
    let code_ok = |k: &str| -> bool {
        let b = k.as_bytes();
        match ver {
            Ver::V2 => b.len() == 3 && b.iter().all(u8::is_ascii_digit),
            Ver::V30 => {
                b.len() == 3
                    && (b'1'..=b'5').contains(&b[0])
                    && ((b[1].is_ascii_digit() && b[2].is_ascii_digit()) || &b[1..] == b"XX")
            }
            Ver::V31 => {
                b.len() == 3
                    && (b'1'..=b'5').contains(&b[0])
                    && b[1..].iter().all(|x| x.is_ascii_digit() || *x == b'X')
            }
        }
    };
    let mut codes = 0;
    for (k, v) in map {
        let here = at.key(k);
        if k == "default" || code_ok(k) {
            codes += 1;
            c.check(&here, v, Ty::Custom(Custom::Response));
        } else if !k.starts_with("x-") {
            c.error(
                &here,
                format!("`{k}` is not a response code (100-599, 1XX-5XX or `default`)"),
            );
        }
    }
    let min_one = match c.ver {
        Ver::V2 => codes == 0,
        Ver::V30 => map.is_empty(),
        Ver::V31 => false,
    };
    if min_one {
        c.error(at, "must declare at least one response");
    }
}

fn response(c: &mut Checker<'_>, at: &At<'_>, map: &Map<String, Value>) {
    static RESPONSE_2: Spec = closed(
        "Response",
        &[
            ("description", Ty::Str),
            ("schema", SCHEMA),
            ("headers", Ty::Map(&Ty::Custom(Custom::Header))),
            ("examples", Ty::Any),
        ],
        &["description"],
    );
    static RESPONSE_3: Spec = closed(
        "Response",
        &[
            ("description", Ty::Str),
            ("headers", Ty::Map(&Ty::Custom(Custom::Header))),
            ("content", Ty::Map(&Ty::Custom(Custom::MediaType))),
            ("links", Ty::Map(&Ty::Custom(Custom::Link))),
        ],
        &["description"],
    );
    c.object(
        at,
        map,
        if c.ver == Ver::V2 {
            &RESPONSE_2
        } else {
            &RESPONSE_3
        },
    );
}

fn media_type(c: &mut Checker<'_>, at: &At<'_>, map: &Map<String, Value>) {
    if map.contains_key("example") && map.contains_key("examples") {
        c.error(at, "must not have both `example` and `examples`");
    }
    let encoding = if c.ver == Ver::V31 {
        &ENCODING_31
    } else {
        &ENCODING
    };
    for (k, v) in map {
        let here = at.key(k);
        match k.as_str() {
            "schema" => c.check(&here, v, SCHEMA),
            "example" => {}
            "examples" => c.check(&here, v, Ty::Map(&EXAMPLE_TY)),
            "encoding" => match v.as_object() {
                Some(m) => {
                    for (ek, ev) in m {
                        c.check(&here.key(ek), ev, Ty::Obj(encoding));
                    }
                }
                None => c.error(&here, "must be an object"),
            },
            x if x.starts_with("x-") => {}
            other => c.error(&here, format!("unknown property `{other}` in MediaType")),
        }
    }
}

fn link(c: &mut Checker<'_>, at: &At<'_>, map: &Map<String, Value>) {
    static LINK: Spec = closed(
        "Link",
        &[
            ("operationId", Ty::Str),
            ("operationRef", Ty::Str),
            ("parameters", Ty::Map(ANY)),
            ("requestBody", Ty::Any),
            ("description", Ty::Str),
            ("server", Ty::Obj(&SERVER)),
        ],
        &[],
    );
    c.object(at, map, &LINK);
    let both = map.contains_key("operationId") && map.contains_key("operationRef");
    if both
        || (c.ver == Ver::V31
            && !map.contains_key("operationId")
            && !map.contains_key("operationRef"))
    {
        c.error(
            at,
            "Link must have exactly one of `operationId` and `operationRef`",
        );
    }
}

fn components(c: &mut Checker<'_>, at: &At<'_>, map: &Map<String, Value>) {
    let name_ok = |k: &str| {
        !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    };
    for (k, v) in map {
        let here = at.key(k);
        let ty = match k.as_str() {
            "schemas" => SCHEMA,
            "responses" => Ty::Custom(Custom::Response),
            "parameters" => Ty::Custom(Custom::Parameter),
            "examples" => Ty::Obj(&EXAMPLE),
            "requestBodies" => Ty::Obj(&REQUEST_BODY),
            "headers" => Ty::Custom(Custom::Header),
            "securitySchemes" => Ty::Custom(Custom::SecurityScheme),
            "links" => Ty::Custom(Custom::Link),
            "callbacks" => Ty::Custom(Custom::Callback),
            "pathItems" if c.ver == Ver::V31 => Ty::Custom(Custom::PathItem),
            x if x.starts_with("x-") => continue,
            other => {
                c.error(&here, format!("unknown property `{other}` in Components"));
                continue;
            }
        };
        let Some(entries) = v.as_object() else {
            c.error(&here, "must be an object");
            continue;
        };
        for (name, entry) in entries {
            // 3.0 only validates entries whose names match its pattern.
            if c.ver == Ver::V31 || name_ok(name) {
                c.check(&here.key(name), entry, ty);
            }
        }
    }
}

fn security_scheme(c: &mut Checker<'_>, at: &At<'_>, map: &Map<String, Value>) {
    let kind = map.get("type").and_then(Value::as_str).unwrap_or("");
    if c.ver == Ver::V2 {
        let spec: &Spec = match (kind, map.get("flow").and_then(Value::as_str)) {
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
            .and_then(Value::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("bearer"))
        && c.ver == Ver::V30
    {
        c.error(at, "`bearerFormat` is only allowed with scheme `bearer`");
    }
}

fn schema(c: &mut Checker<'_>, at: &At<'_>, map: &Map<String, Value>) {
    match c.ver {
        // The 3.1 schema dialect is JSON Schema 2020-12; swagger-parser does not check it.
        Ver::V31 => {}
        Ver::V30 => {
            c.object(at, map, &SCHEMA_30);
            if let Some(ap) = map.get("additionalProperties")
                && !ap.is_boolean()
            {
                c.check(&at.key("additionalProperties"), ap, SCHEMA);
            }
            if let Some(req) = map.get("required").and_then(Value::as_array)
                && req.is_empty()
            {
                c.error(&at.key("required"), "must not be empty");
            }
            if let Some(e) = map.get("enum").and_then(Value::as_array)
                && e.is_empty()
            {
                c.error(&at.key("enum"), "must not be empty");
            }
        }
        Ver::V2 => {
            c.object(at, map, &SCHEMA_2);
            if let Some(ap) = map.get("additionalProperties")
                && !ap.is_boolean()
            {
                c.check(&at.key("additionalProperties"), ap, SCHEMA);
            }
            match map.get("items") {
                Some(Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        c.check(&at.key("items").index(i), item, SCHEMA);
                    }
                }
                Some(item) => c.check(&at.key("items"), item, SCHEMA),
                None => {}
            }
            let simple = [
                "array", "boolean", "integer", "null", "number", "object", "string",
            ];
            match map.get("type") {
                None => {}
                Some(Value::String(t)) if simple.contains(&t.as_str()) => {}
                Some(Value::Array(ts))
                    if ts
                        .iter()
                        .all(|t| t.as_str().is_some_and(|t| simple.contains(&t))) => {}
                Some(_) => c.error(
                    &at.key("type"),
                    format!("must be one of: {}", simple.join(", ")),
                ),
            }
        }
    }
}

/// swagger-parser's extra Swagger 2.0 checks (`validateSpec`): unique operationIds,
/// path parameters that match the path template, at most one body parameter, valid
/// response codes, and required properties that exist.
pub(super) fn swagger2_semantics(root: &Value, report: &mut dyn FnMut(String, String)) {
    let Some(paths) = root.get("paths").and_then(Value::as_object) else {
        return;
    };
    let deref = |v: &Value| -> Value {
        match v
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| super::resolve(root, r))
        {
            Some(t) => t.clone(),
            None => v.clone(),
        }
    };
    let mut op_ids: std::collections::HashSet<String> = Default::default();
    for (path, item) in paths {
        if !path.starts_with('/') {
            continue;
        }
        let Some(item) = item.as_object() else {
            continue;
        };
        let path_params: Vec<Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(deref).collect())
            .unwrap_or_default();
        for method in ["get", "put", "post", "delete", "options", "head", "patch"] {
            let Some(op) = item.get(method).and_then(Value::as_object) else {
                continue;
            };
            let at = format!("/paths/{}/{method}", super::escape(path));
            if let Some(id) = op.get("operationId").and_then(Value::as_str)
                && !op_ids.insert(id.to_owned())
            {
                report(at.clone(), format!("duplicate operationId `{id}`"));
            }
            let op_params: Vec<Value> = op
                .get("parameters")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(deref).collect())
                .unwrap_or_default();
            let key = |p: &Value| {
                (
                    p.get("in").and_then(Value::as_str).unwrap_or("").to_owned(),
                    p.get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                )
            };
            for list in [&path_params, &op_params] {
                let mut seen = std::collections::HashSet::new();
                for p in list {
                    if !seen.insert(key(p)) {
                        let (l, n) = key(p);
                        report(at.clone(), format!("multiple {l} parameters named `{n}`"));
                    }
                }
            }
            let mut params = op_params.clone();
            for p in &path_params {
                if !params.iter().any(|q| key(q) == key(p)) {
                    params.push(p.clone());
                }
            }
            let count = |l: &str| {
                params
                    .iter()
                    .filter(|p| p.get("in").and_then(Value::as_str) == Some(l))
                    .count()
            };
            if count("body") > 1 {
                report(at.clone(), "more than one body parameter".into());
            } else if count("body") == 1 && count("formData") > 0 {
                report(at.clone(), "body and formData parameters together".into());
            }
            let mut placeholders: Vec<String> = path
                .split('{')
                .skip(1)
                .filter_map(|s| s.split_once('}').map(|(n, _)| n.to_owned()))
                .collect();
            for p in params
                .iter()
                .filter(|p| p.get("in").and_then(Value::as_str) == Some("path"))
            {
                let name = p.get("name").and_then(Value::as_str).unwrap_or("");
                match placeholders.iter().position(|x| x == name) {
                    Some(i) => {
                        placeholders.remove(i);
                    }
                    None => report(
                        at.clone(),
                        format!("path parameter `{name}` has no {{{name}}} in the path"),
                    ),
                }
            }
            if !placeholders.is_empty() {
                report(
                    at.clone(),
                    format!("missing path parameter(s) for {}", placeholders.join(", ")),
                );
            }
            for p in &params {
                let is_array = p.get("type").and_then(Value::as_str) == Some("array");
                if is_array
                    && p.get("in").and_then(Value::as_str) != Some("body")
                    && p.get("items").is_none()
                {
                    report(at.clone(), "an array parameter must have `items`".into());
                }
                if p.get("type").and_then(Value::as_str) == Some("file") {
                    let consumes = op
                        .get("consumes")
                        .or_else(|| root.get("consumes"))
                        .and_then(Value::as_array);
                    let ok = consumes
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .any(|m| m.contains("form-data") || m.contains("x-www-form-urlencoded"));
                    if !ok {
                        report(at.clone(), "a file parameter needs `consumes` multipart/form-data or application/x-www-form-urlencoded".into());
                    }
                }
            }
            if let Some(responses) = op.get("responses").and_then(Value::as_object) {
                for code in responses.keys() {
                    if code != "default"
                        && !code.starts_with("x-")
                        && !code.parse::<u16>().is_ok_and(|n| (100..=599).contains(&n))
                    {
                        report(at.clone(), format!("invalid response code `{code}`"));
                    }
                }
            }
        }
    }
    for (name, def) in root
        .get("definitions")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        required_exist(
            root,
            def,
            &format!("/definitions/{}", super::escape(name)),
            report,
        );
    }
}

fn required_exist(root: &Value, schema: &Value, at: &str, report: &mut dyn FnMut(String, String)) {
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        return;
    }
    let Some(required) = schema.get("required").and_then(Value::as_array) else {
        return;
    };
    let mut props: Vec<String> = Vec::new();
    collect_props(root, schema, &mut props, 0);
    for r in required.iter().filter_map(Value::as_str) {
        if !props.iter().any(|p| p == r) {
            report(
                at.to_owned(),
                format!("property `{r}` is required but not defined"),
            );
        }
    }
}

fn collect_props(root: &Value, schema: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 16 {
        return;
    }
    let schema = match schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| super::resolve(root, r))
    {
        Some(t) => t,
        None => schema,
    };
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        out.extend(props.keys().cloned());
    }
    for parent in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect_props(root, parent, out, depth + 1);
    }
}
