import assert from "node:assert/strict";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AirlockError } from "../../src/errors.js";
import {
  authFileCandidates,
  credentialLookup,
  loginFilePath,
  removeLogin,
  resolveCredential,
  saveLogin,
  type Credential,
  type CredentialSource,
} from "../../src/registry/credentials.js";
import {
  CATALOG_SCOPE,
  credentialRepository,
  deleteScope,
  pullScope,
  pushScope,
  type Scope,
} from "../../src/registry/scope.js";
import { writeFileAtomic } from "../../src/stream/atomic-file.js";

const SECRET = "s3cr3t:PASS\u00e9word";

let root: string;
let binDir: string;
let caseCount = 0;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "airlock-credentials-"));
  binDir = join(root, "bin");
  await mkdir(binDir);
  for (const [name, body] of Object.entries(FAKE_HELPERS)) await writeExecutable(join(binDir, name), body);
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh home directory for one case; the env names nothing outside it except the fake helpers. */
async function makeHome(): Promise<{ home: string; env: NodeJS.ProcessEnv; source: CredentialSource }> {
  const home = join(root, `case-${++caseCount}`);
  await mkdir(home);
  const env: NodeJS.ProcessEnv = { HOME: home, PATH: [binDir, process.env.PATH ?? ""].join(delimiter) };
  return { home, env, source: { env, homeDir: home } };
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, JSON.stringify(value));
}

async function writeExecutable(path: string, body: string): Promise<void> {
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
}

function b64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

function basic(user: string, pass = "pw"): { auth: string } {
  return { auth: b64(`${user}:${pass}`) };
}

function dockerConfig(home: string): string {
  return join(home, ".docker", "config.json");
}

/** Every message in an error's cause chain. */
function messagesOf(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) parts.push(e.message, String(e.stack));
  return parts.join("\n");
}

const FAKE_HELPERS: Record<string, string> = {
  // Logs the server URL it was asked about, then answers with a username and password.
  "docker-credential-airlocktest": [
    `read -r url`,
    `printf '%s\\n' "$url" >> "$(dirname "$0")/airlocktest.log"`,
    `printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-secret"}\\n' "$url"`,
  ].join("\n"),
  "docker-credential-airlocktest-none": `cat >/dev/null\necho "credentials not found in native keychain"\nexit 1`,
  "docker-credential-airlocktest-token": `cat >/dev/null\necho '{"ServerURL":"x","Username":"<token>","Secret":"refresh-123"}'`,
  "docker-credential-airlocktest-broken": `cat >/dev/null\necho "oops ${SECRET}" >&2\necho "${SECRET}"\nexit 3`,
  "docker-credential-airlocktest-garbage": `cat >/dev/null\necho "not json ${SECRET}"`,
  "docker-credential-airlocktest-slow": `exec sleep 10`,
};

describe("authFileCandidates", () => {
  const home = "/h";
  const cases: { name: string; source: CredentialSource; want: string[] }[] = [
    {
      name: "defaults",
      source: { env: {}, homeDir: home },
      want: ["/h/.config/containers/auth.json", "/h/.docker/config.json"],
    },
    {
      name: "every variable",
      source: {
        env: {
          REGISTRY_AUTH_FILE: "/r.json",
          XDG_RUNTIME_DIR: "/run/u",
          XDG_CONFIG_HOME: "/c",
          DOCKER_CONFIG: "/d",
        },
        homeDir: home,
      },
      want: ["/r.json", "/run/u/containers/auth.json", "/c/containers/auth.json", "/d/config.json"],
    },
    {
      name: "empty variables count as unset",
      source: { env: { REGISTRY_AUTH_FILE: "", XDG_CONFIG_HOME: "", DOCKER_CONFIG: "" }, homeDir: home },
      want: ["/h/.config/containers/auth.json", "/h/.docker/config.json"],
    },
    {
      name: "authFile is the only file",
      source: { authFile: "/a.json", env: { REGISTRY_AUTH_FILE: "/r.json" }, homeDir: home },
      want: ["/a.json"],
    },
    {
      name: "duplicates dropped",
      source: { env: { REGISTRY_AUTH_FILE: "/d/config.json", DOCKER_CONFIG: "/d" }, homeDir: home },
      want: ["/d/config.json", "/h/.config/containers/auth.json"],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(authFileCandidates(c.source), c.want));
  }
});

