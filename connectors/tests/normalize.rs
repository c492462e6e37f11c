//! The normalizer on fixtures of every format and version (exact operation counts,
//! empties, hashes) and on hostile input (bounded errors, never a panic).

use std::path::Path;

use apihub_connectors::DefinitionFormat;
use apihub_connectors::normalize::{
    Hints, Limits, NormalizeError, NormalizedDefinition, normalize,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/normalize")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn norm(name: &str) -> NormalizedDefinition {
    normalize(fixture(name), &Hints::default(), &Limits::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn endpoints(n: &NormalizedDefinition) -> Vec<String> {
    let mut v: Vec<String> = n
        .operations
        .iter()
        .map(|o| format!("{} {}", o.method, o.endpoint))
        .collect();
    v.sort();
    v
}

#[test]
fn every_format_and_version_counts_exactly() {
    use DefinitionFormat::*;
    let cases: &[(&str, DefinitionFormat, &str, usize)] = &[
        ("petstore-3.0.json", Openapi3, "3.0.3", 5),
        ("petstore-3.0.yaml", Openapi3, "3.0.3", 5),
        ("petstore-3.1.yaml", Openapi3, "3.1.0", 4),
        ("webhooks-only-3.1.json", Openapi3, "3.1.0", 0),
        ("empty-3.0.json", Openapi3, "3.0.0", 0),
        ("swagger-2.0.json", Openapi2, "2.0", 5),
        ("swagger-2.0.yaml", Openapi2, "2.0", 5),
        ("invalid-3.0.json", Openapi3, "3.0.1", 2),
        ("api-1.0.raml", Raml, "RAML 1.0", 7),
        ("api-0.8.raml", Raml, "RAML 0.8", 5),
        ("service-1.1.wsdl", Wsdl, "WSDL 1.1", 3),
        ("service-2.0.wsdl", Wsdl, "WSDL 2.0", 2),
        ("application.wadl", Wadl, "WADL", 5),
        ("schema.graphql", Graphql, "GraphQL SDL", 4),
        ("introspection.json", Graphql, "GraphQL introspection", 3),
        ("services.proto", Grpc, "proto3", 3),
        ("legacy.proto", Grpc, "proto2", 1),
        ("collection.postman.json", Genericapi, "Postman 2.1", 4),
        ("traffic.har", Genericapi, "HAR 1.2", 3),
    ];
    for (name, format, version, count) in cases {
        let n = norm(name);
        assert_eq!(
            (n.format, n.spec_version.as_str(), n.operations_count()),
            (*format, *version, *count),
            "{name}: {:?}",
            endpoints(&n)
        );
        assert_eq!(n.is_empty(), *count == 0, "{name}");
        assert_eq!(n.hash.len(), 64, "{name}");
        assert_eq!(n.original, fixture(name), "{name}: original bytes kept");
    }
}

#[test]
fn operations_carry_method_endpoint_and_name() {
    let n = norm("petstore-3.0.json");
    assert_eq!(
        endpoints(&n),
        [
            "DELETE /pets/{petId}",
            "GET /pets",
            "GET /pets/{petId}",
            "POST /pets",
            "PUT /pets/{petId}/photo"
        ]
    );
    let delete = n
        .operations
        .iter()
        .find(|o| o.method == "DELETE")
        .expect("delete");
    assert_eq!(
        delete.name, "deletepetspetid",
        "derived like the seed's getapiv1users"
    );
    assert!(
        n.operations.iter().any(|o| o.name == "uploadPhoto"),
        "$ref path item resolved"
    );
    assert_eq!(n.title.as_deref(), Some("Petstore"));
    assert_eq!(n.version.as_deref(), Some("1.0.0"));
    assert_eq!(n.description.as_deref(), Some("Pets."));
    assert_eq!(n.servers, ["https://api.pets.example.com/v1"]);
    assert!(n.valid(), "{:?}", n.diagnostics);

    let s = norm("swagger-2.0.json");
    assert_eq!(
        s.servers,
        [
            "https://users.example.com/api",
            "http://users.example.com/api"
        ]
    );
    assert!(s.valid(), "{:?}", s.diagnostics);

    let g = norm("schema.graphql");
    assert_eq!(
        endpoints(&g),
        [
            "MUTATION addBook",
            "QUERY authors",
            "QUERY book",
            "QUERY books"
        ]
    );
    let p = norm("services.proto");
    assert_eq!(
        endpoints(&p),
        [
            "POST /shop.v1.Catalog/GetItem",
            "POST /shop.v1.Catalog/ListItems",
            "POST /shop.v1.Orders/Place"
        ]
    );
    let w = norm("service-1.1.wsdl");
    assert_eq!(
        endpoints(&w),
        [
            "SOAP /AdminPort/Reset",
            "SOAP /QuotePort/GetHistory",
            "SOAP /QuotePort/GetQuote"
        ]
    );
    assert_eq!(w.servers, ["https://quotes.example.com/soap"]);
    assert_eq!(w.title.as_deref(), Some("StockQuote"));
    let wadl = norm("application.wadl");
    assert_eq!(
        endpoints(&wadl),
        [
            "DELETE /orders/{orderId}",
            "GET /health",
            "GET /orders",
            "GET /orders/{orderId}",
            "POST /orders"
        ]
    );
    assert!(
        wadl.operations.iter().any(|o| o.name == "cancel"),
        "href to a declared method"
    );
    let raml = norm("api-1.0.raml");
    assert_eq!(
        endpoints(&raml),
        [
            "DELETE /books/{bookId}",
            "GET /authors",
            "GET /books",
            "GET /books/{bookId}",
            "GET /books/{bookId}/chapters",
            "POST /books",
            "PUT /books/{bookId}"
        ]
    );
    assert_eq!(raml.servers, ["https://books.example.com/v2"]);
    let postman = norm("collection.postman.json");
    assert_eq!(
        endpoints(&postman),
        [
            "DELETE /todos/{id}",
            "GET /health",
            "GET /todos",
            "GET /todos/{id}"
        ]
    );
    let har = norm("traffic.har");
    assert_eq!(
        endpoints(&har),
        ["GET /v1/pets", "GET /v1/store/inventory", "POST /v1/pets"]
    );
    assert_eq!(har.servers, ["http://127.0.0.1:8099"]);
}

#[test]
fn openapi_31_counts_webhooks_separately_and_methods_case_insensitively() {
    let n = norm("petstore-3.1.yaml");
    assert_eq!(
        endpoints(&n),
        [
            "GET /pets",
            "GET /pets/{id}",
            "PATCH /pets/{id}",
            "POST /pets"
        ]
    );
    assert_eq!(n.webhooks.len(), 1);
    assert_eq!(n.webhooks[0].endpoint, "newPet");
    // `GET` counts, but the specification wants lower-case method keys.
    assert!(!n.valid());
    assert!(
        n.diagnostics
            .iter()
            .any(|d| d.message.contains("lower case")),
        "{:?}",
        n.diagnostics
    );

    let w = norm("webhooks-only-3.1.json");
    assert!(
        w.is_empty() && w.webhooks.len() == 2 && w.valid(),
        "{:?}",
        w.diagnostics
    );
}

#[test]
fn structural_problems_are_reported_but_the_definition_is_kept() {
    let n = norm("invalid-3.0.json");
    assert_eq!(n.operations_count(), 2);
    assert!(!n.valid());
    let text: Vec<String> = n.diagnostics.iter().map(ToString::to_string).collect();
    let has = |needle: &str| text.iter().any(|t| t.contains(needle));
    assert!(has("`responses`"), "{text:?}");
    assert!(has("required: true"), "{text:?}");
    assert!(has("must be one of"), "{text:?}");
    assert!(has("does not resolve"), "{text:?}");
}

#[test]
fn the_same_api_serialized_differently_hashes_the_same() {
    assert_eq!(
        norm("petstore-3.0.json").hash,
        norm("petstore-3.0.yaml").hash
    );
    assert_eq!(norm("swagger-2.0.json").hash, norm("swagger-2.0.yaml").hash);
    // Whitespace and key order in JSON.
    let v: serde_json::Value = serde_json::from_slice(&fixture("petstore-3.0.json")).expect("json");
    let compact = serde_json::to_vec(&v).expect("ser");
    let n = normalize(compact, &Hints::default(), &Limits::default()).expect("compact");
    assert_eq!(n.hash, norm("petstore-3.0.json").hash);
    // XML prefixes, comments and whitespace.
    let wsdl = String::from_utf8(fixture("service-1.1.wsdl")).expect("utf8");
    let reformatted = wsdl
        .replace("\n  ", "\n\n      ")
        .replace("<documentation>", "<!-- c --><documentation>");
    let n = normalize(
        reformatted.into_bytes(),
        &Hints::default(),
        &Limits::default(),
    )
    .expect("wsdl");
    assert_eq!(n.hash, norm("service-1.1.wsdl").hash);
    // GraphQL and protobuf comments and whitespace.
    let sdl = String::from_utf8(fixture("schema.graphql"))
        .expect("utf8")
        .replace("# Library schema\n", "")
        .replace("  ", "    ");
    assert_eq!(
        normalize(sdl.into_bytes(), &Hints::default(), &Limits::default())
            .expect("sdl")
            .hash,
        norm("schema.graphql").hash
    );
    let proto = String::from_utf8(fixture("services.proto"))
        .expect("utf8")
        .replace("// Two services.\n", "")
        .replace(" (", "(");
    assert_eq!(
        normalize(proto.into_bytes(), &Hints::default(), &Limits::default())
            .expect("proto")
            .hash,
        norm("services.proto").hash
    );
}

#[test]
fn changing_an_operation_changes_the_hash() {
    let base = norm("petstore-3.0.yaml");
    let text = String::from_utf8(fixture("petstore-3.0.yaml")).expect("utf8");
    for (from, to) in [
        ("    delete:\n", "    patch:\n"),
        ("operationId: listPets", "operationId: listAllPets"),
        (
            "\"204\": {description: deleted}",
            "\"200\": {description: deleted}",
        ),
    ] {
        assert!(text.contains(from), "{from}");
        let changed = normalize(
            text.replacen(from, to, 1).into_bytes(),
            &Hints::default(),
            &Limits::default(),
        )
        .expect("changed");
        assert_ne!(changed.hash, base.hash, "{from} -> {to}");
    }
    for (name, from, to) in [
        (
            "schema.graphql",
            "authors: [Author!]!",
            "writers: [Author!]!",
        ),
        ("services.proto", "rpc Place", "rpc Cancel"),
        ("service-1.1.wsdl", "GetHistory", "GetHistory2"),
        ("api-1.0.raml", "    put:", "    patch:"),
    ] {
        let text = String::from_utf8(fixture(name)).expect("utf8");
        assert!(text.contains(from), "{name}: {from}");
        let changed = normalize(
            text.replacen(from, to, 1).into_bytes(),
            &Hints::default(),
            &Limits::default(),
        )
        .expect(name);
        assert_ne!(changed.hash, norm(name).hash, "{name}");
    }
}

#[test]
fn declared_format_must_match_the_content() {
    let err = normalize(
        fixture("petstore-3.0.json"),
        &Hints::declared(DefinitionFormat::Openapi2),
        &Limits::default(),
    )
    .expect_err("mismatch");
    let msg = err.to_string();
    assert!(
        msg.contains("openapi2") && msg.contains("openapi3"),
        "{msg}"
    );
    let ok = normalize(
        fixture("schema.graphql"),
        &Hints::declared(DefinitionFormat::Graphql),
        &Limits::default(),
    )
    .expect("match");
    assert_eq!(ok.format, DefinitionFormat::Graphql);
    let err = normalize(
        fixture("schema.graphql"),
        &Hints::declared(DefinitionFormat::Wsdl),
        &Limits::default(),
    )
    .expect_err("mismatch");
    assert!(
        matches!(err, NormalizeError::FormatMismatch { .. }),
        "{err}"
    );
}

#[test]
fn hints_decide_when_the_content_does_not() {
    // GraphQL ignores commas, so this is valid SDL the sniffer cannot recognise.
    let sdl = b",type Query { a: Int b: Int }\n".to_vec();
    let by_name = Hints {
        file_name: Some("schema.graphqls".into()),
        ..Hints::default()
    };
    let n = normalize(sdl.clone(), &by_name, &Limits::default()).expect("graphql by file name");
    assert_eq!(
        (n.format, n.operations_count()),
        (DefinitionFormat::Graphql, 2)
    );
    let by_type = Hints {
        content_type: Some("application/graphql".into()),
        ..Hints::default()
    };
    assert_eq!(
        normalize(sdl.clone(), &by_type, &Limits::default())
            .expect("by content type")
            .format,
        DefinitionFormat::Graphql
    );
    assert!(
        normalize(sdl, &Hints::default(), &Limits::default()).is_err(),
        "without a hint it is not an API"
    );
    let plain = normalize(
        b"just: some\nyaml: here\n".to_vec(),
        &Hints::default(),
        &Limits::default(),
    )
    .expect_err("not an API");
    assert!(plain.to_string().contains("none of"), "{plain}");
}

fn rejects(input: Vec<u8>, limits: &Limits, needle: &str) {
    let started = std::time::Instant::now();
    let err =
        normalize(input, &Hints::default(), limits).expect_err("hostile input must be rejected");
    let msg = err.to_string();
    assert!(
        msg.to_lowercase().contains(needle),
        "expected `{needle}` in: {msg}"
    );
    // Not a timing assertion on speed, a guard against a hang: minutes, not seconds.
    assert!(started.elapsed().as_secs() < 120);
}

#[test]
fn hostile_inputs_fail_fast_with_clear_errors() {
    let limits = Limits::default();
    let laughs = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n\
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n\
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n\
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n\
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\nopenapi: 3.0.0\n";
    let err = normalize(laughs.as_bytes().to_vec(), &Hints::default(), &limits)
        .expect_err("billion laughs");
    let msg = err.to_string();
    assert!(
        msg.contains("expands") || msg.contains("repetition limit"),
        "{msg}"
    );

    let deep = 100_000;
    rejects(
        format!("{}{}", "[".repeat(deep), "]".repeat(deep)).into_bytes(),
        &limits,
        "nesting",
    );
    rejects(
        format!("{}1{}", "{\"a\":".repeat(deep), "}".repeat(deep)).into_bytes(),
        &limits,
        "nesting",
    );
    rejects(
        format!(
            "openapi: 3.0.0\nx: {}1{}",
            "[".repeat(deep),
            "]".repeat(deep)
        )
        .into_bytes(),
        &limits,
        "nesting",
    );
    rejects(
        format!(
            "{}{}",
            "<a xmlns=\"urn:x\">".repeat(deep),
            "</a>".repeat(deep)
        )
        .into_bytes(),
        &limits,
        "nested deeper",
    );
    rejects(
        format!("message A {{ {} }}", "message B { ".repeat(deep)).into_bytes(),
        &limits,
        "nested deeper",
    );
    rejects(
        format!(
            "type Query {{ a: {}Int{} }}",
            "[".repeat(deep),
            "]".repeat(deep)
        )
        .into_bytes(),
        &limits,
        "graphql",
    );

    let huge = vec![b' '; 200 * 1024 * 1024];
    rejects(huge, &limits, "over the limit");
    rejects(
        vec![0xff, 0xfe, 0x00, 0x9f, 0x80, 0x01, 0x02],
        &limits,
        "utf-8",
    );
    let garbage: Vec<u8> = (0..65_536u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert!(normalize(garbage, &Hints::default(), &limits).is_err());
    let json = fixture("petstore-3.0.json");
    rejects(
        json[..json.len() / 2].to_vec(),
        &limits,
        "json syntax error",
    );
    rejects(Vec::new(), &limits, "empty");
    rejects(
        b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>".to_vec(),
        &limits,
        "xml",
    );
    let small = Limits {
        max_input_bytes: 10,
        ..Limits::default()
    };
    rejects(fixture("petstore-3.0.json"), &small, "over the limit");
}

#[test]
fn raml_fragments_and_unknown_xml_are_not_apis() {
    let e = normalize(
        b"#%RAML 1.0 Library\ntypes: {}\n".to_vec(),
        &Hints::default(),
        &Limits::default(),
    )
    .expect_err("fragment");
    assert!(e.to_string().contains("fragment"), "{e}");
    let e = normalize(
        b"<rss version=\"2.0\"><channel/></rss>".to_vec(),
        &Hints::default(),
        &Limits::default(),
    )
    .expect_err("rss");
    assert!(e.to_string().contains("neither WSDL nor WADL"), "{e}");
    let e = normalize(
        b"{\"openapi\": \"4.0.0\"}".to_vec(),
        &Hints::default(),
        &Limits::default(),
    )
    .expect_err("v4");
    assert!(e.to_string().contains("4.0.0"), "{e}");
}
