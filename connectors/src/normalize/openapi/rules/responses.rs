//! Responses, media types, links and components.

use crate::normalize::doc::Obj;

use super::super::Ver;
use super::super::validate::{At, Checker};
use super::v3::*;
use super::*;

pub(super) fn responses(c: &mut Checker<'_>, at: &At<'_>, map: Obj<'_>) {
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

pub(super) fn response(c: &mut Checker<'_>, at: &At<'_>, map: Obj<'_>) {
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

pub(super) fn media_type(c: &mut Checker<'_>, at: &At<'_>, map: Obj<'_>) {
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
        match k {
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

pub(super) fn link(c: &mut Checker<'_>, at: &At<'_>, map: Obj<'_>) {
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

pub(super) fn components(c: &mut Checker<'_>, at: &At<'_>, map: Obj<'_>) {
    let name_ok = |k: &str| {
        !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    };
    for (k, v) in map {
        let here = at.key(k);
        let ty = match k {
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
