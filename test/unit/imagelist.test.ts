import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { validateCommand } from "../../src/cli/commands/validate.js";
import { createLog } from "../../src/cli/log.js";
import type { CommandContext } from "../../src/cli/command.js";
import {
  ImageListError,
  formatProblem,
  loadImageList,
  parseImageList,
  validateImageList,
  type ImageEntry,
  type ImageList,
  type Problem,
} from "../../src/imagelist/index.js";
import { optionsFor } from "../../src/verbs/client-pool.js";

const EXAMPLES = path.join(import.meta.dirname, "../../examples");
const DIGEST = "sha256:" + "ab".repeat(32);

/** Parses an inline list; throws with the problems when there are any. */
function parseOk(text: string, file = "airlock.yaml"): ImageList {
  const { list, problems } = parseImageList(text, file);
  assert.deepEqual(problems.map(formatProblem), []);
  assert.ok(list);
  return list;
}

function problemsOf(text: string, file = "airlock.yaml"): Problem[] {
  const { list, problems } = parseImageList(text, file);
  assert.equal(list, undefined, "a list with problems must not be returned");
  return problems;
}

/** What an entry asks for, without where it was written. */
function content(list: ImageList): string[] {
  const key = (e: ImageEntry): string =>
    JSON.stringify([e.registry, e.repository, e.selector, e.platforms, e.optionalPlatforms]);
  return list.images.map(key).sort();
}

describe("examples/", () => {
  it("has the five documented examples", async () => {
    const names = await readdir(EXAMPLES);
    for (const name of [
      "airlock.yaml",
      "minimal.yaml",
      "skopeo-sync.yaml",
      "mindthegap-images.yaml",
      "images.txt",
    ]) {
      assert.ok(names.includes(name), name);
    }
  });

  const formats: Record<string, ImageList["format"]> = {
    "airlock.yaml": "airlock",
    "minimal.yaml": "airlock",
    "skopeo-sync.yaml": "skopeo-sync",
    "mindthegap-images.yaml": "mindthegap",
    "images.txt": "text",
  };
  for (const [name, format] of Object.entries(formats)) {
    it(`${name} validates with no problems or warnings, as ${format}`, async () => {
      const result = await validateImageList(path.join(EXAMPLES, name));
      assert.deepEqual(result.problems.map(formatProblem), []);
      assert.deepEqual(result.warnings.map(formatProblem), []);
      assert.equal(result.list?.format, format);
      assert.ok((result.list?.images.length ?? 0) > 0);
    });
  }
});

describe("normalisation of airlock.yaml", () => {
  const list = parseOk(`
defaults:
  platforms: [linux/aarch64, linux/x86_64, linux/arm64/v8, linux/arm]
registries:
  index.docker.io:
    caFile: certs/ca.pem
    authFile: /etc/airlock/auth.json
    credentials: { usernameEnv: HUB_USER, passwordEnv: HUB_PASS }
    mirror: https://mirror.example.com:5000/
images:
  - nginx
  - ref: ghcr.io/org/app
    tags: ["1.2.3", "1.2.4"]
  - ref: quay.io/org/tool
    tagRegex: '^v1\\.[0-9]+$'
  - ref: registry.k8s.io/pause
    semver: ">=3.9 <4"
  - ref: alpine:3.20@${DIGEST}
    platforms: [linux/amd64]
    optionalPlatforms: true
  - ref: example.com:5000/a/b@${DIGEST}
    platforms: all
`);

  it("normalises references and selectors", () => {
    const got = list.images.map((e) => [e.registry, e.repository, e.selector]);
    assert.deepEqual(got, [
      ["docker.io", "library/nginx", { kind: "tag", tag: "latest" }],
      ["ghcr.io", "org/app", { kind: "tags", tags: ["1.2.3", "1.2.4"] }],
      ["quay.io", "org/tool", { kind: "regex", pattern: "^v1\\.[0-9]+$" }],
      ["registry.k8s.io", "pause", { kind: "semver", range: ">=3.9 <4" }],
      ["docker.io", "library/alpine", { kind: "tag", tag: "3.20", digest: DIGEST }],
      ["example.com:5000", "a/b", { kind: "digest", digest: DIGEST }],
    ]);
  });

  it("normalises, sorts and deduplicates platforms; entries fall back to the defaults", () => {
    assert.deepEqual(list.platforms, ["linux/amd64", "linux/arm/v7", "linux/arm64"]);
    assert.deepEqual(list.images[0]?.platforms, list.platforms);
    assert.deepEqual(list.images[4]?.platforms, ["linux/amd64"]);
    assert.equal(list.images[4]?.optionalPlatforms, true);
    assert.equal(list.images[5]?.platforms, "all");
  });

  it("keys registries by normalised host and resolves paths against the list's directory", () => {
    const file = path.resolve("/srv/lists/airlock.yaml");
    const withDir = parseImageList(
      `registries: {r.example.com: {caFile: ./ca.pem}}\nimages: [nginx]\n`,
      file,
    );
    assert.equal(withDir.list?.registries["r.example.com"]?.caFile, path.resolve("/srv/lists/ca.pem"));
    assert.deepEqual(list.registries, {
      "docker.io": {
        caFile: path.resolve("certs/ca.pem"),
        authFile: path.resolve("/etc/airlock/auth.json"),
        usernameEnv: "HUB_USER",
        passwordEnv: "HUB_PASS",
        mirror: "mirror.example.com:5000",
      },
    });
  });

  it("records where each entry starts", () => {
    assert.deepEqual(list.images[0]?.position, { file: "airlock.yaml", line: 11, column: 5 });
    assert.equal(list.images[1]?.source, "ghcr.io/org/app");
  });

  it("defaults to linux/amd64 when no platforms are named", () => {
    assert.deepEqual(parseOk("images: [nginx]").platforms, ["linux/amd64"]);
  });
});