describe("resolveCredential search order", () => {
  type Place = "registryAuthFile" | "runtime" | "config" | "docker";
  const cases: { present: Place[]; want: Place | undefined }[] = [
    { present: ["registryAuthFile", "runtime", "config", "docker"], want: "registryAuthFile" },
    { present: ["runtime", "config", "docker"], want: "runtime" },
    { present: ["config", "docker"], want: "config" },
    { present: ["docker"], want: "docker" },
    { present: [], want: undefined },
  ];
  for (const c of cases) {
    it(`[${c.present.join(", ")}] → ${c.want ?? "anonymous"}`, async () => {
      const { home, env, source } = await makeHome();
      env.XDG_RUNTIME_DIR = join(home, "run");
      const paths: Record<Place, string> = {
        registryAuthFile: join(home, "REGISTRY_AUTH_FILE.json"),
        runtime: join(home, "run", "containers", "auth.json"),
        config: join(home, ".config", "containers", "auth.json"),
        docker: dockerConfig(home),
      };
      env.REGISTRY_AUTH_FILE = paths.registryAuthFile;
      for (const place of c.present) await writeJson(paths[place], { auths: { "ghcr.io": basic(place) } });
      const cred = await resolveCredential("ghcr.io", "team/app", source);
      assert.equal(cred?.username, c.want);
    });
  }

  it("DOCKER_CONFIG replaces ~/.docker", async () => {
    const { home, env, source } = await makeHome();
    await writeJson(dockerConfig(home), { auths: { "ghcr.io": basic("home") } });
    env.DOCKER_CONFIG = join(home, "elsewhere");
    await writeJson(join(home, "elsewhere", "config.json"), { auths: { "ghcr.io": basic("elsewhere") } });
    assert.equal((await resolveCredential("ghcr.io", undefined, source))?.username, "elsewhere");
  });

  it("a file without a matching entry passes the search on", async () => {
    const { home, source } = await makeHome();
    await writeJson(join(home, ".config", "containers", "auth.json"), {
      auths: { "quay.io": basic("quay") },
    });
    await writeJson(dockerConfig(home), { auths: { "ghcr.io": basic("docker") } });
    assert.equal((await resolveCredential("ghcr.io", undefined, source))?.username, "docker");
  });

  it("authFile overrides everything, even when it has no entry", async () => {
    const { home, env, source } = await makeHome();
    env.REGISTRY_AUTH_FILE = join(home, "r.json");
    await writeJson(env.REGISTRY_AUTH_FILE, { auths: { "ghcr.io": basic("registry-auth-file") } });
    await writeJson(dockerConfig(home), { auths: { "ghcr.io": basic("docker") } });
    const authFile = join(home, "explicit.json");
    await writeJson(authFile, { auths: { "ghcr.io": basic("explicit") } });
    assert.equal(
      (await resolveCredential("ghcr.io", undefined, { ...source, authFile }))?.username,
      "explicit",
    );
    await writeJson(authFile, { auths: {} });
    assert.equal(await resolveCredential("ghcr.io", undefined, { ...source, authFile }), undefined);
    const missing = join(home, "missing.json");
    assert.equal(await resolveCredential("ghcr.io", undefined, { ...source, authFile: missing }), undefined);
  });
});

