import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { AirlockError } from "../../src/errors.js";
import {
  type Reference,
  formatReference,
  formatRepository,
  isDockerHub,
  isLoopbackRegistry,
  parseReference,
  parseRegistry,
  parseRepository,
  registryApiHost,
  splitHostPort,
} from "../../src/ref/reference.js";

const HEX = "0123456789abcdef".repeat(4);
const DIGEST = `sha256:${HEX}`;
const TAG_128 = "t".repeat(128);
const PATH_255 = `${"a".repeat(127)}/${"b".repeat(127)}`;
const HUB_PATH_255 = `${"n".repeat(127)}/${"m".repeat(127)}`;

interface GoodCase {
  input: string;
  want: Reference;
  formatted: string;
}

function good(input: string, want: Reference, formatted: string): GoodCase {
  return { input, want, formatted };
}

const GOOD: GoodCase[] = [
  good(
    "ubuntu",
    { registry: "docker.io", repository: "library/ubuntu", tag: "latest" },
    "docker.io/library/ubuntu:latest",
  ),
  good(
    "ubuntu:22.04",
    { registry: "docker.io", repository: "library/ubuntu", tag: "22.04" },
    "docker.io/library/ubuntu:22.04",
  ),
  good(
    "library/ubuntu",
    { registry: "docker.io", repository: "library/ubuntu", tag: "latest" },
    "docker.io/library/ubuntu:latest",
  ),
  good(
    "docker.io/ubuntu",
    { registry: "docker.io", repository: "library/ubuntu", tag: "latest" },
    "docker.io/library/ubuntu:latest",
  ),
  good(
    "index.docker.io/library/ubuntu",
    { registry: "docker.io", repository: "library/ubuntu", tag: "latest" },
    "docker.io/library/ubuntu:latest",
  ),
  good(
    "index.docker.io/ubuntu:20.04",
    { registry: "docker.io", repository: "library/ubuntu", tag: "20.04" },
    "docker.io/library/ubuntu:20.04",
  ),
  good(
    "myhost/app",
    { registry: "docker.io", repository: "myhost/app", tag: "latest" },
    "docker.io/myhost/app:latest",
  ),
  good("localhost/app", { registry: "localhost", repository: "app", tag: "latest" }, "localhost/app:latest"),
  good(
    "localhost:5000/app:1",
    { registry: "localhost:5000", repository: "app", tag: "1" },
    "localhost:5000/app:1",
  ),
  good(
    `127.0.0.1:5000/a/b/c:v@${DIGEST}`,
    { registry: "127.0.0.1:5000", repository: "a/b/c", tag: "v", digest: DIGEST },
    `127.0.0.1:5000/a/b/c:v@${DIGEST}`,
  ),
  good(
    "[::1]:5000/app",
    { registry: "[::1]:5000", repository: "app", tag: "latest" },
    "[::1]:5000/app:latest",
  ),
  good("[::1]/app", { registry: "[::1]", repository: "app", tag: "latest" }, "[::1]/app:latest"),
  good(
    `ghcr.io/org/app@${DIGEST}`,
    { registry: "ghcr.io", repository: "org/app", digest: DIGEST },
    `ghcr.io/org/app@${DIGEST}`,
  ),
  good(
    `ubuntu@${DIGEST}`,
    { registry: "docker.io", repository: "library/ubuntu", digest: DIGEST },
    `docker.io/library/ubuntu@${DIGEST}`,
  ),
  good(
    "foo_bar/a__b-c.d",
    { registry: "docker.io", repository: "foo_bar/a__b-c.d", tag: "latest" },
    "docker.io/foo_bar/a__b-c.d:latest",
  ),
  good(
    "a---b/c",
    { registry: "docker.io", repository: "a---b/c", tag: "latest" },
    "docker.io/a---b/c:latest",
  ),
  good(
    "example.com/app:Tag_With.Upper-1",
    { registry: "example.com", repository: "app", tag: "Tag_With.Upper-1" },
    "example.com/app:Tag_With.Upper-1",
  ),
  good(
    "Example.com/app",
    { registry: "Example.com", repository: "app", tag: "latest" },
    "Example.com/app:latest",
  ),
  good("Host/app", { registry: "Host", repository: "app", tag: "latest" }, "Host/app:latest"),
  good(
    "dev.localhost/app",
    { registry: "dev.localhost", repository: "app", tag: "latest" },
    "dev.localhost/app:latest",
  ),
  good(
    "localhost:5000",
    { registry: "docker.io", repository: "library/localhost", tag: "5000" },
    "docker.io/library/localhost:5000",
  ),
  good(
    `ubuntu:${TAG_128}`,
    { registry: "docker.io", repository: "library/ubuntu", tag: TAG_128 },
    `docker.io/library/ubuntu:${TAG_128}`,
  ),
  good(
    `ghcr.io/${PATH_255}`,
    { registry: "ghcr.io", repository: PATH_255, tag: "latest" },
    `ghcr.io/${PATH_255}:latest`,
  ),
  good(
    HUB_PATH_255,
    { registry: "docker.io", repository: HUB_PATH_255, tag: "latest" },
    `docker.io/${HUB_PATH_255}:latest`,
  ),
  good(
    `a@sha512:${"ab".repeat(64)}`,
    { registry: "docker.io", repository: "library/a", digest: `sha512:${"ab".repeat(64)}` },
    `docker.io/library/a@sha512:${"ab".repeat(64)}`,
  ),
  good(
    `a@blake3:${"AB".repeat(16)}`,
    { registry: "docker.io", repository: "library/a", digest: `blake3:${"AB".repeat(16)}` },
    `docker.io/library/a@blake3:${"AB".repeat(16)}`,
  ),
];

