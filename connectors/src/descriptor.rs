//! One descriptor per connector: everything the daemon needs to know about an
//! importer type, in one place. Its typed parameter struct is the single source of
//! the parameter docs (its doc comments and `utoipa::ToSchema` derive become the
//! `<Type>Parameters` schema of `/openapi.json`), of which fields are secrets (the
//! daemon seals and masks exactly those), of which decide where credentials go, and
//! of the checks run at create and configure time.
//!
//! # Adding a connector
//! A module with a `Parameters` struct (`#[serde(deny_unknown_fields)]`, secrets
//! typed [`Secret`](crate::params::Secret)), a `build` function and a `DESCRIPTOR`
//! made with [`Descriptor::new`]; then one line in [`crate::registry::descriptor`].
//! The registry's tests check every descriptor against its schema.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::connector::Connector;
use crate::error::ConnectorError;
use crate::fields::FieldError;
use crate::importer_type::ImporterType;
use crate::registry::Environment;

/// A connector's typed parameters.
pub trait Parameters: DeserializeOwned + utoipa::ToSchema + Send + 'static {
    /// `(alias, field)` pairs of the struct's `#[serde(alias)]`es, documented as
    /// properties of their own (a request may use either, not both).
    const ALIASES: &'static [(&'static str, &'static str)] = &[];

    /// Rules across fields, or against the daemon's configuration, that serde does
    /// not express; the error names the field.
    fn check(&self, env: &Environment) -> Result<(), FieldError> {
        let _ = env;
        Ok(())
    }

    /// [`Parameters::check`]'s rules as JSON Schema (`allOf` entries, extra
    /// property constraints), merged into the documented schema.
    fn schema_rules() -> Option<Value> {
        None
    }

    /// Valid parameters, for the API document's example and the tests.
    fn example() -> Value;

    /// Valid parameters with the secret `secret` (own name or alias) set to
    /// `value`, for the tests that follow every secret; by default the example
    /// with that secret set and its alias (or canonical twin) left out. Types whose
    /// secrets exclude each other or have a shape (a key file) override it.
    fn example_with_secret(secret: &str, value: &str) -> Value {
        let mut params = Self::example();
        for (alias, field) in Self::ALIASES {
            let twin = match secret {
                s if s == *alias => field,
                s if s == *field => alias,
                _ => continue,
            };
            if let Some(p) = params.as_object_mut() {
                p.remove(*twin);
            }
        }
        params[secret] = Value::String(value.to_owned());
        params
    }
}

pub struct Descriptor {
    pub kind: ImporterType,
    /// Parameter names (own names and aliases) whose values are secrets.
    pub secrets: &'static [&'static str],
    /// Secrets the daemon generates when a create leaves them out, and returns in
    /// clear once, in the create response (an agent's registration token).
    pub generated: &'static [&'static str],
    /// Parameter names that decide where credentials are sent (URLs, hosts, the
    /// cloud); changing one makes the daemon ask for kept secrets again.
    pub destinations: &'static [&'static str],
    /// Bumped when the connector turns the same source into different documents,
    /// so revisions recorded by an older version no longer skip a download.
    pub output_version: u32,
    /// The name (`<Type>Parameters`) and JSON schema of the parameters.
    pub schema: fn() -> (String, Value),
    /// Checks parameters at create and configure time.
    pub validate: fn(&Value, &Environment) -> Result<(), FieldError>,
    /// Builds the connector for one run or check.
    pub build: BuildFn,
    /// `(alias, field)` pairs: a request may use either name, not both.
    pub aliases: &'static [(&'static str, &'static str)],
    /// Valid parameters (the API document's example).
    pub example: fn() -> Value,
    /// Valid parameters with one secret set to a given value.
    pub example_with_secret: fn(&str, &str) -> Value,
}

/// How a descriptor builds its connector from checked parameters.
pub type BuildFn = fn(&Value, &Environment) -> Result<Box<dyn Connector>, ConnectorError>;

impl Descriptor {
    /// The pieces for parameters `P` built by `build`.
    pub const fn new<P: Parameters>(
        kind: ImporterType,
        secrets: &'static [&'static str],
        destinations: &'static [&'static str],
        build: BuildFn,
    ) -> Descriptor {
        Descriptor {
            kind,
            secrets,
            generated: &[],
            destinations,
            output_version: 1,
            schema: schema_of::<P>,
            validate: validate_with::<P>,
            build,
            aliases: P::ALIASES,
            example: P::example,
            example_with_secret: P::example_with_secret,
        }
    }

    pub const fn generates(mut self, secrets: &'static [&'static str]) -> Descriptor {
        self.generated = secrets;
        self
    }

    pub const fn output_version(mut self, version: u32) -> Descriptor {
        self.output_version = version;
        self
    }

    pub fn is_secret(&self, key: &str) -> bool {
        self.secrets.iter().any(|s| s.eq_ignore_ascii_case(key))
    }

    pub fn is_destination(&self, key: &str) -> bool {
        self.destinations
            .iter()
            .any(|s| s.eq_ignore_ascii_case(key))
    }
}