describe("resolveCredential key matching", () => {
  const cases: { stored: string; registry: string; matches: boolean }[] = [
    { stored: "https://index.docker.io/v1/", registry: "docker.io", matches: true },
    { stored: "https://index.docker.io/v1/", registry: "registry-1.docker.io", matches: true },
    { stored: "index.docker.io", registry: "docker.io", matches: true },
    { stored: "docker.io", registry: "index.docker.io", matches: true },
    { stored: "registry-1.docker.io", registry: "docker.io", matches: true },
    { stored: "http://localhost:5000", registry: "localhost:5000", matches: true },
    { stored: "localhost:5000", registry: "localhost:5000", matches: true },
    { stored: "localhost:5000", registry: "localhost", matches: false },
    { stored: "localhost", registry: "localhost:5000", matches: false },
    { stored: "127.0.0.1:5000", registry: "127.0.0.1:5000", matches: true },
    { stored: "https://registry.example.com/v2/", registry: "registry.example.com", matches: true },
    { stored: "https://registry.example.com:8443", registry: "registry.example.com:8443", matches: true },
    { stored: "GHCR.io", registry: "ghcr.io", matches: true },
    { stored: "ghcr.io", registry: "example.io", matches: false },
    { stored: "ghcr.io/team", registry: "ghcr.io", matches: false },
  ];
  for (const c of cases) {
    it(`${c.stored} ${c.matches ? "matches" : "does not match"} ${c.registry}`, async () => {
      const { home, source } = await makeHome();
      await writeJson(dockerConfig(home), { auths: { [c.stored]: basic("u") } });
      const cred = await resolveCredential(c.registry, undefined, source);
      assert.equal(cred?.username, c.matches ? "u" : undefined);
    });
  }

  it("namespaced keys, longest match first", async () => {
    const { home, source } = await makeHome();
    const auths = {
      "registry.example.com": basic("host"),
      "registry.example.com/team": basic("team"),
      "registry.example.com/team/app": basic("app"),
      "docker.io/library": basic("library"),
    };
    await writeJson(dockerConfig(home), { auths });
    const lookups: [string, string | undefined, string][] = [
      ["registry.example.com", "team/app", "app"],
      ["registry.example.com", "team/app/sub", "app"],
      ["registry.example.com", "team/other", "team"],
      ["registry.example.com", "team", "team"],
      ["registry.example.com", "teamx/app", "host"],
      ["registry.example.com", undefined, "host"],
      ["index.docker.io", "library/ubuntu", "library"],
    ];
    for (const [registry, repository, want] of lookups) {
      const cred = await resolveCredential(registry, repository, source);
      assert.equal(cred?.username, want, `${registry} ${repository ?? ""}`);
    }
  });
});

