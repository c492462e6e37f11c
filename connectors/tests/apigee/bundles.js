// Turns real OpenAPI 3 documents into Apigee proxy bundles with Apigee's own
// generator (npm openapi2apigee), for the Apigee connector's round-trip test.
// Usage: node bundles.js <APIs.guru api dir> <how many> <out dir>; NODE_PATH must
// hold openapi2apigee. Prints one JSON line per bundle:
//   {"file": "<relative path of the spec>", "proxy": "<proxy name>", "zip": "<bundle path>"}
// One document per provider, in name order (the same every run); documents the
// generator refuses are skipped.
const fs = require('fs');
const path = require('path');
const { generateApi } = require('openapi2apigee/lib/commands/generateApi/generateApi.js');

const [root, wanted, out] = [process.argv[2], Number(process.argv[3] || 25), process.argv[4]];

const generate = (name, source) => new Promise((resolve) => {
  // The generator logs what it does on stdout; keep stdout for the results.
  const log = console.log;
  console.log = () => {};
  try {
    generateApi(name, { source, destination: out }, (err) => {
      console.log = log;
      resolve(!err);
    });
  } catch (e) {
    console.log = log;
    resolve(false);
  }
});

(async () => {
  let done = 0;
  const dirs = fs.readdirSync(root)
    .filter((d) => fs.statSync(path.join(root, d)).isDirectory())
    .sort();
  for (const d of dirs) {
    const files = fs.readdirSync(path.join(root, d)).filter((f) => f.endsWith('.json')).sort();
    for (const f of files) {
      const source = path.join(root, d, f);
      let spec;
      try { spec = JSON.parse(fs.readFileSync(source, 'utf8')); } catch (e) { continue; }
      if (typeof spec.openapi !== 'string' || !spec.paths || Object.keys(spec.paths).length === 0) continue;
      const name = `p${String(done).padStart(2, '0')}`;
      if (!(await generate(name, source))) break;
      const zip = path.join(out, name, 'apiproxy.zip');
      if (!fs.existsSync(zip)) break;
      process.stdout.write(JSON.stringify({ file: `${d}/${f}`, proxy: name, zip }) + '\n');
      done += 1;
      break;
    }
    if (done >= wanted) return;
  }
})().catch((e) => { console.error(e); process.exit(1); });
