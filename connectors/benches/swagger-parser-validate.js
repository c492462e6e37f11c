// Runs @apidevtools/swagger-parser's validate() on every file listed in argv[2] (one
// path per line) and prints a JSON line per file: {file, ok, error, ms}. Used by
// the normalize benchmark (connectors/benches/run.sh) as the reference validator.
const SwaggerParser = require("@apidevtools/swagger-parser");
const fs = require("fs");
const files = fs.readFileSync(process.argv[2], "utf8").split("\n").filter(Boolean);
(async () => {
  for (const file of files) {
    const t0 = process.hrtime.bigint();
    let ok = true;
    let error = null;
    try {
      await SwaggerParser.validate(file);
    } catch (e) {
      ok = false;
      error = String(e.message).slice(0, 500);
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    process.stdout.write(JSON.stringify({ file, ok, error, ms }) + "\n");
  }
})();
