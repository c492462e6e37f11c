// Counts the operations of RAML projects the way MuleSoft's own parser resolves
// them (npm raml-1-parser: includes, libraries and resource types expanded), for
// the normalizer's multi-file RAML test.
// Usage: node raml_counts.js <root.raml>...; NODE_PATH must hold raml-1-parser.
// Prints one JSON line per root: {"file": "<root>", "ops": <count>, "errors": <n>}.
const raml = require('raml-1-parser');

const count = (resources) => resources.reduce(
  (n, r) => n + r.methods().length + count(r.resources()), 0);

for (const file of process.argv.slice(2)) {
  let line;
  try {
    const api = raml.loadApiSync(file);
    const expanded = api.expand ? api.expand() : api;
    const errors = api.errors().filter((e) => !e.isWarning).length;
    line = { file, ops: count(expanded.resources()), errors };
  } catch (e) {
    line = { file, ops: -1, errors: 1, message: String(e && e.message) };
  }
  process.stdout.write(JSON.stringify(line) + '\n');
}