describe("namespace keys across files and helpers", () => {
  it("the first file with any match wins: its host key beats a later file's namespace key", async () => {
    const { home, source } = await makeHome();
    await writeJson(join(home, ".config", "containers", "auth.json"), {
      auths: { "ghcr.io": basic("host") },
    });
    await writeJson(dockerConfig(home), { auths: { "ghcr.io/team": basic("team") } });
    assert.equal((await resolveCredential("ghcr.io", "team/app", source))?.username, "host");
  });

  it("a file without a match for the repository passes the search on to a namespace key", async () => {
    const { home, source } = await makeHome();
    await writeJson(join(home, ".config", "containers", "auth.json"), {
      auths: { "ghcr.io/other": basic("other") },
    });
    await writeJson(dockerConfig(home), { auths: { "ghcr.io/team": basic("team") } });
    assert.equal((await resolveCredential("ghcr.io", "team/app", source))?.username, "team");
    assert.equal((await resolveCredential("ghcr.io", "other/app", source))?.username, "other");
    assert.equal(await resolveCredential("ghcr.io", "third/app", source), undefined);
  });

  it("a key with a scheme is a host key whatever its path (legacy docker keys)", async () => {
    const { home, source } = await makeHome();
    await writeJson(dockerConfig(home), {
      auths: { "https://ghcr.io/team": basic("legacy"), "ghcr.io/team/app": basic("app") },
    });
    assert.equal((await resolveCredential("ghcr.io", "team/app", source))?.username, "app");
    assert.equal((await resolveCredential("ghcr.io", "elsewhere/app", source))?.username, "legacy");
  });

  it("credHelpers are keyed by host: a namespace key there is not a helper for it", async () => {
    const { home, source } = await makeHome();
    await writeJson(dockerConfig(home), {
      credHelpers: { "ghcr.io/team": "airlocktest" },
      auths: { "ghcr.io": basic("stored") },
    });
    assert.equal((await resolveCredential("ghcr.io", "team/app", source))?.username, "stored");
  });

  it("a host's helper answers for every repository, asked once per lookup", async () => {
    const { home, source } = await makeHome();
    await writeJson(dockerConfig(home), {
      credHelpers: { "helper-once.example": "airlocktest" },
      auths: { "helper-once.example/team": basic("team") },
    });
    const log = join(binDir, "airlocktest.log");
    const before = (await readFile(log, "utf8").catch(() => "")).split("\n").length;
    const lookup = credentialLookup("helper-once.example", source);
    for (const repository of ["team/app", "other/app", undefined, "third"]) {
      assert.equal((await lookup(repository))?.username, "helper-user");
    }
    const after = (await readFile(log, "utf8")).split("\n").length;
    assert.equal(after - before, 1);
  });
});

describe("credentialRepository", () => {
  const cases: { name: string; scopes: Scope[]; want: string | undefined }[] = [
    { name: "a pull", scopes: [pullScope("team/app")], want: "team/app" },
    { name: "a push", scopes: [pushScope("team/app")], want: "team/app" },
    {
      name: "a mount: the target, whatever the order",
      scopes: [pullScope("other/base"), pushScope("team/app")],
      want: "team/app",
    },
    { name: "a delete", scopes: [pullScope("a/b"), deleteScope("team/app")], want: "team/app" },
    { name: "several pulls: the first", scopes: [pullScope("x/y"), pullScope("z")], want: "x/y" },
    { name: "the catalog: the host", scopes: [CATALOG_SCOPE], want: undefined },
    { name: "no scope (ping): the host", scopes: [], want: undefined },
  ];
  for (const c of cases) it(c.name, () => assert.equal(credentialRepository(c.scopes), c.want));
});

describe("resolveCredential entry decoding", () => {
  const cases: { name: string; entry: Record<string, unknown>; want: Credential | undefined }[] = [
    { name: "auth", entry: { auth: b64("alice:pw") }, want: { username: "alice", password: "pw" } },
    {
      name: "':' inside the password, trailing NULs",
      entry: { auth: b64("alice:pa:ss:word\0\0") },
      want: { username: "alice", password: "pa:ss:word" },
    },
    {
      name: "username/password fields",
      entry: { username: "bob", password: "pw" },
      want: { username: "bob", password: "pw" },
    },
    {
      name: "identitytoken",
      entry: { auth: b64("<token>:"), identitytoken: "refresh" },
      want: { username: "<token>", identityToken: "refresh" },
    },
    { name: "registrytoken", entry: { registrytoken: "bearer-abc" }, want: { registryToken: "bearer-abc" } },
    { name: "empty entry is a helper marker", entry: {}, want: undefined },
    { name: "empty strings are nothing", entry: { auth: "", email: "a@b.c" }, want: undefined },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { home, source } = await makeHome();
      await writeJson(dockerConfig(home), { auths: { "ghcr.io": c.entry } });
      assert.deepEqual(await resolveCredential("ghcr.io", undefined, source), c.want);
    });
  }

  it("an empty entry in an earlier file passes the search on", async () => {
    const { home, source } = await makeHome();
    await writeJson(join(home, ".config", "containers", "auth.json"), { auths: { "ghcr.io": {} } });
    await writeJson(dockerConfig(home), { auths: { "ghcr.io": basic("docker") } });
    assert.equal((await resolveCredential("ghcr.io", undefined, source))?.username, "docker");
  });

  it("an empty file is an empty configuration", async () => {
    const { home, source } = await makeHome();
    await mkdir(join(home, ".docker"));
    await writeFile(dockerConfig(home), "");
    assert.equal(await resolveCredential("ghcr.io", undefined, source), undefined);
  });
});