/// Reads and checks parameters of type `P` (with the common ones).
pub fn read<P: Parameters>(value: &Value, env: &Environment) -> Result<P, FieldError> {
    crate::params::CommonParameters::of(value)?;
    let p: P = crate::params::parse(value)?;
    p.check(env)?;
    Ok(p)
}

/// [`read`], for a `build` function: a bad parameter fails the run as a config error.
pub fn read_for_build<P: Parameters>(
    value: &Value,
    env: &Environment,
) -> Result<P, ConnectorError> {
    read(value, env).map_err(|e| ConnectorError::config(e.to_string()))
}

fn validate_with<P: Parameters>(value: &Value, env: &Environment) -> Result<(), FieldError> {
    read::<P>(value, env).map(|_| ())
}

/// The documented schema of `P`: the derived one, plus the common parameters, the
/// aliases, the cross-field rules, unknown fields refused, and no `null` (a
/// parameter is given or left out).
fn schema_of<P: Parameters>() -> (String, Value) {
    let mut schema = serde_json::to_value(P::schema()).unwrap_or_default();
    // Self-contained: the types it refers to (`Secret`, enums) are written inline.
    let mut parts = Vec::new();
    P::schemas(&mut parts);
    let parts: std::collections::HashMap<String, Value> = parts
        .into_iter()
        .map(|(n, s)| (n, serde_json::to_value(s).unwrap_or_default()))
        .collect();
    inline_refs(&mut schema, &parts);
    let common =
        serde_json::to_value(<crate::params::CommonParameters as utoipa::PartialSchema>::schema())
            .unwrap_or_default();
    let Some(obj) = schema.as_object_mut() else {
        return (P::name().into_owned(), schema);
    };
    let props = obj
        .entry("properties")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Some(props) = props.as_object_mut() {
        if let Some(extra) = common.get("properties").and_then(Value::as_object) {
            props.extend(extra.clone());
        }
        for (alias, field) in P::ALIASES {
            if let Some(mut s) = props.get(*field).cloned() {
                s["description"] = Value::String(format!("Alias of `{field}`."));
                props.insert((*alias).to_owned(), s);
            }
        }
        for prop in props.values_mut() {
            not_null(prop);
        }
    }
    obj.insert("additionalProperties".into(), Value::Bool(false));
    let mut all_of: Vec<Value> = P::ALIASES
        .iter()
        .map(|(a, f)| serde_json::json!({"not": {"required": [a, f]}}))
        .collect();
    if let Some(rules) = P::schema_rules() {
        if let Some(list) = rules.get("allOf").and_then(Value::as_array) {
            all_of.extend(list.iter().cloned());
        }
        if let (Some(extra), Some(props)) = (
            rules.get("properties").and_then(Value::as_object),
            obj.get_mut("properties").and_then(Value::as_object_mut),
        ) {
            for (k, v) in extra {
                let names = std::iter::once(k.as_str())
                    .chain(P::ALIASES.iter().filter(|(_, f)| f == k).map(|(a, _)| *a));
                for name in names.collect::<Vec<_>>() {
                    if let (Some(target), Some(add)) = (
                        props.get_mut(name).and_then(Value::as_object_mut),
                        v.as_object(),
                    ) {
                        target.extend(add.clone());
                    }
                }
            }
        }
    }
    if !all_of.is_empty() {
        obj.insert("allOf".into(), Value::Array(all_of));
    }
    (P::name().into_owned(), schema)
}

/// Replaces `{"$ref": "#/components/schemas/X", ...}` with X's schema (keeping
/// the referring node's own keys, such as its description).
fn inline_refs(node: &mut Value, parts: &std::collections::HashMap<String, Value>) {
    match node {
        Value::Object(map) => {
            let target = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .and_then(|name| parts.get(name));
            if let Some(Value::Object(target)) = target.cloned() {
                map.remove("$ref");
                for (k, v) in target {
                    map.entry(k).or_insert(v);
                }
            }
            for v in map.values_mut() {
                inline_refs(v, parts);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| inline_refs(v, parts)),
        _ => {}
    }
}

/// `type: [string, null]` → `string`; `oneOf: [X, {type: null}]` → X.
fn not_null(prop: &mut Value) {
    if let Some(types) = prop.get_mut("type").and_then(Value::as_array_mut) {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            prop["type"] = types[0].clone();
        }
    }
    let single = prop
        .get("oneOf")
        .and_then(Value::as_array)
        .and_then(|alts| {
            let kept: Vec<&Value> = alts
                .iter()
                .filter(|a| a.get("type") != Some(&Value::from("null")))
                .collect();
            (kept.len() == 1 && kept.len() < alts.len()).then(|| kept[0].clone())
        });
    if let (Some(one), Some(obj)) = (single, prop.as_object_mut()) {
        obj.remove("oneOf");
        if let Some(inner) = one.as_object() {
            for (k, v) in inner {
                obj.entry(k.clone()).or_insert(v.clone());
            }
        }
    }
}
