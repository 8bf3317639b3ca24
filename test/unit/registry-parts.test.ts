import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseChallenges } from "../../src/registry/challenge.js";
import { parseErrorBody, redactUrl } from "../../src/registry/http-errors.js";
import {
  DEFAULT_RETRY,
  RetryBudget,
  backoffDelay,
  mayBeStaleConnection,
  parseRetryAfter,
} from "../../src/registry/retry.js";
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
    for (let attempt = 1; attempt < 20; attempt++) {
      const delay = backoffDelay(DEFAULT_RETRY, attempt);
      const cap = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** (attempt - 1));
      assert.ok(delay >= cap / 2 && delay <= cap, `attempt ${attempt}: ${delay}`);
      assert.ok(delay <= 15_000);
    }
  });
  it("budgets five minutes by default, counted from the first failure, unlimited in attempts", () => {
    let now = 1_000_000;
    const budget = new RetryBudget(DEFAULT_RETRY, () => now);
    assert.equal(budget.remainingMs(), 300_000);
    now += 60_000; // a long, healthy transfer before the first failure costs nothing
    assert.equal(budget.remainingMs(), 300_000);
    let tries = 0;
    while (budget.fail()) {
      const wait = budget.backoffMs();
      assert.ok(wait <= budget.remainingMs());
      now += wait;
      tries++;
    }
    assert.equal(budget.elapsedMs(), 300_000, "the last wait ends exactly at the deadline");
    assert.ok(tries > 15 && tries < 60, `${tries} retries in five minutes`);
  });
  it("stops at maxAttempts, and retries nothing with a budget of 0", () => {
    const capped = new RetryBudget({ ...DEFAULT_RETRY, maxAttempts: 3 });
    assert.deepEqual([capped.fail(), capped.fail(), capped.fail()], [true, true, false]);
    assert.equal(new RetryBudget({ ...DEFAULT_RETRY, retryForMs: 0 }).fail(), false);
  });
  it("takes a reset or close before any answer on a used connection for a stale one", () => {
    const socketError = (bytesRead: number): Error =>
      Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET", socket: { bytesRead } });
    assert.equal(mayBeStaleConnection(socketError(512)), true);
    assert.equal(mayBeStaleConnection(socketError(0)), false, "a new connection cannot be stale");
    assert.equal(mayBeStaleConnection(Object.assign(new Error("reset"), { code: "ECONNRESET" })), true);
    assert.equal(mayBeStaleConnection(Object.assign(new Error("no"), { code: "ECONNREFUSED" })), false);
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
