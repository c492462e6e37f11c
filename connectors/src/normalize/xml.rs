//! WSDL 1.1, WSDL 2.0 and WADL, read with roxmltree (no DTDs, so no entity
//! expansion; imported documents are not fetched).

use roxmltree::{Document, Node, ParsingOptions};

use super::canonical::xml_hash;
use super::names::derived;
use super::{Diagnostic, Extracted, Limits, NormalizeError, Operation};
use crate::normalize::DefinitionFormat;

const WSDL11: &str = "http://schemas.xmlsoap.org/wsdl/";
const WSDL20: &str = "http://www.w3.org/ns/wsdl";
const WADL: &[&str] = &[
    "http://wadl.dev.java.net/2009/02",
    "http://research.sun.com/wadl/2006/10",
];
const SOAP_ADDRESS_NS: &[&str] = &[
    "http://schemas.xmlsoap.org/wsdl/soap/",
    "http://schemas.xmlsoap.org/wsdl/soap12/",
    "http://schemas.xmlsoap.org/wsdl/http/",
];

pub(super) fn extract(text: &str, limits: &Limits) -> Result<Extracted, NormalizeError> {
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: u32::try_from(text.len().saturating_mul(limits.max_expansion).max(10_000))
            .unwrap_or(u32::MAX),
        entity_resolver: None,
    };
    let doc = Document::parse_with_options(text, options)
        .map_err(|e| NormalizeError::syntax("XML", e.to_string()))?;
    check_depth(&doc, limits.max_depth)?;
    let root = doc.root_element();
    let ns = root.tag_name().namespace().unwrap_or("");
    match (root.tag_name().name(), ns) {
        ("definitions", WSDL11) => Ok(wsdl(&doc, "WSDL 1.1", "portType", WSDL11)),
        ("description", WSDL20) => Ok(wsdl(&doc, "WSDL 2.0", "interface", WSDL20)),
        ("application", ns) if WADL.contains(&ns) => Ok(wadl(&doc, ns)),
        (name, ns) => Err(NormalizeError::NotAnApi(format!(
            "XML document with root element <{name}>{} is neither WSDL nor WADL",
            if ns.is_empty() {
                String::new()
            } else {
                format!(" in namespace {ns}")
            }
        ))),
    }
}

fn check_depth(doc: &Document<'_>, max: usize) -> Result<(), NormalizeError> {
    // Nodes come in document order, so a parent's depth is known before its children's.
    let mut depth = vec![0usize; doc.descendants().count() + 1];
    for node in doc.descendants() {
        let d = node.parent().map_or(0, |p| {
            depth.get(p.id().get_usize()).copied().unwrap_or(0) + 1
        });
        if d > max {
            return Err(NormalizeError::syntax(
                "XML",
                format!("elements nested deeper than {max} levels"),
            ));
        }
        if let Some(slot) = depth.get_mut(node.id().get_usize()) {
            *slot = d;
        }
    }
    Ok(())
}

fn children<'a, 'i>(
    node: Node<'a, 'i>,
    ns: &'a str,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| {
        c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(ns)
    })
}

fn documentation(node: Node<'_, '_>, ns: &str) -> Option<String> {
    children(node, ns, "documentation").find_map(|d| {
        let text: String = d
            .descendants()
            .filter_map(|n| n.text())
            .collect::<Vec<_>>()
            .join(" ");
        let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
        (!t.is_empty()).then_some(t)
    })
}

