import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { AirlockError } from "../../src/errors.js";
import { MediaType } from "../../src/oci/media-types.js";
import { acceptsManifest } from "../../src/serve/accept.js";
import { parseListen, urlHost } from "../../src/serve/listen.js";
import { paginate } from "../../src/serve/paginate.js";
import { parseRange, type RangeRequest } from "../../src/serve/range.js";
import { parseRoute, type Route } from "../../src/serve/routes.js";
import { repositoryOfDirectory } from "../../src/serve/sources.js";

const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

describe("parseRoute", () => {
  const cases: [string, Route | { kind: "error"; status: number; code: string }][] = [
    ["/v2/", { kind: "ping" }],
    ["/v2", { kind: "ping" }],
    ["/v2/_catalog", { kind: "catalog" }],
    ["/v2/a/b/tags/list", { kind: "tags", name: "a/b" }],
    ["/v2/a/manifests/v1", { kind: "manifest", name: "a", reference: "v1", byDigest: false }],
    [`/v2/a/manifests/${DIGEST}`, { kind: "manifest", name: "a", reference: DIGEST, byDigest: true }],
    [
      "/v2/a/manifests/b/manifests/v1",
      { kind: "manifest", name: "a/manifests/b", reference: "v1", byDigest: false },
    ],
    [`/v2/a/blobs/${DIGEST}`, { kind: "blob", name: "a", digest: DIGEST }],
    ["/v2/a/blobs/uploads/", { kind: "upload", name: "a" }],
    ["/v2/a/blobs/uploads/123", { kind: "upload", name: "a" }],
    [`/v2/a/referrers/${DIGEST}`, { kind: "referrers", name: "a", digest: DIGEST }],
    ["/v2/../../etc/passwd/manifests/x", { kind: "error", status: 400, code: "NAME_INVALID" }],
    ["/v2/a/%2e%2e/manifests/x", { kind: "error", status: 400, code: "NAME_INVALID" }],
    ["/v2/a//b/tags/list", { kind: "error", status: 400, code: "NAME_INVALID" }],
    ["/v2/A/tags/list", { kind: "error", status: 400, code: "NAME_INVALID" }],
    ["/v2/a/blobs/sha256:zz", { kind: "error", status: 400, code: "DIGEST_INVALID" }],
    ["/v2/a/referrers/latest", { kind: "error", status: 400, code: "DIGEST_INVALID" }],
    ["/v2/a/manifests/sha256:12", { kind: "error", status: 400, code: "DIGEST_INVALID" }],
    ["/v2/a/manifests/.bad", { kind: "error", status: 404, code: "MANIFEST_UNKNOWN" }],
    ["/etc/passwd", { kind: "error", status: 404, code: "NAME_UNKNOWN" }],
    ["/v2/a", { kind: "error", status: 404, code: "NAME_UNKNOWN" }],
  ];
  for (const [path, want] of cases) {
    it(`${path} → ${want.kind}${want.kind === "error" ? ` ${want.code}` : ""}`, () => {
      const got = parseRoute(path);
      if (want.kind === "error") {
        assert.equal(got.kind, "error");
        if (got.kind === "error") assert.deepEqual([got.status, got.code], [want.status, want.code]);
      } else {
        assert.deepEqual(got, want);
      }
    });
  }
});

describe("parseRange", () => {
  const partial = (start: number, end: number): RangeRequest => ({ kind: "partial", start, end });
  const cases: [string | undefined, number, RangeRequest | "invalid"][] = [
    [undefined, 100, { kind: "full" }],
    ["bytes=0-9", 100, partial(0, 9)],
    ["bytes=90-", 100, partial(90, 99)],
    ["bytes=-10", 100, partial(90, 99)],
    ["bytes=-1000", 100, partial(0, 99)],
    ["bytes=50-1000", 100, partial(50, 99)],
    ["BYTES = 1-1", 100, partial(1, 1)],
    ["bytes=0-1,5-6", 100, { kind: "full" }],
    ["bytes=100-", 100, "invalid"],
    ["bytes=-0", 100, "invalid"],
    ["bytes=0-", 0, "invalid"],
    ["bytes=9-3", 100, "invalid"],
    ["bytes=", 100, "invalid"],
    ["bytes=-", 100, "invalid"],
    ["bytes=a-b", 100, "invalid"],
    ["bytes=0-1,x", 100, "invalid"],
    ["items=0-1", 100, "invalid"],
    ["bytes=1234567890123456-", 100, "invalid"],
  ];
  for (const [header, size, want] of cases) {
    it(`${String(header)} of ${size} bytes`, () => {
      const got = parseRange(header, size);
      if (want === "invalid") assert.equal(got.kind, "invalid");
      else assert.deepEqual(got, want);
    });
  }
});