describe("a registry's network settings", () => {
  it("reads timeout and retryFor as durations, retryFor 0 as no retries, and puts them on that registry's client", () => {
    const list = parseOk(`
registries:
  a.example.com: { timeout: 2m, retryFor: 15m }
  b.example.com: { retryFor: 0 }
  c.example.com: { retryFor: 90 }
images: [a.example.com/x:1]
`);
    assert.deepEqual(list.registries["a.example.com"], { timeoutMs: 120_000, retryForMs: 900_000 });
    assert.deepEqual(list.registries["b.example.com"], { retryForMs: 0 });
    assert.deepEqual(list.registries["c.example.com"], { retryForMs: 90_000 });
    const base = { retryForMs: 300_000, timeoutMs: 30_000 };
    assert.equal(optionsFor("b.example.com", { retryForMs: 0 }, base).retryForMs, 0);
    assert.equal(optionsFor("d.example.com", {}, base).retryForMs, 300_000, "--retry-for otherwise");
  });
  it("refuses a retryFor that is not a duration, or negative, at its path", () => {
    for (const value of ["soon", "-1"]) {
      const problems = problemsOf(
        `registries:\n  a.example.com:\n    retryFor: ${value}\nimages: [a.example.com/x:1]\n`,
      );
      assert.deepEqual(
        problems.map((p) => p.path),
        ['registries["a.example.com"].retryFor'],
        value,
      );
    }
  });
});

