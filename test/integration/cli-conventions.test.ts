import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { airlockFlags, runAirlock, type CliResult } from "../harness/cli.js";
import { startSeededRegistry } from "../harness/fixtures.js";
import type { TestRegistry } from "../harness/registry.js";

/** The one JSON object an error with --json leaves on stderr. */
function errorObject(res: CliResult): { code: string; message: string; exitCode: number } {
  const lines = res.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, res.stderr);
  const error = JSON.parse(lines[0] ?? "") as { code: string; message: string; exitCode: number };
  assert.deepEqual(Object.keys(error).sort(), ["code", "exitCode", "message"]);
  assert.equal(error.exitCode, res.code);
  assert.equal(res.stdout.length, 0);
  return error;
}

/** Runs bash's completion for the words typed so far (the last one being completed). */
function complete(script: string, words: string[]): string[] {
  const typed = words.map((w) => `'${w}'`).join(" ");
  const run = `${script}\nCOMP_WORDS=(airlock ${typed}); COMP_CWORD=${words.length}; _airlock; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const res = spawnSync("bash", ["--norc", "-c", run], { encoding: "utf8" });
  assert.equal(res.status, 0, res.stderr);
  return res.stdout
    .split("\n")
    .filter((l) => l !== "")
    .sort();
}

describe("CLI conventions: transports, skopeo's flags, --json, help, completion", () => {
  let plain: TestRegistry;
  let tls: TestRegistry;

  before(async () => {
    [plain, tls] = await Promise.all([
      startSeededRegistry("plain").then((s) => s.registry),
      startSeededRegistry("tls").then((s) => s.registry),
    ]);
  });
  after(async () => Promise.all([plain.stop(), tls.stop()]));

  it("inspect, digest, ls and tag take docker://REF as skopeo and crane users write it", async () => {
    const ref = `${plain.host}/fixtures/single-oci:v1`;
    const bare = await runAirlock(["inspect", ref]);
    const prefixed = await runAirlock(["inspect", `docker://${ref}`]);
    assert.equal(prefixed.code, 0, prefixed.stderr);
    assert.deepEqual(JSON.parse(prefixed.stdout.toString()), JSON.parse(bare.stdout.toString()));
    const digest = await runAirlock(["digest", `docker://${ref}`]);
    assert.equal(
      digest.stdout.toString().trim(),
      (JSON.parse(bare.stdout.toString()) as { Digest: string }).Digest,
    );
    const tags = await runAirlock(["ls", `docker://${plain.host}/fixtures/single-oci`, "--json"]);
    assert.ok((JSON.parse(tags.stdout.toString()) as string[]).includes("v1"));
    const tag = await runAirlock(["tag", `docker://${ref}`, "v1-copy", "--json"]);
    assert.equal(tag.code, 0, tag.stderr);
    assert.equal(
      (JSON.parse(tag.stdout.toString()) as { digest: string }).digest,
      digest.stdout.toString().trim(),
    );
  });

  it("a local location where a registry is needed is one usage line", async () => {
    const res = await runAirlock(["inspect", "oci:/tmp/layout:v1"]);
    assert.equal(res.code, 2, res.stderr);
    assert.match(
      res.stderr,
      /^airlock: error: airlock inspect speaks to registries only: "oci:\/tmp\/layout:v1" is a local location \(oci:\)/,
    );
  });

  it("with --json every error is one JSON object on stderr: code, message, exitCode", async () => {
    const missing = errorObject(
      await runAirlock(["--json", "digest", `${plain.host}/fixtures/single-oci:nope`]),
    );
    assert.equal(missing.code, "ERR_NOT_FOUND");
    assert.equal(missing.exitCode, 3);
    assert.equal(errorObject(await runAirlock(["inpsect", "x", "--json"])).code, "ERR_USAGE");
    assert.match(
      errorObject(await runAirlock(["digest", "--platfrom", "x", "y", "--json"])).message,
      /--platform/,
    );
    const refused = errorObject(await runAirlock(["digest", "--json", "127.0.0.1:1/app:1"]));
    assert.deepEqual([refused.code, refused.exitCode], ["ERR_NETWORK", 5]);
  });

  it("did-you-mean for a mistyped command and flag", async () => {
    const command = await runAirlock(["inpsect", "x"]);
    assert.equal(command.code, 2);
    assert.match(command.stderr, /unknown command "inpsect": did you mean "inspect"\?/);
    const flag = await runAirlock(["digest", "--platfrom", "linux/amd64", "x"]);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown flag --platfrom: did you mean --platform\?/);
  });

  it("--tls-verify=false is --insecure; --tls-verify=true still verifies", async () => {
    const ref = `${tls.host}/fixtures/single-oci:v1`;
    const flags = (await airlockFlags(tls)).filter(
      (f, i, all) => f !== "--ca-file" && all[i - 1] !== "--ca-file",
    );
    assert.equal((await runAirlock(["digest", ref, ...flags])).code, 5);
    assert.equal((await runAirlock(["digest", ref, ...flags, "--tls-verify=true"])).code, 5);
    const skipped = await runAirlock(["digest", `docker://${ref}`, ...flags, "--tls-verify=false"]);
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stdout.toString(), /^sha256:/);
  });

  it("-q leaves errors only; --log-level picks a level; a bad level is bad input", async () => {
    const ref = `${plain.host}/fixtures/single-oci:v1`;
    const loud = await runAirlock(["copy", ref, `${plain.host}/copies/a:v1`]);
    assert.match(loud.stderr, /copied/);
    const quiet = await runAirlock(["copy", ref, `${plain.host}/copies/b:v1`, "-q"]);
    assert.equal(quiet.stderr, "");
    const warn = await runAirlock(["copy", ref, `${plain.host}/copies/c:v1`, "--log-level", "warn"]);
    assert.equal(warn.stderr, "");
    const debug = await runAirlock(["digest", ref, "--log-level=debug"]);
    assert.match(debug.stderr, /airlock: debug: /);
    assert.equal((await runAirlock(["digest", ref, "--log-level", "loud"])).code, 2);
  });

  it("airlock help COMMAND is COMMAND --help; airlock help lists the commands", async () => {
    const help = await runAirlock(["help", "push-bundle"]);
    assert.equal(help.code, 0);
    assert.equal(help.stdout.toString(), (await runAirlock(["push-bundle", "--help"])).stdout.toString());
    assert.match(help.stdout.toString(), /--tls-verify=false/);
    assert.match(help.stdout.toString(), /--log-level/);
    const list = await runAirlock(["help"]);
    assert.equal(list.code, 0);
    assert.match(list.stdout.toString(), /completion +print a shell completion script/);
    assert.match((await runAirlock(["help", "lss"])).stderr, /did you mean "ls"\?/);
  });

  it("the bash completion script parses and completes commands and flags", async () => {
    const script = (await runAirlock(["completion", "bash"])).stdout.toString();
    assert.equal(spawnSync("bash", ["-n"], { input: script }).status, 0);
    assert.deepEqual(complete(script, ["insp"]), ["inspect", "inspect-bundle"]);
    assert.deepEqual(complete(script, ["--insecure", "--authfile", "f", "push-b"]), ["push-bundle"]);
    assert.deepEqual(complete(script, ["inspect", "--pla"]), ["--plain-http", "--platform"]);
    assert.deepEqual(complete(script, ["copy", "--src-t"]), ["--src-tls-verify"]);
    assert.deepEqual(complete(script, ["--log-level", "de"]), ["debug"]);
    assert.deepEqual(complete(script, ["help", "sy"]), ["sync"]);
    for (const shell of ["zsh", "fish"]) {
      const res = await runAirlock(["completion", shell]);
      assert.equal(res.code, 0);
      assert.match(res.stdout.toString(), /push-bundle/);
    }
    assert.equal((await runAirlock(["completion", "tcsh"])).code, 2);
  });
});
