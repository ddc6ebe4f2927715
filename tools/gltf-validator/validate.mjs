// Usage: node validate.mjs FILE.glb
// Prints the validator's issue counts and messages as JSON; exits 1 when there are errors or
// warnings (the project's exports must be clean), 2 when the file cannot be read.
import validator from 'gltf-validator';
import fs from 'node:fs';

const path = process.argv[2];
let bytes;
try {
  bytes = new Uint8Array(fs.readFileSync(path));
} catch (e) {
  console.error(`cannot read ${path}: ${e.message}`);
  process.exit(2);
}
const report = await validator.validateBytes(bytes, { maxIssues: 100 });
const { numErrors, numWarnings, numInfos, numHints, messages } = report.issues;
console.log(JSON.stringify({ numErrors, numWarnings, numInfos, numHints, messages }, null, 1));
process.exit(numErrors > 0 || numWarnings > 0 ? 1 : 0);
