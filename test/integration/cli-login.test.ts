import assert from "node:assert/strict";
import { access, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runAirlock } from "../harness/cli.js";
import { startSeededRegistry } from "../harness/fixtures.js";
import type { TestRegistry } from "../harness/registry.js";

for (const variant of ["htpasswd", "token"] as const) {
  describe(`login and logout (${variant})`, () => {
    let registry: TestRegistry;
    before(async () => {
      registry = (await startSeededRegistry(variant)).registry;
    });
    after(async () => registry.stop());

    it("stores working credentials in docker config.json format, and logout removes them", async () => {
      const dir = await mkdtemp(join(tmpdir(), "airlock-login-"));
      const env = { DOCKER_CONFIG: dir };
      const user = registry.username ?? "";
      const login = await runAirlock(["login", registry.host, "-u", user, "--password-stdin"], {
        stdin: `${registry.password}\n`,
        env,
      });
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stderr, /Login Succeeded/);
      const file = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as {
        auths: Record<string, { auth: string }>;
      };
      const auth = Buffer.from(file.auths[registry.host]?.auth ?? "", "base64").toString();
      assert.equal(auth, `${user}:${registry.password}`);
      assert.ok(!login.stderr.includes(registry.password ?? "?"));

      const catalog = await runAirlock(["catalog", registry.host], { env });
      assert.equal(catalog.code, 0, catalog.stderr);
      assert.ok(catalog.stdout.toString().split("\n").includes("fixtures/tags"));

      const logout = await runAirlock(["logout", registry.host], { env });
      assert.equal(logout.code, 0, logout.stderr);
      const after = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as { auths: object };
      assert.deepEqual(after.auths, {});
      // The catalog needs credentials in both variants (the token issuer lets anonymous users pull).
      const denied = await runAirlock(["catalog", registry.host], { env });
      assert.equal(denied.code, 4, denied.stderr);
    });

    it("a refused password exits 4 and writes nothing", async () => {
      const dir = await mkdtemp(join(tmpdir(), "airlock-login-"));
      const res = await runAirlock(
        ["login", registry.host, "-u", registry.username ?? "", "--password-stdin"],
        {
          stdin: "not-the-password\n",
          env: { DOCKER_CONFIG: dir },
        },
      );
      assert.equal(res.code, 4, res.stderr);
      await assert.rejects(access(join(dir, "config.json")));
      assert.ok(!res.stderr.includes("not-the-password"));
    });
  });
}