fn wsdl(doc: &Document<'_>, version: &str, container: &str, ns: &str) -> Extracted {
    let root = doc.root_element();
    let mut operations = Vec::new();
    let mut diagnostics = Vec::new();
    for port_type in children(root, ns, container) {
        let pt = port_type.attribute("name").unwrap_or("");
        for op in children(port_type, ns, "operation") {
            let name = op.attribute("name").unwrap_or("").to_owned();
            operations.push(Operation {
                method: "SOAP".into(),
                endpoint: format!("/{pt}/{name}"),
                name,
            });
        }
    }
    if children(root, ns, "import").next().is_some()
        || children(root, ns, "include").next().is_some()
    {
        diagnostics.push(Diagnostic::warning(
            "import",
            "imported WSDL documents are not fetched; their operations are not counted",
        ));
    }
    let mut servers = Vec::new();
    for service in children(root, ns, "service") {
        let ports = children(service, ns, "port").chain(children(service, ns, "endpoint"));
        for port in ports {
            let address = port.attribute("address").map(str::to_owned).or_else(|| {
                port.children()
                    .find(|c| {
                        c.tag_name().name() == "address"
                            && c.tag_name()
                                .namespace()
                                .is_some_and(|n| SOAP_ADDRESS_NS.contains(&n))
                    })
                    .and_then(|a| a.attribute("location"))
                    .map(str::to_owned)
            });
            if let Some(a) = address
                && !servers.contains(&a)
            {
                servers.push(a);
            }
        }
    }
    let title = root
        .attribute("name")
        .or_else(|| {
            children(root, ns, "service")
                .next()
                .and_then(|s| s.attribute("name"))
        })
        .map(str::to_owned);
    Extracted {
        format: DefinitionFormat::Wsdl,
        spec_version: version.into(),
        title,
        version: None,
        description: documentation(root, ns),
        servers,
        operations,
        webhooks: Vec::new(),
        hash: xml_hash("wsdl", doc),
        diagnostics,
    }
}

fn wadl(doc: &Document<'_>, ns: &str) -> Extracted {
    let root = doc.root_element();
    let mut operations = Vec::new();
    let mut servers = Vec::new();
    for resources in children(root, ns, "resources") {
        if let Some(base) = resources.attribute("base") {
            servers.push(base.to_owned());
        }
        for resource in children(resources, ns, "resource") {
            wadl_resource(root, resource, ns, "", &mut operations, 0);
        }
    }
    let title = children(root, ns, "doc")
        .find_map(|d| d.attribute("title"))
        .map(str::to_owned);
    Extracted {
        format: DefinitionFormat::Wadl,
        spec_version: "WADL".into(),
        title,
        version: None,
        description: children(root, ns, "doc")
            .find_map(|d| d.text())
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty()),
        servers,
        operations,
        webhooks: Vec::new(),
        hash: xml_hash("wadl", doc),
        diagnostics: Vec::new(),
    }
}

fn join(prefix: &str, path: &str) -> String {
    let p = path.trim_matches('/');
    if p.is_empty() {
        if prefix.is_empty() {
            "/".into()
        } else {
            prefix.to_owned()
        }
    } else {
        format!("{}/{p}", prefix.trim_end_matches('/'))
    }
}

fn wadl_resource(
    root: Node<'_, '_>,
    resource: Node<'_, '_>,
    ns: &str,
    prefix: &str,
    ops: &mut Vec<Operation>,
    depth: usize,
) {
    let path = join(prefix, resource.attribute("path").unwrap_or(""));
    for method in children(resource, ns, "method") {
        // `<method href="#id"/>` points to a method declared at the top level.
        let declared = method
            .attribute("href")
            .and_then(|h| h.strip_prefix('#'))
            .and_then(|id| children(root, ns, "method").find(|m| m.attribute("id") == Some(id)))
            .unwrap_or(method);
        let verb = declared
            .attribute("name")
            .unwrap_or("GET")
            .to_ascii_uppercase();
        let name = declared
            .attribute("id")
            .map(str::to_owned)
            .unwrap_or_else(|| derived(&verb, &path));
        ops.push(Operation {
            method: verb,
            endpoint: path.clone(),
            name,
        });
    }
    if depth < 64 {
        for child in children(resource, ns, "resource") {
            wadl_resource(root, child, ns, &path, ops, depth + 1);
        }
    }
}