describe("resolveCredential errors", () => {
  const cases: { name: string; text: string; mentions: string[] }[] = [
    {
      name: "invalid JSON",
      text: `{"auths": {"ghcr.io": {"auth": "${b64(`u:${SECRET}`)}"}`,
      mentions: ["not valid JSON"],
    },
    { name: "bare word", text: `{"auths": ${SECRET}}`, mentions: ["not valid JSON"] },
    { name: "not an object", text: `["${SECRET}"]`, mentions: ["not a JSON object"] },
    {
      name: "bad base64",
      text: `{"auths": {"ghcr.io": {"auth": "${SECRET}!"}}}`,
      mentions: ["ghcr.io", "auth"],
    },
    {
      name: "auth without ':'",
      text: `{"auths": {"ghcr.io": {"auth": "${b64(SECRET.replace(":", ""))}"}}}`,
      mentions: ["ghcr.io"],
    },
    { name: "auths not an object", text: `{"auths": "${SECRET}"}`, mentions: ["auths"] },
    {
      name: "password not a string",
      text: `{"auths": {"ghcr.io": {"password": ["${SECRET}"]}}}`,
      mentions: ["password"],
    },
  ];
  for (const c of cases) {
    it(`${c.name} → ERR_CREDENTIALS naming the file, not its content`, async () => {
      const { home, source } = await makeHome();
      await mkdir(join(home, ".docker"));
      await writeFile(dockerConfig(home), c.text);
      const err = await resolveCredential("ghcr.io", undefined, source).then(
        () => assert.fail("expected an error"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof AirlockError);
      assert.equal(err.code, "ERR_CREDENTIALS");
      assert.ok(err.message.startsWith(`${dockerConfig(home)}: `), err.message);
      for (const word of c.mentions) assert.ok(err.message.includes(word), err.message);
      assertNoSecret(messagesOf(err), c.text);
    });
  }

  it("reports where the JSON breaks", async () => {
    const { home, source } = await makeHome();
    await mkdir(join(home, ".docker"));
    await writeFile(dockerConfig(home), `{\n  "auths": {,\n}`);
    await assert.rejects(resolveCredential("ghcr.io", undefined, source), /line 2, column/);
  });
});

/** Neither the secret nor its base64 nor the auth value of the file appears in `text`. */
function assertNoSecret(text: string, fileText = ""): void {
  const secrets = [
    SECRET,
    b64(`u:${SECRET}`),
    "PASS\u00e9word",
    ...(fileText.match(/"auth": "([^"]+)"/)?.slice(1) ?? []),
  ];
  for (const s of secrets) assert.ok(!text.includes(s), `leaked ${JSON.stringify(s)} in: ${text}`);
}

describe("credential helpers", () => {
  async function withConfig(
    config: Record<string, unknown>,
  ): Promise<{ home: string; source: CredentialSource; warnings: string[] }> {
    const { home, source } = await makeHome();
    const warnings: string[] = [];
    await writeJson(dockerConfig(home), config);
    return { home, source: { ...source, onWarning: (m) => warnings.push(m) }, warnings };
  }

  async function lastServerURL(): Promise<string | undefined> {
    const log = await readFile(join(binDir, "airlocktest.log"), "utf8");
    return log.trimEnd().split("\n").at(-1);
  }

  const cases: {
    name: string;
    config: Record<string, unknown>;
    registry?: string;
    want: Credential | undefined;
  }[] = [
    {
      name: "credHelpers for the host",
      config: { credHelpers: { "ghcr.io": "airlocktest" } },
      want: { username: "helper-user", password: "helper-secret" },
    },
    {
      name: "credsStore as the default",
      config: { credsStore: "airlocktest", auths: { "ghcr.io": {} } },
      want: { username: "helper-user", password: "helper-secret" },
    },
    {
      name: "credHelpers beats credsStore",
      config: { credsStore: "airlocktest", credHelpers: { "ghcr.io": "airlocktest-token" } },
      want: { identityToken: "refresh-123" },
    },
    {
      name: "credHelpers beats a stored entry",
      config: { credHelpers: { "ghcr.io": "airlocktest" }, auths: { "ghcr.io": basic("stored") } },
      want: { username: "helper-user", password: "helper-secret" },
    },
    {
      name: "a stored entry beats credsStore",
      config: { credsStore: "airlocktest", auths: { "ghcr.io": basic("stored") } },
      want: { username: "stored", password: "pw" },
    },
    {
      name: "Username <token> is an identity token",
      config: { credHelpers: { "ghcr.io": "airlocktest-token" } },
      want: { identityToken: "refresh-123" },
    },
    {
      name: "'credentials not found' falls back to the stored entry",
      config: { credHelpers: { "ghcr.io": "airlocktest-none" }, auths: { "ghcr.io": basic("stored") } },
      want: { username: "stored", password: "pw" },
    },
    {
      name: "'credentials not found' from credsStore is anonymous",
      config: { credsStore: "airlocktest-none" },
      want: undefined,
    },
    {
      name: "credHelpers keys are normalised",
      config: { credHelpers: { "index.docker.io": "airlocktest-token" } },
      registry: "docker.io",
      want: { identityToken: "refresh-123" },
    },
    {
      name: "credHelpers for another host is not asked",
      config: { credHelpers: { "quay.io": "airlocktest" } },
      want: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { source } = await withConfig(c.config);
      assert.deepEqual(await resolveCredential(c.registry ?? "ghcr.io", undefined, source), c.want);
    });
  }

  it("'credentials not found' passes the search on to the next file", async () => {
    const { home, source } = await withConfig({ auths: { "ghcr.io": basic("docker") } });
    await writeJson(join(home, ".config", "containers", "auth.json"), { credsStore: "airlocktest-none" });
    assert.equal((await resolveCredential("ghcr.io", undefined, source))?.username, "docker");
  });

  const urlCases: { name: string; config: Record<string, unknown>; registry: string; want: string }[] = [
    {
      name: "the host",
      config: { credsStore: "airlocktest" },
      registry: "localhost:5000",
      want: "localhost:5000",
    },
    {
      name: "the key as stored",
      config: { credsStore: "airlocktest", auths: { "https://ghcr.io": {} } },
      registry: "ghcr.io",
      want: "https://ghcr.io",
    },
    {
      name: "docker's URL for Docker Hub",
      config: { credHelpers: { "docker.io": "airlocktest" } },
      registry: "registry-1.docker.io",
      want: "https://index.docker.io/v1/",
    },
  ];
  for (const c of urlCases) {
    it(`the helper is asked about ${c.name}`, async () => {
      const { source } = await withConfig(c.config);
      await resolveCredential(c.registry, "team/app", source);
      assert.equal(await lastServerURL(), c.want);
    });
  }

  it("a missing helper is a warning and anonymous", async () => {
    const { home, source, warnings } = await withConfig({ credsStore: "airlocktest-absent" });
    assert.equal(await resolveCredential("ghcr.io", undefined, source), undefined);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? "", /docker-credential-airlocktest-absent/);
    assert.ok(warnings[0]?.includes(dockerConfig(home)));
  });

  const failures: { name: string; helper: string; pattern: RegExp }[] = [
    { name: "a failing helper", helper: "airlocktest-broken", pattern: /failed \(exit 3\)/ },
    { name: "an answer that is not JSON", helper: "airlocktest-garbage", pattern: /not valid JSON/ },
    { name: "a helper that does not answer", helper: "airlocktest-slow", pattern: /no answer within 300 ms/ },
    { name: "a helper name with a path", helper: "../../bin/sh", pattern: /not a helper name/ },
  ];
  for (const c of failures) {
    it(`${c.name} → ERR_CREDENTIALS without its output`, async () => {
      const { source } = await withConfig({ credHelpers: { "ghcr.io": c.helper } });
      const err = await resolveCredential("ghcr.io", undefined, { ...source, helperTimeoutMs: 300 }).then(
        () => assert.fail("expected an error"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof AirlockError);
      assert.equal(err.code, "ERR_CREDENTIALS");
      assert.match(err.message, c.pattern);
      assertNoSecret(messagesOf(err));
    });
  }
});

