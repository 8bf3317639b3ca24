import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { prepareBooleans, sideTlsOptions, skipsTlsVerify } from "../../src/cli/argv.js";
import { GLOBAL_OPTIONS } from "../../src/cli/command.js";
import { parseCommandLine, unknownCommand } from "../../src/cli/command-line.js";
import { COMMANDS, findCommand } from "../../src/cli/commands/index.js";
import { completionScript, SHELLS } from "../../src/cli/completion.js";
import { causeOf, formatGroup, groupFailures, type ImageFailure } from "../../src/cli/failures.js";
import { logLevelOf } from "../../src/cli/log.js";
import { isAirlockError } from "../../src/errors.js";
import { registryReference } from "../../src/store/location.js";

const copy = findCommand("copy");

describe("--NAME=true|false for booleans", () => {
  it("rewrites true, collects false, leaves strings and what follows -- alone", () => {
    const options = { ...GLOBAL_OPTIONS, platform: { type: "string" } } as const;
    const argv = ["--tls-verify=false", "--json=true", "--platform=linux/amd64", "--", "--quiet=false"];
    assert.deepEqual(prepareBooleans(argv, options), {
      args: ["--json", "--platform=linux/amd64", "--", "--quiet=false"],
      falses: ["tls-verify"],
    });
  });

  it("refuses a boolean with another value", () => {
    assert.throws(
      () => prepareBooleans(["--insecure=yes"], GLOBAL_OPTIONS),
      /--insecure takes =true or =false/,
    );
  });

  it("--tls-verify decides over --insecure; the side flags only their side", () => {
    assert.ok(copy);
    const line = (args: string[]) => parseCommandLine(copy, ["copy", ...args, "a", "b"]).values;
    assert.equal(skipsTlsVerify(line(["--tls-verify=false"])), true);
    assert.equal(skipsTlsVerify(line(["--insecure", "--tls-verify=true"])), false);
    assert.equal(skipsTlsVerify(line(["--insecure"])), true);
    assert.equal(skipsTlsVerify(line([])), false);
    assert.deepEqual(sideTlsOptions(line(["--src-tls-verify=false"])), { srcOptions: { insecure: true } });
    assert.deepEqual(sideTlsOptions(line(["--dest-tls-verify"])), { destOptions: { insecure: false } });
  });
});

describe("did you mean", () => {
  it("a mistyped command", () => {
    assert.match(unknownCommand("inpsect", COMMANDS).message, /did you mean "inspect"\?/);
    assert.doesNotMatch(unknownCommand("frobnicate", COMMANDS).message, /did you mean/);
  });

  it("a mistyped flag, the command's or a global one", () => {
    const digest = findCommand("digest");
    assert.ok(digest);
    const message = (args: string[]): string => {
      try {
        parseCommandLine(digest, ["digest", ...args, "x"]);
      } catch (err) {
        return String((err as Error).message);
      }
      return "";
    };
    assert.match(
      message(["--platfrom", "linux/amd64"]),
      /unknown flag --platfrom: did you mean --platform\?/,
    );
    assert.match(message(["--insecrue"]), /did you mean --insecure\?/);
    assert.match(message(["--zzzzzz"]), /^unknown flag --zzzzzz: run "airlock digest --help"$/);
  });
});

describe("log levels", () => {
  const cases: [Record<string, string | boolean>, string][] = [
    [{}, "info"],
    [{ quiet: true }, "error"],
    [{ verbose: true }, "debug"],
    [{ json: true }, "error"],
    [{ json: true, verbose: true }, "debug"],
    [{ quiet: true, "log-level": "warn" }, "warn"],
  ];
  for (const [values, level] of cases) {
    it(`${JSON.stringify(values)} is ${level}`, () => assert.equal(logLevelOf(values), level));
  }
  it("an unknown level is bad input", () => {
    assert.throws(
      () => logLevelOf({ "log-level": "loud" }),
      /--log-level must be one of error, warn, info, debug/,
    );
  });
});

describe("registryReference", () => {
  it("takes docker://, leaves bare references and hosts", () => {
    assert.equal(registryReference("docker://127.0.0.1:5000/a:v1", ""), "127.0.0.1:5000/a:v1");
    assert.equal(registryReference("localhost:5000/a", ""), "localhost:5000/a");
    assert.equal(registryReference("registry.example.com", ""), "registry.example.com");
  });

  it("refuses file transports and unknown schemes with one usage line", () => {
    for (const input of ["oci:/tmp/x", "dir:/tmp/d", "docker:ubuntu", "containers-storage:x", "ftp://x/y"]) {
      assert.throws(
        () => registryReference(input, "airlock ls speaks to registries only"),
        (err) => isAirlockError(err) && err.code === "ERR_USAGE" && !err.message.includes("\n"),
        input,
      );
    }
  });
});

describe("failures grouped by cause", () => {
  const auth = (ref: string): ImageFailure => ({
    reference: `127.0.0.1:5000/team/${ref}:v1`,
    code: "ERR_AUTH",
    message: `blob sha256:${"a".repeat(64)} of site/team/${ref}: POST http://127.0.0.1:5001/v2/site/team/${ref}/blobs/uploads/ unauthorized; log in first: airlock login 127.0.0.1:5001`,
  });

  it("masks the image, digests and URL paths", () => {
    assert.equal(
      causeOf(auth("app1")),
      "POST 127.0.0.1:5001 unauthorized; log in first: airlock login 127.0.0.1:5001",
    );
  });

  it("one line per cause, largest first, the first three named", () => {
    const failures = [
      { reference: "127.0.0.1:5000/other:v1", code: "ERR_NOT_FOUND", message: "not found" },
      ...["app1", "app2", "app3", "app4", "app5"].map(auth),
    ];
    const groups = groupFailures(failures);
    assert.deepEqual(
      groups.map((g) => [g.code, g.failures.length]),
      [
        ["ERR_AUTH", 5],
        ["ERR_NOT_FOUND", 1],
      ],
    );
    assert.match(
      formatGroup(groups[0] ?? assert.fail()),
      /^5 images failed: POST .* \(.*app1:v1, .*app2:v1, .*app3:v1 and 2 more\)$/,
    );
    assert.equal(formatGroup(groups[1] ?? assert.fail()), "127.0.0.1:5000/other:v1: not found");
  });

  it("a different registry or code is a different cause", () => {
    const other = { ...auth("app2"), message: auth("app2").message.replaceAll("5001", "5002") };
    assert.equal(groupFailures([auth("app1"), other]).length, 2);
    assert.equal(groupFailures([auth("app1"), { ...auth("app2"), code: "ERR_DENIED" }]).length, 2);
  });
});

describe("completion scripts", () => {
  for (const shell of SHELLS) {
    it(`${shell}: generated the same way twice, naming every command and its flags`, () => {
      const script = completionScript(shell, COMMANDS);
      assert.equal(script, completionScript(shell, COMMANDS));
      for (const command of COMMANDS)
        assert.ok(script.includes(command.name), `${shell} lacks ${command.name}`);
      assert.ok(script.includes("platform"));
      assert.ok(script.includes("tls-verify"));
    });
  }
});
