//! Structural validation of OpenAPI documents, following the official JSON schemas
//! that `@apidevtools/swagger-parser` validates against (Swagger 2.0, OpenAPI 3.0
//! 2019-04-02, OpenAPI 3.1 2021-04-15) and its extra Swagger 2.0 checks.
//!
//! swagger-parser dereferences before it validates, so a `$ref` is checked as the
//! object it points to (merged with the reference's sibling keys). We do the same
//! without copying: a reference is followed, and each target is checked once per
//! kind (memoized by address), which also breaks cycles. Formats (`uri`, `email`)
//! are not checked, as swagger-parser does not check them either. Reference targets
//! go on a work list instead of being checked recursively, so long chains of
//! references cost no stack.

use foldhash::{HashMap, HashSet, HashSetExt};

use super::super::doc::{Doc, Obj};
use super::rules::{self, Spec, Ty};
use super::{METHODS, Ver, escape, resolve};
use crate::normalize::Diagnostic;

/// Stop collecting after this many problems; the verdict is already "invalid".
const MAX_DIAGNOSTICS: usize = 25;

pub(super) fn validate<'a>(root: &'a Doc<'a>, ver: Ver) -> Vec<Diagnostic> {
    let mut c = Checker {
        root,
        ver,
        diags: Vec::new(),
        seen: HashSet::new(),
        merged: HashSet::new(),
        cyclic: Default::default(),
        resolved: Default::default(),
        refs: Default::default(),
        pending: Vec::new(),
    };
    let root_spec = match ver {
        Ver::V2 => &rules::ROOT_2,
        Ver::V30 => &rules::ROOT_30,
        Ver::V31 => &rules::ROOT_31,
    };
    c.check(&At::Pointer(""), root, Ty::Obj(root_spec));
    while let Some((at, target, ty)) = c.pending.pop() {
        if c.full() {
            break;
        }
        c.check(&At::Pointer(&at), target, ty);
    }
    if ver == Ver::V31 {
        let has = |k| root.get(k).is_some();
        if !has("paths") && !has("components") && !has("webhooks") {
            c.error(
                &At::Pointer(""),
                "must have at least one of `paths`, `components` or `webhooks`",
            );
        }
    }
    if ver == Ver::V2 {
        super::rules::swagger2_semantics(root, &mut |at, msg| c.error(&At::Pointer(&at), msg));
    }
    c.diags
}

pub(super) struct Checker<'a> {
    root: &'a Doc<'a>,
    pub(super) ver: Ver,
    diags: Vec<Diagnostic>,
    seen: HashSet<(usize, &'static str)>,
    merged: HashSet<(usize, &'static str)>,
    cyclic: HashMap<String, bool>,
    /// Local references already followed (most documents use each many times).
    resolved: HashMap<String, Option<&'a Doc<'a>>>,
    /// The local references inside each target `cyclic` has walked.
    refs: HashMap<usize, std::rc::Rc<[String]>>,
    /// Reference targets still to check: (location, target, as what).
    pending: Vec<(String, &'a Doc<'a>, Ty)>,
}

/// A location in the document, built on the stack as the walk descends and turned
/// into a JSON pointer only when a problem is reported.
#[derive(Clone, Copy)]
pub(super) enum At<'p> {
    /// A JSON pointer written out (the document root is `""`).
    Pointer(&'p str),
    Key(&'p At<'p>, &'p str),
    Index(&'p At<'p>, usize),
}

impl<'p> At<'p> {
    pub(super) fn key(&'p self, k: &'p str) -> At<'p> {
        At::Key(self, k)
    }

    pub(super) fn index(&'p self, i: usize) -> At<'p> {
        At::Index(self, i)
    }

    fn render(&self, out: &mut String) {
        match self {
            At::Pointer(p) => out.push_str(p.trim_start_matches('#')),
            At::Key(parent, k) => {
                parent.render(out);
                out.push('/');
                out.push_str(&escape(k));
            }
            At::Index(parent, i) => {
                parent.render(out);
                out.push('/');
                out.push_str(&i.to_string());
            }
        }
    }
}

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        self.render(&mut s);
        f.write_str(&s)
    }
}

