//! A proxy bundle (the zip `?format=bundle` answers), read with the bounds of
//! [`crate::archive`]. Only what the document needs is unpacked: the proxy
//! descriptor (`apiproxy/<name>.xml`), the ProxyEndpoints
//! (`apiproxy/proxies/*.xml`) and OpenAPI files in `apiproxy/resources/oas/`.
//! Policies, JavaScript and JARs are never decompressed, but their declared sizes
//! count against the bound.

use std::collections::BTreeMap;

use crate::archive::{self, ArchiveError};

/// The files of a bundle the connector reads, by path below `apiproxy/`
/// (`proxies/default.xml`, `resources/oas/openapi.yaml`, `petstore.xml`).
#[derive(Debug, Default)]
pub struct Bundle {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Bundle {
    /// Files whose path below `apiproxy/` starts with `prefix`, in name order.
    pub fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a [u8])> {
        self.files
            .iter()
            .filter(move |(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

fn wanted(path: &str) -> bool {
    let depth = path.matches('/').count();
    (depth == 0 && path.ends_with(".xml"))
        || (path.starts_with("proxies/") && depth == 1 && path.ends_with(".xml"))
        || (path.starts_with("resources/oas/") && depth == 2)
}

/// The path below `apiproxy/` (bundles are rooted there; some tools add a
/// folder above it), when the connector reads that file.
fn below_apiproxy(raw: &str) -> Option<String> {
    let at = raw.find("apiproxy/")?;
    if at != 0 && !raw[..at].ends_with('/') {
        return None;
    }
    let below = &raw[at + "apiproxy/".len()..];
    wanted(below).then(|| below.to_owned())
}

/// Unpacks the files the connector needs from `zip`, reading at most
/// `max_bytes` of uncompressed content.
pub fn read(zip: &[u8], max_bytes: u64) -> Result<Bundle, ArchiveError> {
    Ok(Bundle {
        files: archive::read(zip, max_bytes, below_apiproxy)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::zip_of;

    #[test]
    fn only_the_files_a_document_needs_are_unpacked() {
        let z = zip_of(&[
            ("apiproxy/pets.xml", b"<APIProxy/>"),
            ("apiproxy/proxies/default.xml", b"<ProxyEndpoint/>"),
            ("apiproxy/policies/quota.xml", b"<Quota/>"),
            ("apiproxy/resources/oas/pets.yaml", b"openapi: 3.0.0"),
            ("apiproxy/resources/jsc/x.js", b"var x"),
            ("top/apiproxy/proxies/other.xml", b"<ProxyEndpoint/>"),
            ("notapiproxy/proxies/x.xml", b"<ProxyEndpoint/>"),
        ]);
        let b = read(&z, 1 << 20).expect("bundle");
        let names: Vec<&String> = b.files.keys().collect();
        assert_eq!(
            names,
            [
                "pets.xml",
                "proxies/default.xml",
                "proxies/other.xml",
                "resources/oas/pets.yaml"
            ]
        );
    }
}