describe("foreign formats normalise like the equivalent airlock.yaml", () => {
  const equivalentAirlock = `
registries:
  registry.example.com: { insecure: true }
images:
  - ref: registry.example.com/team/busybox
    tagRegex: ^.*$
  - registry.example.com/team/redis:7.2
  - registry.example.com/team/redis@${DIGEST}
  - ref: registry.example.com/team/nginx
    tagRegex: ^1\\.27\\.[0-9]+$
  - ref: registry.example.com/team/alpine
    semver: ">= 3.19.0 < 4"
  - docker.io/library/nginx:1.27
`;
  const cases: { name: string; file: string; text: string; airlock: string }[] = [
    {
      name: "skopeo sync YAML",
      file: "sync.yaml",
      text: `
registry.example.com:
  images:
    team/busybox: []
    team/redis: ["7.2", "${DIGEST}"]
  images-by-tag-regex:
    team/nginx: ^1\\.27\\.[0-9]+$
  images-by-semver:
    team/alpine: ">= 3.19.0, < 4"
  tls-verify: false
docker.io:
  images:
    nginx: ["1.27"]
`,
      airlock: equivalentAirlock,
    },
    {
      name: "mindthegap images.yaml",
      file: "images.yaml",
      text: `
registry.example.com:
  tlsVerify: false
  images:
    team/redis: ["7.2", "${DIGEST}"]
docker.io:
  images:
    library/nginx: ["1.27"]
`,
      airlock: `
registries:
  registry.example.com: { insecure: true }
images:
  - registry.example.com/team/redis:7.2
  - registry.example.com/team/redis@${DIGEST}
  - nginx:1.27
`,
    },
    {
      name: "text list",
      file: "images.txt",
      text: `# comment\n\nnginx:1.27\n  registry.example.com/team/app   # trailing comment\nr.example.com/a@${DIGEST}\n`,
      airlock: `images: [docker.io/library/nginx:1.27, registry.example.com/team/app, "r.example.com/a@${DIGEST}"]`,
    },
    {
      name: "text list without .txt",
      file: "list",
      text: "nginx:1.27\nregistry.example.com/team/app\n",
      airlock: "images: [nginx:1.27, registry.example.com/team/app]",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const foreign = parseOk(c.text, c.file);
      const native = parseOk(c.airlock);
      assert.deepEqual(content(foreign), content(native));
      assert.deepEqual(foreign.registries, native.registries);
      assert.deepEqual(foreign.platforms, ["linux/amd64"]);
    });
  }

  it("detects each format", () => {
    assert.equal(parseOk(cases[0]?.text ?? "", "any.yaml").format, "skopeo-sync");
    assert.equal(parseOk(cases[1]?.text ?? "", "any.yaml").format, "mindthegap");
    assert.equal(parseOk("docker.io:\n  images:\n    nginx: [a]\n", "images.yaml").format, "mindthegap");
    assert.equal(parseOk("docker.io:\n  images:\n    nginx: [a]\n", "sync.yml").format, "skopeo-sync");
    assert.equal(parseOk("nginx\n", "list").format, "text");
  });

  it("points text-list problems at their line", () => {
    const problems = problemsOf("nginx\n\n  Bad/Name\n", "images.txt");
    assert.deepEqual(
      problems.map((p) => [p.position.line, p.position.column, p.path]),
      [[3, 3, ""]],
    );
  });
});

describe("inline credentials in foreign formats", () => {
  it("are accepted with a warning, and never kept or repeated", () => {
    const text = `registry.example.com:\n  credentials: {username: john, password: s3cr3t-value}\n  images:\n    app: ["1"]\n`;
    const result = parseImageList(text, "sync.yaml");
    assert.ok(result.list);
    assert.equal(result.warnings.length, 1);
    assert.deepEqual(result.warnings[0]?.position, { file: "sync.yaml", line: 2, column: 3 });
    const everything = JSON.stringify(result);
    assert.ok(!everything.includes("s3cr3t-value") && !everything.includes("john"));
  });
});

describe("skopeo cert-dir", () => {
  const text = "r.example.com:\n  cert-dir: /certs\n  images:\n    app: ['1']\n";
  const cases: { files: string[]; ok: boolean }[] = [
    { files: ["ca.crt", "client.cert", "client.key"], ok: true },
    { files: [], ok: false },
    { files: ["a.crt", "b.crt"], ok: false },
  ];
  for (const c of cases) {
    it(`${c.files.join(", ") || "empty"} → ${c.ok ? "caFile" : "a problem"}`, () => {
      const result = parseImageList(text, "sync.yaml", { listDir: () => c.files });
      if (c.ok) assert.equal(result.list?.registries["r.example.com"]?.caFile, path.resolve("/certs/ca.crt"));
      else
        assert.deepEqual(
          result.problems.map((p) => [p.path, p.position.line]),
          [['["r.example.com"].cert-dir', 2]],
        );
    });
  }
});