const BAD: Array<[input: string, why: string]> = [
  ["", "empty"],
  ["Ubuntu:latest", "uppercase repository"],
  ["ghcr.io/Org/app", "uppercase repository after a host"],
  [`ubuntu:${"t".repeat(129)}`, "129-char tag"],
  [`ghcr.io/${"a".repeat(128)}/${"b".repeat(127)}`, "256-char path"],
  [`${"n".repeat(248)}`, "249-char Docker Hub name is 257 with library/"],
  [HEX, "bare 64-hex"],
  ["a:", "trailing :"],
  ["a@", "trailing @"],
  ["a@sha256:short", "short sha256"],
  [`a@sha256:${HEX}0`, "65-hex sha256"],
  [`a@sha256:${HEX.toUpperCase()}`, "uppercase sha256 hex"],
  ["a@md5:abc", "unknown algorithm with too little hex"],
  ["a@sha256", "digest without colon"],
  [`a@@${DIGEST}`, "double @"],
  [":tag", "no name before tag"],
  [`@${DIGEST}`, "no name before digest"],
  ["/a", "leading /"],
  ["a//b", "double /"],
  ["a/", "trailing /"],
  ["docker.io/", "host without path"],
  ["-a", "leading -"],
  ["a-", "trailing -"],
  ["a..b", "double ."],
  ["a___b", "triple _"],
  ["a b", "space"],
  [" ubuntu", "leading space"],
  ["ubuntu\n", "newline"],
  ["a:b:c", "two colons"],
  ["a:-b", "tag starting with -"],
  ["a:.b", "tag starting with ."],
  ["a$b", "unsupported character"],
  ["ubuntu:22.04/x", "tag-like host"],
  ["host:abc/app", "non-numeric port"],
  ["host:99999/app", "port out of range"],
  ["-host.com/app", "host starting with -"],
  ["[::1/app", "unclosed IPv6"],
  ["docker://ubuntu", "transport prefix"],
  ["https://ghcr.io/org/app", "URL"],
];

function assertRefInvalid(fn: () => unknown, input: string, kind: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AirlockError);
    assert.equal(err.code, "ERR_REF_INVALID");
    assert.ok(err.message.startsWith(`invalid ${kind} ${JSON.stringify(input)}: `), err.message);
    assert.ok(!err.message.includes("\n"), "message is one line");
    return true;
  });
}

void describe("parseReference", () => {
  for (const { input, want, formatted } of GOOD) {
    void it(`parses ${JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input)}`, () => {
      const ref = parseReference(input);
      assert.deepEqual(ref, want);
      assert.equal(formatReference(ref), formatted);
      assert.deepEqual(parseReference(formatted), want, "the formatted string parses back");
    });
  }

  for (const [input, why] of BAD) {
    void it(`refuses ${why}`, () => assertRefInvalid(() => parseReference(input), input, "reference"));
  }

  void it("says what is wrong", () => {
    const cases: Array<[string, RegExp]> = [
      ["Ubuntu:latest", /^invalid reference "Ubuntu:latest": repository name must be lowercase$/],
      [`a:${"t".repeat(129)}`, /129 characters long; the limit is 128/],
      [`ghcr.io/${"a".repeat(128)}/${"b".repeat(127)}`, /256 characters long; the limit is 255/],
      ["a@sha256:short", /sha256 needs exactly 64/],
      ["a:", /nothing follows ":"/],
      ["a@", /nothing follows "@"/],
      [HEX, /image ID/],
      ["a b", /whitespace/],
      ["", /empty/],
      ["a//b", /empty component/],
      ["-a", /component "-a" is invalid/],
    ];
    for (const [input, pattern] of cases) {
      assert.throws(
        () => parseReference(input),
        (err: unknown) => err instanceof AirlockError && pattern.test(err.message),
      );
    }
  });
});

