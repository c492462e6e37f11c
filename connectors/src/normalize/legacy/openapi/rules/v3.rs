//! The tables of OpenAPI 3.0 and 3.1 (what both share first).

use super::{ANY, Custom, SCHEMA, SCHEMA_REF, SEC_REQS, STR, Spec, Ty, closed};

// ---- shared by 3.0 and 3.1 ----
pub(super) static CONTACT: Spec = closed(
    "Contact",
    &[("name", Ty::Str), ("url", Ty::Str), ("email", Ty::Str)],
    &[],
);
pub(super) static EXTDOCS: Spec = closed(
    "ExternalDocumentation",
    &[("description", Ty::Str), ("url", Ty::Str)],
    &["url"],
);
pub(super) static TAG: Spec = closed(
    "Tag",
    &[
        ("name", Ty::Str),
        ("description", Ty::Str),
        ("externalDocs", Ty::Obj(&EXTDOCS)),
    ],
    &["name"],
);
pub(super) static SERVER_VAR: Spec = closed(
    "ServerVariable",
    &[
        ("enum", Ty::Strs),
        ("default", Ty::Str),
        ("description", Ty::Str),
    ],
    &["default"],
);
pub(super) static SERVER_VAR_31: Spec = closed(
    "ServerVariable",
    &[
        ("enum", Ty::Strs),
        ("default", Ty::Str),
        ("descriptions", Ty::Str),
    ],
    &["default"],
);
pub(super) static SERVER: Spec = closed(
    "Server",
    &[
        ("url", Ty::Str),
        ("description", Ty::Str),
        ("variables", Ty::Map(&Ty::Obj(&SERVER_VAR))),
    ],
    &["url"],
);
pub(super) static SERVER_31: Spec = closed(
    "Server",
    &[
        ("url", Ty::Str),
        ("description", Ty::Str),
        ("variables", Ty::Map(&Ty::Obj(&SERVER_VAR_31))),
    ],
    &["url"],
);
pub(super) static EXAMPLE_TY: Ty = Ty::Obj(&EXAMPLE);
pub(super) static EXAMPLE: Spec = closed(
    "Example",
    &[
        ("summary", Ty::Str),
        ("description", Ty::Str),
        ("value", Ty::Any),
        ("externalValue", Ty::Str),
    ],
    &[],
);
pub(super) static DISCRIMINATOR: Spec = Spec {
    name: "Discriminator",
    fields: &[("propertyName", Ty::Str), ("mapping", Ty::Map(STR))],
    required: &["propertyName"],
    extensions: true,
    open: true,
};
pub(super) static XML: Spec = closed(
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
pub(super) static ENCODING: Spec = Spec {
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
pub(super) static ENCODING_31: Spec = closed("Encoding", ENCODING.fields, &[]);
pub(super) static REQUEST_BODY: Spec = closed(
    "RequestBody",
    &[
        ("description", Ty::Str),
        ("content", Ty::Map(&Ty::Custom(Custom::MediaType))),
        ("required", Ty::Bool),
    ],
    &["content"],
);
pub(super) static OAUTH_SCOPES: Ty = Ty::Map(STR);
pub(super) static FLOW_IMPLICIT: Spec = closed(
    "ImplicitOAuthFlow",
    &[
        ("authorizationUrl", Ty::Str),
        ("refreshUrl", Ty::Str),
        ("scopes", OAUTH_SCOPES),
    ],
    &["authorizationUrl", "scopes"],
);
pub(super) static FLOW_PASSWORD: Spec = closed(
    "PasswordOAuthFlow",
    &[
        ("tokenUrl", Ty::Str),
        ("refreshUrl", Ty::Str),
        ("scopes", OAUTH_SCOPES),
    ],
    &["tokenUrl"],
);
pub(super) static FLOW_CLIENT: Spec = closed(
    "ClientCredentialsFlow",
    &[
        ("tokenUrl", Ty::Str),
        ("refreshUrl", Ty::Str),
        ("scopes", OAUTH_SCOPES),
    ],
    &["tokenUrl"],
);
pub(super) static FLOW_CODE: Spec = closed(
    "AuthorizationCodeOAuthFlow",
    &[
        ("authorizationUrl", Ty::Str),
        ("tokenUrl", Ty::Str),
        ("refreshUrl", Ty::Str),
        ("scopes", OAUTH_SCOPES),
    ],
    &["authorizationUrl", "tokenUrl"],
);
pub(super) static FLOWS: Spec = closed(
    "OAuthFlows",
    &[
        ("implicit", Ty::Obj(&FLOW_IMPLICIT)),
        ("password", Ty::Obj(&FLOW_PASSWORD)),
        ("clientCredentials", Ty::Obj(&FLOW_CLIENT)),
        ("authorizationCode", Ty::Obj(&FLOW_CODE)),
    ],
    &[],
);
pub(super) static SS_APIKEY: Spec = closed(
    "APIKeySecurityScheme",
    &[
        ("type", Ty::Str),
        ("name", Ty::Str),
        ("in", Ty::Enum(&["header", "query", "cookie"])),
        ("description", Ty::Str),
    ],
    &["type", "name", "in"],
);
pub(super) static SS_HTTP: Spec = closed(
    "HTTPSecurityScheme",
    &[
        ("type", Ty::Str),
        ("scheme", Ty::Str),
        ("bearerFormat", Ty::Str),
        ("description", Ty::Str),
    ],
    &["type", "scheme"],
);
pub(super) static SS_OAUTH2: Spec = closed(
    "OAuth2SecurityScheme",
    &[
        ("type", Ty::Str),
        ("flows", Ty::Obj(&FLOWS)),
        ("description", Ty::Str),
    ],
    &["type", "flows"],
);
pub(super) static SS_OIDC: Spec = closed(
    "OpenIdConnectSecurityScheme",
    &[
        ("type", Ty::Str),
        ("openIdConnectUrl", Ty::Str),
        ("description", Ty::Str),
    ],
    &["type", "openIdConnectUrl"],
);
pub(super) static SS_MTLS: Spec = closed(
    "MutualTLSSecurityScheme",
    &[("type", Ty::Str), ("description", Ty::Str)],
    &["type"],
);

// ---- OpenAPI 3.0 ----
pub(super) static INFO_30: Spec = closed(
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
pub(super) static OPERATION_30: Spec = closed(
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
pub(in crate::normalize::legacy::openapi) static ROOT_30: Spec = closed(
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
pub(super) static SCHEMA_30: Spec = closed(
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
pub(super) static INFO_31: Spec = closed(
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
pub(super) static OPERATION_31: Spec = closed("Operation", OPERATION_30.fields, &[]);
pub(in crate::normalize::legacy::openapi) static ROOT_31: Spec = closed(
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
