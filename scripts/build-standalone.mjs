// `npm run build:standalone`: airlock as one file, dist/airlock.mjs, that runs with plain
// `node` (>= 20.18) and no node_modules: src/cli/main.ts and every dependency bundled by
// esbuild, the JSON Schemas' validators with it (src/generated/, made from them by
// scripts/build-validators.ts).
import { chmod, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "dist", "airlock.mjs");

// CommonJS dependencies (undici, ajv, …) call require() for Node built-ins; an ES module has
// none, so the bundle makes one first.
const banner = [
  'import { createRequire as __airlockCreateRequire } from "node:module";',
  "const require = __airlockCreateRequire(import.meta.url);",
].join("\n");

const result = await build({
  entryPoints: [join(root, "src", "cli", "main.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  banner: { js: banner },
  legalComments: "eof",
  logLevel: "warning",
  metafile: true,
});

await chmod(outfile, 0o755);
const inputs = Object.keys(result.metafile.inputs).length;
const { size } = await stat(outfile);
process.stdout.write(`wrote dist/airlock.mjs (${(size / 1024).toFixed(0)} KiB, ${inputs} modules bundled)\n`);