void describe("parseRepository", () => {
  void it("normalises without a default tag", () => {
    assert.deepEqual(parseRepository("ubuntu"), { registry: "docker.io", repository: "library/ubuntu" });
    assert.deepEqual(parseRepository("localhost:5000/a/b"), {
      registry: "localhost:5000",
      repository: "a/b",
    });
    assert.deepEqual(parseRepository("index.docker.io/x/y"), { registry: "docker.io", repository: "x/y" });
  });

  for (const input of ["ubuntu:22.04", `ghcr.io/org/app@${DIGEST}`, "localhost:5000", "Ubuntu", "a//b", ""]) {
    void it(`refuses ${JSON.stringify(input)}`, () =>
      assertRefInvalid(() => parseRepository(input), input, "repository"));
  }

  void it("names the tag it found", () => {
    assert.throws(() => parseRepository("ubuntu:22.04"), /no tag or digest \(found tag "22.04"\)/);
  });
});

void describe("parseRegistry", () => {
  const cases: Array<[string, string]> = [
    ["ghcr.io", "ghcr.io"],
    ["docker.io", "docker.io"],
    ["index.docker.io", "docker.io"],
    ["https://index.docker.io/", "docker.io"],
    ["localhost:5000", "localhost:5000"],
    ["http://localhost:5000/", "localhost:5000"],
    ["HTTPS://ghcr.io//", "ghcr.io"],
    ["[::1]:5000", "[::1]:5000"],
    ["127.0.0.1:5000", "127.0.0.1:5000"],
    ["myhost", "myhost"],
  ];
  for (const [input, want] of cases) {
    void it(`parses ${JSON.stringify(input)}`, () => assert.equal(parseRegistry(input), want));
  }

  const bad = [
    "",
    "ghcr.io/org",
    "https://ghcr.io/v2/",
    "ftp://ghcr.io",
    "https://",
    "host:0",
    "a_b",
    " ghcr.io",
  ];
  for (const input of bad) {
    void it(`refuses ${JSON.stringify(input)}`, () =>
      assertRefInvalid(() => parseRegistry(input), input, "registry"));
  }
});

void describe("formatRepository", () => {
  void it("joins registry and repository", () => {
    assert.equal(formatRepository(parseReference("ubuntu:22.04")), "docker.io/library/ubuntu");
    assert.equal(formatRepository({ registry: "[::1]:5000", repository: "a/b" }), "[::1]:5000/a/b");
  });
});

void describe("registryApiHost", () => {
  void it("maps Docker Hub to its API host", () => {
    assert.equal(registryApiHost("docker.io"), "registry-1.docker.io");
    assert.equal(registryApiHost("index.docker.io"), "registry-1.docker.io");
    assert.equal(registryApiHost("ghcr.io"), "ghcr.io");
    assert.equal(registryApiHost("localhost:5000"), "localhost:5000");
  });
});

void describe("isDockerHub", () => {
  void it("knows Docker Hub by each of its names, and nothing else", () => {
    for (const name of ["docker.io", "index.docker.io", "registry-1.docker.io"])
      assert.ok(isDockerHub(name), name);
    for (const name of ["ghcr.io", "localhost:5000", "docker.io.example.com", "mirror.gcr.io"]) {
      assert.ok(!isDockerHub(name), name);
    }
  });
});

void describe("isLoopbackRegistry", () => {
  const loopback = [
    "localhost",
    "localhost:5000",
    "LOCALHOST:5000",
    "dev.localhost",
    "a.b.localhost:8080",
    "127.0.0.1",
    "127.0.0.1:5000",
    "127.1.2.3:80",
    "127.255.255.255",
    "[::1]",
    "[::1]:5000",
    "[0:0:0:0:0:0:0:1]:5000",
  ];
  for (const registry of loopback) {
    void it(`${registry} is loopback`, () => assert.equal(isLoopbackRegistry(registry), true));
  }

  const remote = [
    "docker.io",
    "ghcr.io",
    "localhost.example.com",
    "notlocalhost",
    "128.0.0.1",
    "10.0.0.1:5000",
    "127.0.0.256",
    "0127.0.0.1",
    "127.0.0",
    "[::2]",
    "[::]",
    "not a host",
  ];
  for (const registry of remote) {
    void it(`${registry} is not loopback`, () => assert.equal(isLoopbackRegistry(registry), false));
  }
});

void describe("splitHostPort", () => {
  const cases: Array<[string, { hostname: string; port?: number }]> = [
    ["ghcr.io", { hostname: "ghcr.io" }],
    ["localhost:5000", { hostname: "localhost", port: 5000 }],
    ["127.0.0.1:80", { hostname: "127.0.0.1", port: 80 }],
    ["[::1]", { hostname: "::1" }],
    ["[::1]:5000", { hostname: "::1", port: 5000 }],
    ["[fe80::1:2]:443", { hostname: "fe80::1:2", port: 443 }],
  ];
  for (const [input, want] of cases) {
    void it(`splits ${input}`, () => assert.deepEqual(splitHostPort(input), want));
  }

  for (const input of ["", "host:", "host:x", "host:70000", "[::1", "a/b"]) {
    void it(`refuses ${JSON.stringify(input)}`, () =>
      assertRefInvalid(() => splitHostPort(input), input, "registry"));
  }
});
