// Turns real OpenAPI 3 documents into Kong declarative configuration with Kong's
// own converter (npm openapi-2-kong), for the Kong connector's round-trip test.
// Usage: node convert.js <APIs.guru api dir> <how many>; NODE_PATH must hold
// openapi-2-kong. Prints one JSON line per converted document:
//   {"file": "<relative path>", "spec": {...}, "config": {...declarative config...}}
// Documents the converter refuses (it supports only some security schemes) are
// skipped; one document per provider, in name order, so the selection is varied and
// the same every run.
const fs = require('fs');
const path = require('path');
const { generateFromString } = require('openapi-2-kong');

const [root, wanted] = [process.argv[2], Number(process.argv[3] || 25)];

(async () => {
  let done = 0;
  const dirs = fs.readdirSync(root)
    .filter((d) => fs.statSync(path.join(root, d)).isDirectory())
    .sort();
  for (const d of dirs) {
    const files = fs.readdirSync(path.join(root, d)).filter((f) => f.endsWith('.json')).sort();
    for (const f of files) {
      const text = fs.readFileSync(path.join(root, d, f), 'utf8');
      let spec;
      try { spec = JSON.parse(text); } catch (e) { continue; }
      if (typeof spec.openapi !== 'string' || !spec.openapi.startsWith('3.0')) continue;
      let config;
      try {
        const result = await generateFromString(text, 'kong-declarative-config');
        config = result.documents[0];
      } catch (e) {
        continue;
      }
      process.stdout.write(JSON.stringify({ file: `${d}/${f}`, spec, config }) + '\n');
      done += 1;
      if (done >= wanted) return;
      break;
    }
  }
})().catch((e) => { console.error(e); process.exit(1); });
