// `npm run demo`: airlock's main job end to end on this machine, no internet needed.
// A local registry with token auth stands in for the internet (filled with the committed test
// images); a second, empty registry stands in for the air-gapped site. Every step runs the real
// CLI (dist/cli/main.js) the way a user would.
import { spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { airlockFlags } from "../test/harness/cli.js";
import { startSeededRegistry } from "../test/harness/fixtures.js";
import { startRegistry } from "../test/harness/registry.js";

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");

async function airlock(args: string[], cwd: string, extra: string[] = []): Promise<void> {
  console.log(`\n$ airlock ${args.join(" ")}`);
  const child = spawn(process.execPath, [CLI, ...args, ...extra], { stdio: "inherit", cwd });
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  if (code !== 0) throw new Error(`airlock ${args[0] ?? ""} exited ${code}`);
}

const { registry: upstream } = await startSeededRegistry("token");
const site = await startRegistry("plain");
try {
  const dir = await mkdtemp(join(tmpdir(), "airlock-demo-"));
  const auth = await airlockFlags(upstream);
  const u = upstream.host;
  await writeFile(
    join(dir, "airlock.yaml"),
    `# The images the site needs. ${u} plays the internet.
defaults:
  platforms: [linux/amd64, linux/arm64]
images:
  - ${u}/fixtures/multi-oci:v1
  - ${u}/fixtures/multi-docker:v1
  - ref: ${u}/fixtures/single-oci:v1
    platforms: [linux/amd64]
  - ref: ${u}/fixtures/tags
    semver: ">=1.1.0 <2"
    platforms: [linux/amd64]
`,
  );
  console.log(`upstream registry (token auth): ${u}; site registry (empty): ${site.host}; working in ${dir}`);
  await airlock(["validate"], dir);
  await airlock(["lock"], dir, auth);
  await airlock(["create-bundle", "-o", "bundles/demo.tar", "--cache", join(dir, "cache")], dir, auth);
  await airlock(["inspect-bundle", "bundles/demo.tar"], dir);
  await airlock(["verify-bundle", "bundles/demo.tar"], dir);
  await airlock(
    ["push-bundle", "bundles/demo.tar", "--to", `${site.host}/site`, "--journal", join(dir, "journal")],
    dir,
  );
  await airlock(["catalog", site.host], dir);
  await airlock(["digest", `${site.host}/site/fixtures/multi-oci:v1`], dir);
  await airlock(["digest", `${u}/fixtures/multi-oci:v1`], dir, auth);
  console.log("\nThe site registry holds every image with the digests it has upstream.");
} finally {
  await Promise.all([upstream.stop(), site.stop()]);
}
