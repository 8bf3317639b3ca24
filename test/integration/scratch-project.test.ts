// A new project installs airlock by name, as a user's would: `npm pack` of this checkout unpacked
// into its node_modules, with airlock's dependencies and @types/node beside it and nothing else
// (no devDependencies). `tsc --noEmit` must accept a script that calls every exported verb with
// its option and result types written out (test/scratch-project/every-verb.ts) and the README's
// library example. Offline: the pack is local and the dependencies are linked from node_modules.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rename, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { promisify } from "node:util";
import ts from "typescript";
import { readmeLibraryExample } from "../harness/readme.js";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2023"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noUncheckedIndexedAccess: true,
    types: ["node"],
    noEmit: true,
  },
  include: ["*.ts"],
};

/** Unpacks `npm pack` of the checkout as node_modules/airlock and links its dependencies. */
async function installPackage(project: string): Promise<void> {
  const modules = join(project, "node_modules");
  await mkdir(join(modules, "@types"), { recursive: true });
  const packed = await run(
    "npm",
    ["pack", "--json", "--offline", "--ignore-scripts", "--pack-destination", project],
    {
      cwd: ROOT,
      env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false" },
    },
  );
  const [info] = JSON.parse(packed.stdout) as [{ filename: string }];
  await run("tar", ["-xzf", join(project, info.filename), "-C", modules]);
  await rename(join(modules, "package"), join(modules, "airlock"));
  const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  for (const name of [...Object.keys(manifest.dependencies), "@types/node"]) {
    // A scoped dependency (@sigstore/verify) goes into its scope's directory.
    await mkdir(dirname(join(modules, name)), { recursive: true });
    await symlink(join(ROOT, "node_modules", name), join(modules, name), "dir");
  }
}

/** Every function the package exports that returns a promise (the verbs), and those `file` calls. */
function verbsCalled(
  project: string,
  file: string,
): { verbs: string[]; called: Set<string>; resolved: string } {
  const config = ts.parseJsonConfigFileContent(TSCONFIG, ts.sys, project);
  const program = ts.createProgram(config.fileNames, config.options);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  assert.ok(source);
  const imported = source.statements.find(
    (s): s is ts.ImportDeclaration =>
      ts.isImportDeclaration(s) &&
      ts.isStringLiteral(s.moduleSpecifier) &&
      s.moduleSpecifier.text === "airlock",
  );
  assert.ok(imported, `${file} does not import "airlock"`);
  const moduleSymbol = checker.getSymbolAtLocation(imported.moduleSpecifier);
  assert.ok(moduleSymbol, "airlock does not resolve");
  const resolved = moduleSymbol.declarations?.[0]?.getSourceFile().fileName ?? "";
  const original = (s: ts.Symbol): ts.Symbol =>
    s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
  const verbs = checker
    .getExportsOfModule(moduleSymbol)
    .filter((s) => original(s).flags & ts.SymbolFlags.Function)
    .filter((s) =>
      checker
        .getTypeOfSymbol(original(s))
        .getCallSignatures()
        .some((sig) => sig.getReturnType().getSymbol()?.name === "Promise"),
    )
    .map((s) => s.name);
  const called = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const symbol = checker.getSymbolAtLocation(node.expression);
      if (symbol !== undefined) called.add(original(symbol).name);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { verbs, called, resolved };
}

describe("a scratch project that installs airlock by name", () => {
  let project: string;

  before(async () => {
    project = await mkdtemp(join(tmpdir(), "airlock-scratch-"));
    await installPackage(project);
    await writeFile(
      join(project, "package.json"),
      JSON.stringify({ name: "scratch", private: true, type: "module" }),
    );
    await writeFile(join(project, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
    await copyFile(join(ROOT, "test", "scratch-project", "every-verb.ts"), join(project, "every-verb.ts"));
    await writeFile(join(project, "readme-example.ts"), `${await readmeLibraryExample()}\nexport {};\n`);
  });

  it("type-checks a script that calls every verb with annotated options and results, and the README example", async () => {
    const checked: { code?: number; stdout?: string; stderr?: string } = await run(
      process.execPath,
      [TSC, "-p", project],
      {
        cwd: project,
      },
    ).catch((err: { code?: number; stdout?: string; stderr?: string }) => err);
    assert.equal(
      checked.code ?? 0,
      0,
      `tsc --noEmit failed:\n${checked.stdout ?? ""}${checked.stderr ?? ""}`,
    );
  });

  it("the script calls every verb the package exports, resolved from node_modules/airlock", () => {
    const { verbs, called, resolved } = verbsCalled(project, join(project, "every-verb.ts"));
    assert.equal(resolved, join(project, "node_modules", "airlock", "dist", "index.d.ts"));
    assert.ok(verbs.length >= 30, verbs.join(", "));
    assert.deepEqual(
      verbs.filter((v) => !called.has(v)),
      [],
    );
  });

  it("imports at run time by name", async () => {
    const script =
      'const m = await import("airlock"); console.log(typeof m.createBundle, typeof m.pushBundle);';
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: project });
    assert.equal(stdout.trim(), "function function");
  });
});