fn type_name(v: &Doc<'_>) -> &'static str {
    match v {
        Doc::Null => "null",
        Doc::Bool(_) => "boolean",
        Doc::Num(_) => "number",
        Doc::Str(_) => "string",
        Doc::Arr(_) => "array",
        Doc::Obj(_) => "object",
    }
}

impl<'a> Checker<'a> {
    pub(super) fn full(&self) -> bool {
        self.diags.len() >= MAX_DIAGNOSTICS
    }

    pub(super) fn error(&mut self, at: &At<'_>, message: impl Into<String>) {
        if !self.full() {
            let at = at.to_string();
            self.diags.push(Diagnostic::error(
                if at.is_empty() { "/".to_owned() } else { at },
                message,
            ));
        }
    }

    /// Checks `v` at `at` as a `ty`.
    pub(super) fn check(&mut self, at: &At<'_>, v: &Doc<'_>, ty: Ty) {
        if self.full() {
            return;
        }
        match ty {
            Ty::Any => {}
            Ty::Str => self.expect(at, v, v.is_string(), "string"),
            Ty::Bool => self.expect(at, v, v.is_boolean(), "boolean"),
            Ty::Num => self.expect(at, v, v.is_number(), "number"),
            Ty::Int => self.expect(
                at,
                v,
                v.as_u64().is_some() || v.as_f64().is_some_and(|f| f >= 0.0 && f.fract() == 0.0),
                "non-negative integer",
            ),
            Ty::Enum(values) => match v.as_str() {
                Some(s) if values.contains(&s) => {}
                _ => self.error(at, format!("must be one of: {}", values.join(", "))),
            },
            Ty::Strs => match v.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.check(&at.index(i), item, Ty::Str);
                    }
                }
                None => self.error(
                    at,
                    format!("must be an array of strings, not {}", type_name(v)),
                ),
            },
            Ty::Arr(inner) => match v.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.check(&at.index(i), item, *inner);
                    }
                }
                None => self.error(at, format!("must be an array, not {}", type_name(v))),
            },
            Ty::Map(inner) => match v.as_object() {
                Some(map) => {
                    for (k, item) in map {
                        self.check(&at.key(k), item, *inner);
                    }
                }
                None => self.error(at, format!("must be an object, not {}", type_name(v))),
            },
            Ty::Obj(_) | Ty::Custom(_) => self.deref(at, v, ty),
        }
    }

    fn expect(&mut self, at: &At<'_>, v: &Doc<'_>, ok: bool, what: &str) {
        if !ok {
            self.error(at, format!("must be a {what}, not {}", type_name(v)));
        }
    }

    fn object_of(&mut self, at: &At<'_>, map: Obj<'_>, ty: Ty) {
        match ty {
            Ty::Obj(spec) => self.object(at, map, spec),
            Ty::Custom(kind) => rules::custom(self, kind, at, map),
            _ => {}
        }
    }

    /// Follows `$ref`s the way a dereferencing parser would, then checks the object.
    fn deref(&mut self, at: &At<'_>, v: &Doc<'_>, ty: Ty) {
        let kind = match ty {
            Ty::Obj(spec) => spec.name,
            Ty::Custom(c) => c.name(),
            _ => "",
        };
        let Some(map) = v.as_object() else {
            if !(self.ver == Ver::V31 && kind == "Schema" && v.is_boolean()) {
                self.error(at, format!("must be an object, not {}", type_name(v)));
            }
            return;
        };
        let Some(reference) = map.get("$ref") else {
            self.object_of(at, map, ty);
            return;
        };
        let Some(r) = reference.as_str() else {
            self.error(&at.key("$ref"), "must be a string");
            return;
        };
        if !r.starts_with('#') {
            return; // external: not fetched, so not checked
        }
        let Some(target) = self.resolve(r) else {
            self.error(at, format!("`$ref` `{r}` does not resolve"));
            return;
        };
        if map.len() > 1 && !self.cyclic(r, &at.to_string()) {
            // Siblings override the target's keys (json-schema-ref-parser's merge;
            // it leaves references into a cycle alone, and so do we).
            // Checked once per target and kind: recursive schemas often carry a
            // `description` next to a `$ref` to themselves.
            if !self.merged.insert((target as *const Doc as usize, kind)) {
                return;
            }
            let base = match target {
                Doc::Obj(t) if !t.contains_key("$ref") => *t,
                _ => Obj::sorted(&[]),
            };
            let merged = merge(base, map);
            self.object_of(at, Obj::sorted(&merged), ty);
            return;
        }
        // Each target is checked once per kind; this also ends reference cycles.
        if self.seen.insert((target as *const Doc as usize, kind)) {
            self.pending.push((r.to_owned(), target, ty));
        }
    }

    /// Whether following references from `reference`'s target leads back to it, or
    /// into the object that holds the reference (`location`): a dereferencing parser
    /// leaves such references in place.
    fn cyclic(&mut self, reference: &str, location: &str) -> bool {
        let key = format!("{reference} {location}");
        if let Some(known) = self.cyclic.get(&key) {
            return *known;
        }
        let below = format!("{location}/");
        let inside = |r: &str| {
            let p = super::percent_decode(r.trim_start_matches('#'));
            !location.is_empty() && (p == location || p.starts_with(&below))
        };
        let mut visited = HashSet::new();
        let mut stack = vec![reference.to_owned()];
        let mut found = false;
        while let Some(r) = stack.pop() {
            let Some(target) = self.resolve(&r) else {
                continue;
            };
            let refs = self.refs_in(target);
            for next in refs.iter() {
                if next == reference || inside(next) {
                    found = true;
                    break;
                }
                if visited.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
            if found || visited.len() > 10_000 {
                break;
            }
        }
        self.cyclic.insert(key, found);
        found
    }

    /// [`collect_refs`] of `target`, once per target.
    fn refs_in(&mut self, target: &'a Doc<'a>) -> std::rc::Rc<[String]> {
        let at = target as *const Doc as usize;
        if let Some(known) = self.refs.get(&at) {
            return known.clone();
        }
        let mut refs = Vec::new();
        collect_refs(target, &mut refs);
        let refs: std::rc::Rc<[String]> = refs.into();
        self.refs.insert(at, refs.clone());
        refs
    }

    /// [`resolve`], once per reference.
    fn resolve(&mut self, reference: &str) -> Option<&'a Doc<'a>> {
        if let Some(known) = self.resolved.get(reference) {
            return *known;
        }
        let target = resolve(self.root, reference);
        self.resolved.insert(reference.to_owned(), target);
        target
    }

    /// A closed object: required keys, known keys with their types, `x-` extensions.
    pub(super) fn object(&mut self, at: &At<'_>, map: Obj<'_>, spec: &'static Spec) {
        for req in spec.required {
            if !map.contains_key(req) {
                self.error(
                    at,
                    format!("{} must have the required property `{req}`", spec.name),
                );
            }
        }
        for (k, v) in map {
            match spec.fields.iter().find(|(name, _)| same(name, k)) {
                Some((_, ty)) => self.check(&at.key(k), v, *ty),
                None if spec.extensions && k.starts_with("x-") => {}
                None if spec.open => {}
                None => self.error(
                    &at.key(k),
                    format!("unknown property `{k}` in {}", spec.name),
                ),
            }
        }
    }

    pub(super) fn is_method(&self, k: &str) -> bool {
        METHODS.contains(&k) && !(self.ver == Ver::V2 && k == "trace")
    }
}