describe("acceptsManifest", () => {
  const cases: [string | string[] | undefined, string, boolean][] = [
    [undefined, MediaType.OciIndex, true],
    ["", MediaType.OciIndex, true],
    ["*/*", MediaType.OciManifest, true],
    [`${MediaType.OciIndex}, ${MediaType.OciManifest}`, MediaType.OciIndex, true],
    [[MediaType.DockerManifest, `${MediaType.OciManifest}; q=0.5`], MediaType.OciManifest, true],
    [MediaType.DockerManifestList, MediaType.OciIndex, false],
    [MediaType.DockerManifest, MediaType.OciManifest, false],
    [MediaType.OciManifest, MediaType.DockerManifestList, true],
    ["application/json", MediaType.DockerManifest, true],
  ];
  for (const [accept, type, want] of cases) {
    it(`${JSON.stringify(accept)} for ${type}: ${want}`, () =>
      assert.equal(acceptsManifest(accept, type), want));
  }
});

describe("paginate", () => {
  const items = ["a", "b", "c", "d"];
  const page = (query: string): ReturnType<typeof paginate> =>
    paginate(items, new URLSearchParams(query), "/v2/x/tags/list");
  it("returns everything without n", () => assert.deepEqual(page(""), { kind: "page", items }));
  it("pages with n and links to the next page", () =>
    assert.deepEqual(page("n=2"), {
      kind: "page",
      items: ["a", "b"],
      link: '</v2/x/tags/list?n=2&last=b>; rel="next"',
    }));
  it("continues after last, without a link on the final page", () =>
    assert.deepEqual(page("n=2&last=b"), { kind: "page", items: ["c", "d"] }));
  it("n=0 is an empty page", () => assert.deepEqual(page("n=0"), { kind: "page", items: [] }));
  it("last past the end is empty", () => assert.deepEqual(page("last=z"), { kind: "page", items: [] }));
  for (const n of ["x", "-1", "1.5", "9999999999"]) {
    it(`refuses n=${n}`, () => assert.equal(page(`n=${n}`).kind, "invalid"));
  }
});

describe("parseListen and urlHost", () => {
  const cases: [string, { host?: string; port: number }][] = [
    ["127.0.0.1:5000", { host: "127.0.0.1", port: 5000 }],
    ["localhost:0", { host: "localhost", port: 0 }],
    ["[::1]:5000", { host: "::1", port: 5000 }],
    [":5000", { port: 5000 }],
    ["5000", { host: "127.0.0.1", port: 5000 }],
  ];
  for (const [text, want] of cases) it(text, () => assert.deepEqual(parseListen(text), want));
  for (const bad of ["", "host:", "host:70000", "a b:1", "http://x:1"]) {
    it(`refuses ${JSON.stringify(bad)}`, () =>
      assert.throws(
        () => parseListen(bad),
        (err: unknown) => err instanceof AirlockError && err.code === "ERR_USAGE",
      ));
  }
  it("formats hosts for URLs", () => {
    assert.equal(urlHost("::1", 5000), "[::1]:5000");
    assert.equal(urlHost("0.0.0.0", 80), "127.0.0.1:80");
    assert.equal(urlHost("10.0.0.1", 80), "10.0.0.1:80");
  });
});

describe("repositoryOfDirectory", () => {
  const cases: [string, string][] = [
    ["/tmp/images", "images"],
    ["/tmp/My Images/", "my-images"],
    ["./demo_layout.v2", "demo_layout.v2"],
    ["/tmp/--", "layout"],
  ];
  for (const [dir, want] of cases)
    it(`${dir} → ${want}`, () => assert.equal(repositoryOfDirectory(dir), want));
});
