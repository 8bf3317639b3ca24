/**
 * Credentials as users already hold them: containers-auth.json(5) namespace
 * keys against real registries, --creds / --src-creds / --dest-creds and
 * AIRLOCK_USERNAME/AIRLOCK_PASSWORD, and login's questions on a terminal.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connectRegistry } from "../../src/registry/connect.js";
import { isOneCleanLine, runAirlock } from "../harness/cli.js";
import { startSeededRegistry, type FixtureSet } from "../harness/fixtures.js";
import { runAirlockInPty } from "../harness/pty.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";

const SINGLE = "fixtures/single-docker:v1";
const MULTI = "fixtures/multi-oci:v1";

function basic(username: string, password: string): { auth: string } {
  return { auth: Buffer.from(`${username}:${password}`).toString("base64") };
}

async function authFile(auths: Record<string, { auth: string }>): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), "airlock-creds-")), "auth.json");
  await writeFile(file, JSON.stringify({ auths }));
  return file;
}

function userOf(registry: TestRegistry): { username: string; password: string } {
  return { username: registry.username ?? "", password: registry.password ?? "" };
}

describe("auth file namespace keys (htpasswd)", () => {
  let registry: TestRegistry;
  let fixtures: FixtureSet;
  before(async () => {
    ({ registry, fixtures } = await startSeededRegistry("htpasswd"));
    const { username, password } = userOf(registry);
    const seed = await runAirlock([
      "copy",
      "--creds",
      `${username}:${password}`,
      `${registry.host}/${SINGLE}`,
      `${registry.host}/team/app:v1`,
    ]);
    assert.equal(seed.code, 0, seed.stderr);
  });
  after(() => registry.stop());

  const digest = (ref: string, file: string): Promise<{ code: number; stdout: Buffer; stderr: string }> =>
    runAirlock(["digest", "--authfile", file, `${registry.host}/${ref}`]);

  it("a repository key beats the host key; other repositories get the host's", async () => {
    const { username, password } = userOf(registry);
    const file = await authFile({
      [registry.host]: basic(username, "wrong-host-password"),
      [`${registry.host}/fixtures/single-docker`]: basic(username, password),
    });
    const inside = await digest(SINGLE, file);
    assert.equal(inside.code, 0, inside.stderr);
    assert.equal(inside.stdout.toString().trim(), fixtures.byRef(SINGLE).digest);
    const outside = await digest(MULTI, file);
    assert.equal(outside.code, 4, outside.stderr);
    assert.ok(isOneCleanLine(outside.stderr), outside.stderr);
    assert.ok(!outside.stderr.includes("wrong-host-password"));
  });

  it("a namespace key beats the host key, matched at path boundaries", async () => {
    const { username, password } = userOf(registry);
    const file = await authFile({
      [registry.host]: basic(username, password),
      [`${registry.host}/fixtures`]: basic(username, "wrong-namespace-password"),
      [`${registry.host}/tea`]: basic(username, "wrong-prefix-password"),
    });
    assert.equal((await digest(MULTI, file)).code, 4);
    assert.equal((await digest(SINGLE, file)).code, 4);
    const team = await digest("team/app:v1", file);
    assert.equal(team.code, 0, team.stderr);
    assert.equal(team.stdout.toString().trim(), fixtures.byRef(SINGLE).digest);
  });

  it("--creds and AIRLOCK_USERNAME/AIRLOCK_PASSWORD replace the auth file for every repository", async () => {
    const { username, password } = userOf(registry);
    const file = await authFile({ [registry.host]: basic(username, "wrong") });
    const flag = await runAirlock([
      "digest",
      "--authfile",
      file,
      "--creds",
      `${username}:${password}`,
      `${registry.host}/${MULTI}`,
    ]);
    assert.equal(flag.code, 0, flag.stderr);
    const env = { AIRLOCK_USERNAME: username, AIRLOCK_PASSWORD: password };
    const fromEnv = await runAirlock(["digest", "--authfile", file, `${registry.host}/${MULTI}`], { env });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    // --creds comes first: a wrong one is refused even with the right variables.
    const both = await runAirlock(["digest", "--creds", `${username}:nope`, `${registry.host}/${MULTI}`], {
      env,
    });
    assert.equal(both.code, 4, both.stderr);
    const half = await runAirlock(["digest", `${registry.host}/${MULTI}`], {
      env: { AIRLOCK_USERNAME: username },
    });
    assert.equal(half.code, 2, half.stderr);
    assert.ok(isOneCleanLine(half.stderr), half.stderr);
  });

  it("--creds USER without a password and without a terminal is one usage line", async () => {
    const res = await runAirlock(["digest", "--creds", "airlock", `${registry.host}/${MULTI}`]);
    assert.equal(res.code, 2, res.stderr);
    assert.ok(isOneCleanLine(res.stderr), res.stderr);
    assert.match(res.stderr, /--creds airlock/);
  });
});

describe("a credential per repository within one command (token auth)", () => {
  const teamUser = { username: "team-user", password: "team-password-1" };
  const confined = { username: "team-only", password: "team-password-2", namespaces: ["team"] };
  let registry: TestRegistry;
  let fixtures: FixtureSet;
  let file: string;
  before(async () => {
    ({ registry, fixtures } = await startSeededRegistry("token", { users: [teamUser, confined] }));
    const { username, password } = userOf(registry);
    file = await authFile({
      [registry.host]: basic(username, password),
      [`${registry.host}/team`]: basic(teamUser.username, teamUser.password),
    });
  });
  after(() => registry.stop());

  it("the target's namespace credential fetches the push (and mount) tokens, the host's the source's", async () => {
    const { username } = userOf(registry);
    const requests = registry.tokenRequests ?? [];
    requests.length = 0;
    const res = await runAirlock([
      "copy",
      "--authfile",
      file,
      `${registry.host}/${SINGLE}`,
      `${registry.host}/team/app:v1`,
    ]);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(requests.length > 0 && requests.every((r) => r.authorized));
    const accounts = (pattern: RegExp): Set<string | undefined> =>
      new Set(requests.filter((r) => r.scopes.some((s) => pattern.test(s))).map((r) => r.account));
    assert.deepEqual(accounts(/^repository:team\/app:/), new Set([teamUser.username]));
    const sourceOnly = requests.filter((r) => r.scopes.every((s) => s.startsWith("repository:fixtures/")));
    assert.ok(sourceOnly.length > 0);
    assert.deepEqual(new Set(sourceOnly.map((r) => r.account)), new Set([username]));
    // The mount asks for push on the target and pull on the source in one token: the target's credential.
    const mount = requests.find((r) => r.scopes.length === 2);
    assert.equal(mount?.account, teamUser.username, JSON.stringify(requests));
  });
  it("a mount the target's credential may not pull from falls back to an upload", async () => {
    const { username, password } = userOf(registry);
    const confinedFile = await authFile({
      [registry.host]: basic(username, password),
      [`${registry.host}/team`]: basic(confined.username, confined.password),
    });
    const requests = registry.tokenRequests ?? [];
    requests.length = 0;
    const dst = `${registry.host}/team/confined:v1`;
    const res = await runAirlock(["copy", "--authfile", confinedFile, `${registry.host}/${SINGLE}`, dst]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.toString().trim(), fixtures.byRef(SINGLE).digest);
    const mounts = requests.filter((r) => r.scopes.length === 2);
    assert.ok(mounts.length > 0 && mounts.every((r) => r.account === confined.username));
    // The confined user alone can read what was written, and nothing outside its namespace.
    const env = { AIRLOCK_USERNAME: confined.username, AIRLOCK_PASSWORD: confined.password };
    const inside = await runAirlock(["digest", dst], { env });
    assert.equal(inside.stdout.toString().trim(), fixtures.byRef(SINGLE).digest, inside.stderr);
    const outside = await runAirlock(["digest", `${registry.host}/${SINGLE}`], { env });
    assert.equal(outside.code, 4, outside.stderr);
  });

  it("a token fetched with the namespace's credential never serves a repository outside it", async () => {
    const requests = registry.tokenRequests ?? [];
    const layer = fixtures.byRef(SINGLE).platforms[0]?.layers[0]?.digest ?? "";
    const client = await connectRegistry(registry.host, { authFile: file, env: {} });
    try {
      assert.equal(await client.blobMount("team/lib", layer, "fixtures/single-docker"), true);
      const mount = requests.at(-1);
      assert.equal(mount?.account, teamUser.username);
      assert.ok(mount?.scopes.includes("repository:fixtures/single-docker:pull"));
      // That token covers pull on the source, but was fetched with team-user's credential.
      await client.manifestGet("fixtures/single-docker", "v1");
    } finally {
      await client.close();
    }
    const pull = requests.at(-1);
    assert.equal(pull?.account, userOf(registry).username);
    assert.deepEqual(pull?.scopes, ["repository:fixtures/single-docker:pull"]);
  });
});

describe("--src-creds / --dest-creds between two htpasswd registries", () => {
  const alice = { username: "alice", password: "alice-password-1" };
  const bob = { username: "bob", password: "bob-password-2" };
  let source: TestRegistry;
  let dest: TestRegistry;
  let fixtures: FixtureSet;
  before(async () => {
    ({ registry: source, fixtures } = await startSeededRegistry("htpasswd", { users: [alice] }));
    dest = await startRegistry("htpasswd", { users: [bob] });
  });
  after(async () => Promise.all([source.stop(), dest.stop()]));

  const creds = (u: { username: string; password: string }): string => `${u.username}:${u.password}`;

  it("copy uses each side's credentials; swapped, or one for both, they are refused", async () => {
    const src = `${source.host}/${SINGLE}`;
    const dst = `${dest.host}/copied/app:v1`;
    const ok = await runAirlock(["copy", "--src-creds", creds(alice), "--dest-creds", creds(bob), src, dst]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.toString().trim(), fixtures.byRef(SINGLE).digest);
    assert.ok(!ok.stderr.includes(alice.password) && !ok.stderr.includes(bob.password));
    const check = await runAirlock(["digest", "--creds", creds(bob), dst]);
    assert.equal(check.stdout.toString().trim(), fixtures.byRef(SINGLE).digest, check.stderr);

    const swapped = await runAirlock([
      "copy",
      "--src-creds",
      creds(bob),
      "--dest-creds",
      creds(alice),
      src,
      dst,
    ]);
    assert.equal(swapped.code, 4, swapped.stderr);
    assert.ok(isOneCleanLine(swapped.stderr), swapped.stderr);
    const global = await runAirlock(["copy", "--creds", creds(alice), src, `${dest.host}/copied/other:v1`]);
    assert.equal(global.code, 4, global.stderr);
    // A side's flag overrides --creds for that side.
    const mixed = await runAirlock([
      "copy",
      "--creds",
      creds(alice),
      "--dest-creds",
      creds(bob),
      src,
      `${dest.host}/copied/mixed:v1`,
    ]);
    assert.equal(mixed.code, 0, mixed.stderr);
  });

  it("sync takes them too", async () => {
    const file = join(await mkdtemp(join(tmpdir(), "airlock-creds-sync-")), "sync.yaml");
    await writeFile(
      file,
      `${source.host}:\n  tls-verify: false\n  images:\n    fixtures/single-docker: [v1]\n`,
    );
    const args = ["sync", "--src", "yaml", file, "--dest", `${dest.host}/mirror`];
    const res = await runAirlock([...args, "--src-creds", creds(alice), "--dest-creds", creds(bob)]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(
      res.stdout.toString(),
      new RegExp(`${dest.host}/mirror/single-docker:v1 ${fixtures.byRef(SINGLE).digest}`),
    );
    const without = await runAirlock([...args, "--src-creds", creds(alice)]);
    assert.equal(without.code, 4, without.stderr);
  });
});

describe("questions on a terminal", () => {
  let registry: TestRegistry;
  before(async () => {
    ({ registry } = await startSeededRegistry("htpasswd"));
  });
  after(() => registry.stop());

  it("login asks for the user name (echoed) and the password (not echoed), then stores them", async () => {
    const { username, password } = userOf(registry);
    const dir = await mkdtemp(join(tmpdir(), "airlock-login-pty-"));
    const res = await runAirlockInPty(
      ["login", registry.host],
      [
        { prompt: "Username: ", keys: `${username}\r` },
        // A typo erased with Backspace (DEL) is not part of the password.
        { prompt: "Password for ", keys: `x\u007f${password}\r` },
      ],
      { HOME: dir, DOCKER_CONFIG: dir },
    );
    assert.equal(res.code, 0, res.output);
    assert.match(res.output, /Username: airlock/);
    assert.match(res.output, /Login Succeeded/);
    assert.ok(!res.output.includes(password), res.output);
    const stored = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as {
      auths: Record<string, { auth: string }>;
    };
    assert.deepEqual(stored.auths[registry.host], basic(username, password));
  });

  it("--creds USER asks for the password; Ctrl-C at a question is interrupted (130)", async () => {
    const { username, password } = userOf(registry);
    const dir = await mkdtemp(join(tmpdir(), "airlock-creds-pty-"));
    const ref = `${registry.host}/${MULTI}`;
    const asked = await runAirlockInPty(
      ["digest", "--creds", username, ref],
      [{ prompt: `Password for ${username} (--creds): `, keys: `${password}\r` }],
      { HOME: dir },
    );
    assert.equal(asked.code, 0, asked.output);
    assert.match(asked.output, /sha256:[0-9a-f]{64}/);
    assert.ok(!asked.output.includes(password), asked.output);
    const interrupted = await runAirlockInPty(
      ["login", registry.host, "-u", username],
      [{ prompt: "Password for ", keys: "abc\u0003" }],
      { HOME: dir, DOCKER_CONFIG: dir },
    );
    assert.equal(interrupted.code, 130, interrupted.output);
    assert.match(interrupted.output, /interrupted/);
  });

  it("login without a terminal and without --password-stdin is one usage line (exit 2)", async () => {
    const res = await runAirlock(["login", registry.host, "-u", registry.username ?? ""]);
    assert.equal(res.code, 2, res.stderr);
    assert.ok(isOneCleanLine(res.stderr), res.stderr);
    assert.match(res.stderr, /--password-stdin/);
    const noUser = await runAirlock(["login", registry.host, "--password-stdin"], { stdin: "x\n" });
    assert.equal(noUser.code, 2, noUser.stderr);
    assert.ok(isOneCleanLine(noUser.stderr), noUser.stderr);
  });
});