describe("a file with many mistakes", () => {
  const bad = `version: 1
defaults:
  platfroms: [linux/amd64]
registries:
  registry.example.com:
    insecure: "false"
    password: hunter2-secret
images:
  - docker.io/library/nginx:1.27
  - ghcr.io/Org/App:1.0
  - ref: quay.example.com/org/tool
    tagRegex: '^v1\\.[0-9+$'
  - ref: registry.example.com/pause
    semver: ">=3.9 <<4"
  - ref: registry.example.com/app
    tags: ["1.0"]
    semver: ">=1"
  - ref: alpine:3.20
    platforms: [linux/amd64, linux/amd]
  - ref: registry.example.com/tool
    tags: [1.20]
`;
  const problems = problemsOf(bad);
  const expected: [line: number, column: number, path: string, mentions: RegExp][] = [
    [3, 3, "defaults.platfroms", /unknown key "platfroms"; did you mean "platforms"\?/],
    [6, 15, 'registries["registry.example.com"].insecure', /true or false/],
    [7, 5, 'registries["registry.example.com"].password', /usernameEnv\/passwordEnv.*authFile/],
    [10, 5, "images[1]", /lowercase/],
    [12, 15, "images[2].tagRegex", /regular expression/],
    [14, 13, "images[3].semver", /semver range/],
    [17, 5, "images[4].semver", /"tags" and "semver" conflict/],
    [19, 30, "images[5].platforms[1]", /"linux\/amd" is not a platform.*"linux\/amd64"/],
    [21, 12, "images[6].tags[0]", /quote it: "1.20"/],
  ];

  it("reports exactly one problem per mistake", () => {
    assert.equal(problems.length, expected.length, problems.map(formatProblem).join("\n"));
  });
  for (const [line, column, p, mentions] of expected) {
    it(`${line}:${column} ${p}`, () => {
      const found = problems.find((x) => x.path === p);
      assert.ok(found, `no problem at ${p}`);
      assert.deepEqual([found.position.line, found.position.column], [line, column]);
      assert.match(found.message, mentions);
    });
  }

  it("never repeats a secret", () => {
    assert.ok(!problems.map(formatProblem).join("\n").includes("hunter2"));
  });

  it("formats problems as file:line:col path: message", () => {
    assert.match(formatProblem(problems[0]!), /^airlock\.yaml:3:3 defaults\.platfroms: unknown key/);
  });
});

describe("single problems", () => {
  const cases: {
    name: string;
    text: string;
    file?: string;
    at: [number, number, string];
    mentions?: RegExp;
  }[] = [
    { name: "YAML syntax error", text: "images:\n  - a\n  b: [\n", at: [3, 3, ""], mentions: /YAML/ },
    { name: "duplicated key", text: "images: [a]\nimages: [b]\n", at: [2, 1, ""], mentions: /duplicated/ },
    { name: "two documents", text: "images: [a]\n---\nimages: [b]\n", at: [3, 1, ""] },
    { name: "empty file", text: "# nothing\n", at: [1, 1, ""], mentions: /empty/ },
    { name: "empty text list", text: "", file: "x.txt", at: [1, 1, ""], mentions: /empty/ },
    { name: "no images key", text: "version: 1\n", at: [1, 1, ""], mentions: /"images"/ },
    { name: "empty images", text: "images: []\n", at: [1, 9, "images"] },
    { name: "images not a list", text: "images: nginx\n", at: [1, 9, "images"], mentions: /list of images/ },
    { name: "images empty", text: "images:\n", at: [1, 1, "images"], mentions: /is empty/ },
    { name: "top-level list", text: "- nginx\n- alpine\n", at: [1, 1, ""], mentions: /mapping/ },
    { name: "typo at top level", text: "imagse: [nginx]\n", at: [1, 1, "imagse"], mentions: /"images"/ },
    {
      name: "platform in a flow sequence",
      text: "images:\n  - ref: nginx\n    platforms: [linux/amd64, linux/amd]\n",
      at: [3, 30, "images[0].platforms[1]"],
    },
    {
      name: "duplicate entries",
      text: "images:\n  - nginx:1.27\n  - ref: docker.io/library/nginx:1.27\n",
      at: [3, 5, "images[1]"],
      mentions: /duplicate.*images\[0\] \(line 2\)/,
    },
    {
      name: "tag in ref and tags",
      text: "images:\n  - ref: nginx:1.27\n    tags: [a]\n",
      at: [3, 5, "images[0].tags"],
      mentions: /conflict/,
    },
    {
      name: "entry without ref",
      text: "images:\n  - tags: [a]\n",
      at: [2, 5, "images[0]"],
      mentions: /"ref"/,
    },
    {
      name: "misspelt ref",
      text: "images:\n  - rfe: nginx\n",
      at: [2, 5, "images[0].rfe"],
      mentions: /"ref"/,
    },
    { name: "not a string or mapping", text: "images: [42]\n", at: [1, 10, "images[0]"] },
    {
      name: "unknown key with no near match",
      text: "images:\n  - ref: a\n    color: blue\n",
      at: [3, 5, "images[0].color"],
      mentions: /expected "ref", "tags"/,
    },
    {
      name: "env var value in usernameEnv",
      text: "registries:\n  r.example.com:\n    credentials: {usernameEnv: 'not a name', passwordEnv: P}\nimages: [a]\n",
      at: [3, 32, 'registries["r.example.com"].credentials.usernameEnv'],
      mentions: /NAME of an environment variable/,
    },
    {
      name: "inline username in credentials",
      text: "registries:\n  r.example.com:\n    credentials: {username: bob}\nimages: [a]\n",
      at: [3, 19, 'registries["r.example.com"].credentials.username'],
      mentions: /not allowed/,
    },
    {
      name: "yes is not a boolean",
      text: "images:\n  - ref: a\n    optionalPlatforms: yes\n",
      at: [3, 24, "images[0].optionalPlatforms"],
    },
    {
      name: "bad registry host",
      text: "registries:\n  'bad host': {}\nimages: [a]\n",
      at: [2, 3, 'registries["bad host"]'],
    },
    {
      name: "same registry twice",
      text: "registries:\n  index.docker.io: {}\n  docker.io: {}\nimages: [a]\n",
      at: [3, 3, 'registries["docker.io"]'],
    },
    { name: "version 2", text: "version: 2\nimages: [a]\n", at: [1, 10, "version"], mentions: /must be 1/ },
    {
      name: "mindthegap empty tag list",
      file: "images.yaml",
      text: "docker.io:\n  tlsVerify: true\n  images:\n    nginx: []\n",
      at: [4, 12, '["docker.io"].images.nginx'],
    },
    {
      name: "skopeo unknown key",
      file: "sync.yaml",
      text: "r.example.com:\n  tls-verfy: false\n  images: {a: ['1']}\n",
      at: [2, 3, '["r.example.com"].tls-verfy'],
      mentions: /"tls-verify"/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const problems = problemsOf(c.text, c.file);
      assert.equal(problems.length, 1, problems.map(formatProblem).join("\n"));
      const [p] = problems;
      assert.deepEqual([p?.position.line, p?.position.column, p?.path], c.at);
      if (c.mentions) assert.match(p?.message ?? "", c.mentions);
    });
  }
});

