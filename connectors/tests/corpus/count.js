// Independent operation counts for the corpus test: a few lines of JavaScript over
// the parsed JSON, written apart from the Rust normalizer. Prints one JSON line per
// file: {"file", "operations", "webhooks"}.
//   node count.js <dir> > counts.jsonl
const fs = require("fs");
const path = require("path");
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function walk(dir, out) {
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".json")) out.push(p);
  }
  return out;
}

function resolve(root, ref) {
  if (!ref.startsWith("#")) return undefined;
  let node = root;
  for (const raw of ref.slice(1).split("/").slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (node === null || typeof node !== "object" || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

function count(root, section) {
  const items = root[section];
  if (!items || typeof items !== "object") return 0;
  let n = 0;
  for (const [key, value] of Object.entries(items)) {
    if (key.startsWith("x-")) continue;
    let item = value;
    for (let hops = 0; item && typeof item.$ref === "string" && hops < 16; hops++) item = resolve(root, item.$ref);
    if (!item || typeof item !== "object") continue;
    const isSwagger = root.swagger === "2.0";
    for (const k of Object.keys(item)) {
      const m = k.toLowerCase();
      if (METHODS.includes(m) && !(isSwagger && m === "trace")) n++;
    }
  }
  return n;
}

for (const file of walk(process.argv[2], [])) {
  const doc = JSON.parse(fs.readFileSync(file, "utf8"));
  const webhooks = String(doc.openapi || "").startsWith("3.1") ? count(doc, "webhooks") : 0;
  console.log(JSON.stringify({ file, operations: count(doc, "paths"), webhooks }));
}