describe("loginFilePath", () => {
  const cases: { name: string; source: CredentialSource; want: string }[] = [
    { name: "default", source: { env: {}, homeDir: "/h" }, want: join("/h", ".docker", "config.json") },
    {
      name: "DOCKER_CONFIG",
      source: { env: { DOCKER_CONFIG: "/d" }, homeDir: "/h" },
      want: join("/d", "config.json"),
    },
    {
      name: "REGISTRY_AUTH_FILE",
      source: { env: { REGISTRY_AUTH_FILE: "/r.json", DOCKER_CONFIG: "/d" }, homeDir: "/h" },
      want: "/r.json",
    },
    {
      name: "authFile",
      source: { authFile: "/a.json", env: { REGISTRY_AUTH_FILE: "/r.json" }, homeDir: "/h" },
      want: "/a.json",
    },
    {
      name: "never the containers auth.json",
      source: { env: { XDG_RUNTIME_DIR: "/run/u", XDG_CONFIG_HOME: "/c" }, homeDir: "/h" },
      want: join("/h", ".docker", "config.json"),
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(loginFilePath(c.source), c.want));
});

describe("saveLogin / removeLogin", () => {
  it("round trip keeps every other key and writes mode 0600", async () => {
    const { home, source } = await makeHome();
    const path = dockerConfig(home);
    const original = {
      auths: { "docker.io": basic("old"), "quay.io": basic("quay"), "ghcr.io/team": basic("team") },
      credsStore: "airlocktest-none",
      credHelpers: { "gcr.io": "gcloud" },
      HttpHeaders: { "User-Agent": "x" },
    };
    await writeJson(path, original);

    assert.equal(await saveLogin("docker.io", { username: "alice", password: SECRET }, source), path);
    const saved = JSON.parse(await readFile(path, "utf8")) as typeof original;
    assert.deepEqual(saved.auths, {
      "quay.io": original.auths["quay.io"],
      "ghcr.io/team": original.auths["ghcr.io/team"],
      "https://index.docker.io/v1/": { auth: b64(`alice:${SECRET}`) },
    });
    assert.equal(saved.credsStore, original.credsStore);
    assert.deepEqual(saved.credHelpers, original.credHelpers);
    assert.deepEqual(saved.HttpHeaders, original.HttpHeaders);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await resolveCredential("index.docker.io", "library/ubuntu", source), {
      username: "alice",
      password: SECRET,
    });

    assert.equal(await removeLogin("registry-1.docker.io", source), true);
    const removed = JSON.parse(await readFile(path, "utf8")) as typeof original;
    assert.deepEqual(removed, {
      ...original,
      auths: { "quay.io": basic("quay"), "ghcr.io/team": basic("team") },
    });
    assert.equal(await removeLogin("docker.io", source), false);
    assert.equal(await resolveCredential("docker.io", undefined, source), undefined);
  });

  it("creates the file and its directory (0700); other hosts use host[:port] as the key", async () => {
    const { home, env, source } = await makeHome();
    env.DOCKER_CONFIG = join(home, "new", "docker");
    const path = await saveLogin("https://localhost:5000/v2/", { username: "bob", password: "pw" }, source);
    assert.equal(path, join(home, "new", "docker", "config.json"));
    assert.deepEqual(JSON.parse(await readFile(path, "utf8")), { auths: { "localhost:5000": basic("bob") } });
    assert.equal((await stat(join(home, "new", "docker"))).mode & 0o777, 0o700);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(join(home, "new", "docker")), ["config.json"]);
  });

  it("writes to authFile and REGISTRY_AUTH_FILE when given", async () => {
    const { home, env, source } = await makeHome();
    env.REGISTRY_AUTH_FILE = join(home, "r.json");
    assert.equal(
      await saveLogin("ghcr.io", { username: "u", password: "p" }, source),
      env.REGISTRY_AUTH_FILE,
    );
    const authFile = join(home, "a.json");
    assert.equal(
      await saveLogin("ghcr.io", { username: "u", password: "p" }, { ...source, authFile }),
      authFile,
    );
  });

  it("removeLogin without a file is false and creates nothing", async () => {
    const { home, source } = await makeHome();
    assert.equal(await removeLogin("ghcr.io", source), false);
    assert.deepEqual(await readdir(home), []);
  });

  it("refuses a file that is not JSON instead of overwriting it", async () => {
    const { home, source } = await makeHome();
    await mkdir(join(home, ".docker"));
    await writeFile(dockerConfig(home), "{ broken");
    await assert.rejects(saveLogin("ghcr.io", { username: "u", password: SECRET }, source), {
      code: "ERR_CREDENTIALS",
    });
    assert.equal(await readFile(dockerConfig(home), "utf8"), "{ broken");
  });

  const invalidLogins: { username: string; password: string }[] = [
    { username: "", password: SECRET },
    { username: "a:b", password: SECRET },
    { username: "a", password: "" },
  ];
  for (const cred of invalidLogins) {
    it(`rejects username ${JSON.stringify(cred.username)} / password of length ${cred.password.length}`, async () => {
      const { source } = await makeHome();
      const err = await saveLogin("ghcr.io", cred, source).then(
        () => assert.fail("expected an error"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof AirlockError);
      assert.equal(err.code, "ERR_USAGE");
      assertNoSecret(messagesOf(err));
    });
  }
});