describe("loadImageList, validateImageList and airlock validate", () => {
  let dir = "";
  const io = (): { ctx: CommandContext; lines: string[] } => {
    const lines: string[] = [];
    const stderr = { write: (text: string) => lines.push(...text.replace(/\n$/, "").split("\n")) };
    const log = createLog(stderr as unknown as NodeJS.WritableStream, "info");
    const ctx = {
      positionals: [],
      values: {},
      io: { stderr },
      say: log.info,
      log,
      json: false,
    } as unknown as CommandContext;
    return { ctx, lines };
  };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "airlock-imagelist-"));
    await writeFile(path.join(dir, "good.yaml"), "images: [nginx:1.27, alpine]\n");
    await writeFile(
      path.join(dir, "bad.yaml"),
      "images:\n  - ref: nginx\n    platforms: [linux/amd]\n  - Bad\n",
    );
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it("loads a good list", async () => {
    const list = await loadImageList(path.join(dir, "good.yaml"));
    assert.equal(list.images.length, 2);
  });

  it("throws ImageListError with every problem", async () => {
    const file = path.join(dir, "bad.yaml");
    await assert.rejects(loadImageList(file), (err: unknown) => {
      assert.ok(err instanceof ImageListError);
      assert.equal(err.code, "ERR_IMAGELIST_INVALID");
      assert.equal(err.problems.length, 2);
      assert.equal(err.message.split("\n").length, 2);
      return true;
    });
  });

  it("throws ERR_FILE for a missing file", async () => {
    await assert.rejects(validateImageList(path.join(dir, "missing.yaml")), { code: "ERR_FILE" });
  });

  const runs: [file: string, exit: number, lines: number, first: RegExp][] = [
    ["good.yaml", 0, 1, /good\.yaml: ok \(2 images, format airlock\)$/],
    ["bad.yaml", 2, 2, /bad\.yaml:3:17 images\[0\]\.platforms\[0\]: /],
    ["missing.yaml", 2, 1, /^cannot read .*missing\.yaml: /],
  ];
  for (const [name, exit, count, first] of runs) {
    it(`validate -f ${name} → exit ${exit}`, async () => {
      const { ctx, lines } = io();
      ctx.values.file = path.join(dir, name);
      assert.equal((await validateCommand.run(ctx)) ?? 0, exit);
      assert.equal(lines.length, count, lines.join("\n"));
      assert.match(lines[0] ?? "", first);
    });
  }
});
