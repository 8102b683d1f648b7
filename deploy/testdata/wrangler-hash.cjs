// Computes Pages asset hashes with wrangler's own hashFile, taken from the
// wrangler bundle installed under the directory given as the first
// argument (an npm prefix holding node_modules/wrangler). Input on stdin:
// a JSON array of {"name": "dir/file.ext", "content": "<base64>"}. Output:
// a JSON array of {"name", "hash", "ext"} where ext is path.extname(name).
//
// The function is cut out of wrangler-dist/cli.js (src/pages/hash.ts in
// the workers-sdk sources) and run as is, with the bundle's module
// variables bound to node's fs and path and to the blake3-wasm package
// wrangler depends on, so the hashes are wrangler's, not a re-implementation.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");

const prefix = process.argv[2];
if (!prefix) {
	console.error("usage: node wrangler-hash.cjs NPM_PREFIX < inputs.json");
	process.exit(2);
}
const wranglerDir = path.join(prefix, "node_modules", "wrangler");
const cli = fs.readFileSync(path.join(wranglerDir, "wrangler-dist", "cli.js"), "utf8");
const m = cli.match(/hashFile = \/\* @__PURE__ \*\/ __name\(\((\w+)\) => \{([\s\S]*?)\n\s*\}, "hashFile"\)/);
if (!m) {
	console.error("hashFile not found in " + wranglerDir + "/wrangler-dist/cli.js");
	process.exit(1);
}
const [, param, body] = m;
const fsVar = (body.match(/(\w+)\.readFileSync/) || [])[1];
const pathVar = (body.match(/(\w+)\.extname/) || [])[1];
const blakeVar = (body.match(/(\w+)\.hash\(/) || [])[1];
if (!fsVar || !pathVar || !blakeVar) {
	console.error("hashFile's body is not the expected shape:\n" + body);
	process.exit(1);
}
const blake3 = require(require.resolve("blake3-wasm", { paths: [wranglerDir] }));
const hashFile = new Function(fsVar, pathVar, blakeVar, `return (${param}) => {${body}\n};`)(fs, path, blake3);

const inputs = JSON.parse(fs.readFileSync(0, "utf8"));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wrangler-hash-"));
try {
	const out = inputs.map(({ name, content }) => {
		const file = path.join(dir, name);
		fs.mkdirSync(path.dirname(file), { recursive: true });
		fs.writeFileSync(file, Buffer.from(content, "base64"));
		return { name, hash: hashFile(file), ext: path.extname(name) };
	});
	process.stdout.write(JSON.stringify(out, null, 1) + "\n");
} finally {
	fs.rmSync(dir, { recursive: true, force: true });
}