describe("writeFileAtomic", () => {
  it("creates the parent directory and leaves no temporary file", async () => {
    const dir = join(root, "atomic-1", "a", "b");
    await writeFileAtomic(join(dir, "f.json"), "one");
    await writeFileAtomic(join(dir, "f.json"), new TextEncoder().encode("two"));
    assert.equal(await readFile(join(dir, "f.json"), "utf8"), "two");
    assert.deepEqual(await readdir(dir), ["f.json"]);
  });

  it("applies the mode", async () => {
    const path = join(root, "atomic-2", "secret");
    await writeFileAtomic(path, "x", { mode: 0o600 });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  it("replaces the file a symlink points to and keeps the link", async () => {
    const dir = join(root, "atomic-3");
    await mkdir(dir);
    await writeFile(join(dir, "real"), "old");
    await symlink("real", join(dir, "link"));
    await writeFileAtomic(join(dir, "link"), "new");
    assert.ok((await lstat(join(dir, "link"))).isSymbolicLink());
    assert.equal(await readFile(join(dir, "real"), "utf8"), "new");
    assert.deepEqual((await readdir(dir)).sort(), ["link", "real"]);
  });

  it("fails with ERR_FILE and cleans up when the target cannot be replaced", async () => {
    const dir = join(root, "atomic-4");
    await mkdir(join(dir, "target"), { recursive: true });
    await writeFile(join(dir, "target", "keep"), "");
    await assert.rejects(writeFileAtomic(join(dir, "target"), "x"), { code: "ERR_FILE" });
    assert.deepEqual(await readdir(dir), ["target"]);
  });
});
