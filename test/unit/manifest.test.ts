import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sha256Digest, parseDigest } from "../../src/oci/digest.js";
import { normalizeContentType, parseManifest } from "../../src/oci/manifest.js";
import { MediaType } from "../../src/oci/media-types.js";

const desc = { mediaType: MediaType.OciConfig, digest: "sha256:" + "a".repeat(64), size: 2 };
const bytes = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

describe("parseManifest", () => {
  it("reads the media type from the body first", () => {
    const m = parseManifest(
      bytes({ schemaVersion: 2, mediaType: MediaType.DockerManifest, config: desc, layers: [] }),
      MediaType.OciManifest,
    );
    assert.equal(m.kind, "image");
    assert.equal(m.mediaType, MediaType.DockerManifest);
  });
  it("falls back to the Content-Type, parameters stripped", () => {
    const m = parseManifest(
      bytes({ schemaVersion: 2, manifests: [] }),
      `${MediaType.DockerManifestList}; charset=utf-8`,
    );
    assert.equal(m.kind, "index");
    assert.equal(m.mediaType, MediaType.DockerManifestList);
  });
  it("sniffs the shape when nothing says", () => {
    assert.equal(parseManifest(bytes({ schemaVersion: 2, manifests: [] })).mediaType, MediaType.OciIndex);
    assert.equal(
      parseManifest(bytes({ schemaVersion: 2, config: desc, layers: [] }), "application/json").mediaType,
      MediaType.OciManifest,
    );
  });
  it("refuses schema 1 with a clear code", () => {
    for (const mt of [MediaType.DockerSchema1, MediaType.DockerSchema1Signed]) {
      assert.throws(() => parseManifest(bytes({ schemaVersion: 1, name: "x", fsLayers: [] }), mt), {
        code: "ERR_MANIFEST_UNSUPPORTED",
        message: /schema 1/,
      });
    }
    assert.throws(() => parseManifest(bytes({ schemaVersion: 1, fsLayers: [] })), {
      code: "ERR_MANIFEST_UNSUPPORTED",
    });
  });
  it("refuses invalid JSON and broken descriptors", () => {
    assert.throws(() => parseManifest(Buffer.from("{")), { code: "ERR_MANIFEST_INVALID" });
    assert.throws(() => parseManifest(bytes([1])), { code: "ERR_MANIFEST_INVALID" });
    assert.throws(() => parseManifest(bytes({ schemaVersion: 2, manifests: [{ digest: "x" }] })), {
      code: "ERR_MANIFEST_INVALID",
    });
  });
  it("refuses other media types", () => {
    assert.throws(() => parseManifest(bytes({ mediaType: "text/html" })), {
      code: "ERR_MANIFEST_UNSUPPORTED",
    });
  });
});

describe("digests", () => {
  it("hashes raw bytes", () => {
    assert.equal(
      sha256Digest(Buffer.from("")),
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });
  it("parses and refuses", () => {
    assert.equal(parseDigest("sha256:" + "0".repeat(64)).hex, "0".repeat(64));
    for (const bad of ["sha256:abc", "md5:" + "0".repeat(32), "sha256:" + "G".repeat(64), "nope"]) {
      assert.throws(() => parseDigest(bad), { code: "ERR_DIGEST_INVALID" });
    }
  });
  it("normalises content types", () => {
    assert.equal(normalizeContentType("Application/JSON; charset=UTF-8"), "application/json");
    assert.equal(normalizeContentType(undefined), undefined);
  });
});