/// Key equality, the first byte and the length first (most of a table's names
/// differ there).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

/// `target`'s entries with `siblings`' over them, but for `$ref` (a dereferencing
/// parser's merge of a reference's siblings into what it points to).
fn merge<'a>(target: Obj<'a>, siblings: Obj<'a>) -> Vec<(&'a str, Doc<'a>)> {
    let (mut t, mut s) = (
        target.entries().iter().peekable(),
        siblings.entries().iter().peekable(),
    );
    let mut out = Vec::with_capacity(target.len() + siblings.len());
    loop {
        let next = match (t.peek(), s.peek()) {
            (Some(a), Some(b)) if a.0 < b.0 => t.next(),
            (Some(a), Some(b)) if a.0 == b.0 => {
                t.next();
                s.next()
            }
            (Some(_), Some(_)) | (None, Some(_)) => s.next(),
            (Some(_), None) => t.next(),
            (None, None) => break,
        };
        if let Some(&(k, v)) = next
            && k != "$ref"
        {
            out.push((k, v));
        }
    }
    out
}

/// Every local `$ref` string inside `v` (not following them).
fn collect_refs(v: &Doc<'_>, out: &mut Vec<String>) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Doc::Obj(m) => {
                if let Some(r) = m.get("$ref").and_then(Doc::as_str)
                    && r.starts_with('#')
                {
                    out.push(r.to_owned());
                }
                stack.extend(m.values());
            }
            Doc::Arr(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
}
