import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseChallenges } from "../../src/registry/challenge.js";
import { parseErrorBody, redactUrl } from "../../src/registry/http-errors.js";
import { backoffDelay, parseRetryAfter, DEFAULT_RETRY } from "../../src/registry/retry.js";
import { formatScope, mergeScopes, parseScope, scopesCover } from "../../src/registry/scope.js";

describe("WWW-Authenticate", () => {
  it("parses a bearer challenge with quoted params", () => {
    const c = parseChallenges(
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
    );
    assert.equal(c?.scheme, "bearer");
    assert.equal(c?.params.realm, "https://auth.example/token");
    assert.equal(c?.params.scope, "repository:a/b:pull,push");
  });
  it("prefers bearer over basic and ignores other schemes", () => {
    assert.equal(parseChallenges(['Basic realm="x"', 'Bearer realm="y"'])?.scheme, "bearer");
    assert.equal(parseChallenges(["Negotiate", 'basic realm="r"'])?.scheme, "basic");
    assert.equal(parseChallenges("Negotiate"), undefined);
    assert.equal(parseChallenges(undefined), undefined);
  });
});

describe("scopes", () => {
  it("merges actions per repository, sorted", () => {
    const merged = mergeScopes([
      { type: "repository", name: "a", actions: ["pull"] },
      { type: "repository", name: "b", actions: ["pull"] },
      { type: "repository", name: "a", actions: ["push", "pull"] },
    ]);
    assert.deepEqual(merged.map(formatScope), ["repository:a:pull,push", "repository:b:pull"]);
  });
  it("parses names with a port", () => {
    assert.deepEqual(parseScope("repository:host:5000/x:pull"), {
      type: "repository",
      name: "host:5000/x",
      actions: ["pull"],
    });
    assert.equal(parseScope("nonsense"), undefined);
  });
  it("knows what a token covers", () => {
    const granted = [{ type: "repository" as const, name: "a", actions: ["pull", "push"] }];
    assert.ok(scopesCover(granted, [{ type: "repository", name: "a", actions: ["pull"] }]));
    assert.ok(!scopesCover(granted, [{ type: "repository", name: "a", actions: ["delete"] }]));
    assert.ok(!scopesCover(granted, [{ type: "repository", name: "b", actions: ["pull"] }]));
  });
});

describe("retry timing", () => {
  it("reads Retry-After in seconds and as a date", () => {
    assert.equal(parseRetryAfter("3"), 3000);
    const now = Date.parse("2026-01-01T00:00:00Z");
    assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now), 5000);
    assert.equal(parseRetryAfter("soon"), undefined);
  });
  it("backs off exponentially within the cap", () => {
    for (let attempt = 1; attempt < 10; attempt++) {
      const delay = backoffDelay(DEFAULT_RETRY, attempt);
      const cap = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** (attempt - 1));
      assert.ok(delay >= cap / 2 && delay <= cap, `attempt ${attempt}: ${delay}`);
    }
  });
});

describe("error bodies and redaction", () => {
  it("parses the spec's errors and Docker Hub's details", () => {
    assert.deepEqual(
      parseErrorBody('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'),
      [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }],
    );
    assert.deepEqual(parseErrorBody('{"details":"incorrect username or password"}'), [
      { code: "UNKNOWN", message: "incorrect username or password" },
    ]);
    assert.deepEqual(parseErrorBody("<html>"), []);
  });
  it("removes userinfo and secret query values", () => {
    const url = redactUrl("https://u:p@s3.example/blob?X-Amz-Signature=abc&digest=sha256:1&n=5");
    assert.ok(!url.includes("u:p") && !url.includes("abc"));
    assert.ok(url.includes("digest=sha256%3A1") || url.includes("digest=sha256:1"));
  });
});
