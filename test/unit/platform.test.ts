import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  formatPlatform,
  isAttestation,
  listPlatforms,
  parsePlatform,
  platformMatches,
  selectPlatform,
} from "../../src/oci/platform.js";
import type { Descriptor } from "../../src/oci/types.js";

describe("parsePlatform", () => {
  const cases: [string, string][] = [
    ["linux/amd64", "linux/amd64"],
    ["linux/x86_64", "linux/amd64"],
    ["linux/aarch64", "linux/arm64"],
    ["linux/arm64/v8", "linux/arm64"],
    ["linux/arm", "linux/arm/v7"],
    ["linux/armhf", "linux/arm/v7"],
    ["linux/arm/v6", "linux/arm/v6"],
    ["Linux/AMD64", "linux/amd64"],
    ["windows/amd64", "windows/amd64"],
  ];
  for (const [input, want] of cases) {
    it(`${input} → ${want}`, () => assert.equal(formatPlatform(parsePlatform(input)), want));
  }
  for (const bad of ["linux", "linux/", "/amd64", "linux/amd64/v8/x", "linux amd64", ""]) {
    it(`refuses ${JSON.stringify(bad)}`, () =>
      assert.throws(() => parsePlatform(bad), { code: "ERR_PLATFORM_INVALID" }));
  }
});

const d = (digest: string, platform?: Descriptor["platform"]): Descriptor => {
  const desc: Descriptor = { mediaType: "application/vnd.oci.image.manifest.v1+json", digest, size: 1 };
  if (platform) desc.platform = platform;
  return desc;
};

describe("platformMatches and selectPlatform", () => {
  const index: Descriptor[] = [
    d("sha256:att", { os: "unknown", architecture: "unknown" }),
    d("sha256:amd", { os: "linux", architecture: "amd64" }),
    d("sha256:arm64", { os: "linux", architecture: "arm64", variant: "v8" }),
    d("sha256:armv6", { os: "linux", architecture: "arm", variant: "v6" }),
    d("sha256:armv7", { os: "linux", architecture: "arm", variant: "v7" }),
  ];
  it("matches arm64 with and without v8", () => {
    assert.equal(selectPlatform(index, parsePlatform("linux/arm64"))?.digest, "sha256:arm64");
    assert.equal(selectPlatform(index, parsePlatform("linux/arm64/v8"))?.digest, "sha256:arm64");
  });
  it("matches the requested arm variant", () => {
    assert.equal(selectPlatform(index, parsePlatform("linux/arm/v7"))?.digest, "sha256:armv7");
    assert.equal(selectPlatform(index, parsePlatform("linux/arm/v6"))?.digest, "sha256:armv6");
  });
  it("never selects an attestation entry", () => {
    assert.equal(selectPlatform(index, { os: "unknown", architecture: "unknown" }), undefined);
    assert.ok(isAttestation(index[0] as Descriptor));
  });
  it("treats a descriptor without a platform as linux/amd64", () => {
    assert.ok(platformMatches(parsePlatform("linux/amd64"), undefined));
    assert.ok(!platformMatches(parsePlatform("linux/arm64"), undefined));
  });
  it("compares Windows os.version on major.minor.build", () => {
    const want = { os: "windows", architecture: "amd64", "os.version": "10.0.17763" };
    assert.ok(platformMatches(want, { ...want, "os.version": "10.0.17763.5576" }));
    assert.ok(!platformMatches(want, { ...want, "os.version": "10.0.20348.1" }));
  });
  it("lists runnable platforms in index order", () => {
    assert.deepEqual(listPlatforms(index), ["linux/amd64", "linux/arm64", "linux/arm/v6", "linux/arm/v7"]);
  });
});
