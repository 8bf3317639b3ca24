// Every named type a public function or class shows a caller is exported from src/index.ts: a
// library user can name (and annotate with) whatever a signature mentions. Checked with the
// TypeScript compiler API: each exported function and class, through its parameters, return
// types, options objects' properties, event unions and the exported types they name, recursively.
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SRC = join(ROOT, "src");
const INDEX = join(SRC, "index.ts");

/** A named type from src/ that a public signature shows but src/index.ts does not export. */
interface Missing {
  type: string;
  file: string;
  /** The public export whose signature shows it, and the way there. */
  via: string;
}

function loadProgram(): { checker: ts.TypeChecker; exports: ts.Symbol[] } {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) =>
        assert.fail(ts.flattenDiagnosticMessageText(d.messageText, "\n")),
    },
  );
  assert.ok(config);
  const program = ts.createProgram([INDEX], { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(INDEX);
  assert.ok(index);
  const moduleSymbol = checker.getSymbolAtLocation(index);
  assert.ok(moduleSymbol);
  return { checker, exports: checker.getExportsOfModule(moduleSymbol) };
}

function resolveAlias(checker: ts.TypeChecker, symbol: ts.Symbol): ts.Symbol {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** `export type { X }`: a class exported so is a type only, with no constructor a caller could call. */
function isTypeOnlyExport(symbol: ts.Symbol): boolean {
  return (symbol.declarations ?? []).some((d) => ts.isTypeOnlyImportOrExportDeclaration(d));
}

function sourceFileOf(symbol: ts.Symbol): string | undefined {
  const file = symbol.declarations?.[0]?.getSourceFile().fileName;
  return file !== undefined && file.startsWith(`${SRC}/`) ? file : undefined;
}

/** Walks every type a caller of the public API can see, reporting the unexported named ones. */
class PublicTypeWalker {
  readonly missing = new Map<string, Missing>();
  readonly #seen = new Set<ts.Type>();

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly exported: Set<ts.Symbol>,
  ) {}

  /** An exported value: a function's signatures, a class's constructor and public members. */
  value(symbol: ts.Symbol, name: string): void {
    const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0];
    if (declaration === undefined) return;
    const type = this.checker.getTypeOfSymbolAtLocation(symbol, declaration);
    this.signatures(type, name);
    for (const sig of type.getConstructSignatures()) {
      this.signature(sig, `${name}(constructor)`);
      this.members(sig.getReturnType(), name);
    }
    if (symbol.flags & ts.SymbolFlags.Class) this.members(type, `${name}.static`);
  }

  /** An exported type (a class exported as a type: its instances): its whole shape. */
  type(symbol: ts.Symbol, name: string): void {
    this.visit(this.checker.getDeclaredTypeOfSymbol(symbol), name);
  }

  private signatures(type: ts.Type, via: string): void {
    for (const sig of type.getCallSignatures()) this.signature(sig, via);
  }

  private signature(sig: ts.Signature, via: string): void {
    for (const tp of sig.getTypeParameters() ?? []) {
      const constraint = tp.getConstraint();
      if (constraint !== undefined) this.visit(constraint, `${via}<${tp.symbol.name}>`);
    }
    for (const param of sig.getParameters()) {
      const declaration = param.valueDeclaration ?? param.declarations?.[0];
      if (declaration === undefined) continue;
      this.visit(this.checker.getTypeOfSymbolAtLocation(param, declaration), `${via}(${param.name})`);
      this.annotation(declaration, `${via}(${param.name})`);
    }
    this.visit(sig.getReturnType(), `${via} → return`);
    if (sig.getDeclaration() !== undefined) this.annotation(sig.getDeclaration(), `${via} → return`);
  }

  /** Public properties and methods of an object type (private, protected and #names are not API). */
  private members(type: ts.Type, via: string): void {
    for (const prop of this.checker.getPropertiesOfType(type)) {
      if (prop.name.startsWith("#") || prop.name.startsWith("__#")) continue;
      const declaration = prop.valueDeclaration ?? prop.declarations?.[0];
      if (declaration === undefined) continue;
      const modifiers = ts.getCombinedModifierFlags(declaration);
      if (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
      if (ts.isPrivateIdentifier((declaration as ts.NamedDeclaration).name ?? declaration)) continue;
      this.visit(this.checker.getTypeOfSymbolAtLocation(prop, declaration), `${via}.${prop.name}`);
      this.annotation(declaration, `${via}.${prop.name}`);
    }
    for (const info of this.checker.getIndexInfosOfType(type)) this.visit(info.type, `${via}[]`);
  }

  /**
   * The names written in a declaration's type annotation: an optional `x?: Policy` has the type
   * `Policy | undefined`, in which a union alias such as `"a" | "b"` no longer has its name.
   */
  private annotation(declaration: ts.Declaration, via: string): void {
    const node = (declaration as { type?: ts.TypeNode }).type;
    if (node === undefined) return;
    const walk = (n: ts.Node): void => {
      if (ts.isTypeReferenceNode(n)) {
        const symbol = this.checker.getSymbolAtLocation(n.typeName);
        if (symbol !== undefined) this.named(symbol, via);
        this.visit(this.checker.getTypeFromTypeNode(n), via);
      }
      ts.forEachChild(n, walk);
    };
    walk(node);
  }

  private visit(type: ts.Type, via: string): void {
    if (this.#seen.has(type)) return;
    this.#seen.add(type);
    if (type.aliasSymbol !== undefined) {
      this.named(type.aliasSymbol, via);
      for (const arg of type.aliasTypeArguments ?? []) this.visit(arg, `${via}<${this.name(arg)}>`);
    }
    if (type.isUnionOrIntersection()) {
      for (const part of type.types) this.visit(part, via);
      return;
    }
    if (type.flags & ts.TypeFlags.TypeParameter) {
      const constraint = type.getConstraint();
      if (constraint !== undefined) this.visit(constraint, via);
      return;
    }
    if (!(type.flags & ts.TypeFlags.Object)) {
      if (type.flags & ts.TypeFlags.EnumLiteral && type.symbol !== undefined) this.named(type.symbol, via);
      return;
    }
    const symbol = type.getSymbol();
    const inSrc = symbol !== undefined && sourceFileOf(symbol) !== undefined;
    const isNamed = symbol !== undefined && symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class);
    if (isNamed) this.named(symbol, via);
    const object = type as ts.ObjectType;
    if (object.objectFlags & ts.ObjectFlags.Reference) {
      for (const arg of this.checker.getTypeArguments(object as ts.TypeReference)) this.visit(arg, via);
    }
    // Types from outside src/ (Promise, Buffer, Readable, AbortSignal) are not walked into.
    if (symbol !== undefined && !inSrc && symbol.name !== "__type" && symbol.name !== "__object") return;
    this.signatures(type, `${via}()`);
    for (const sig of type.getConstructSignatures()) this.signature(sig, `${via}(new)`);
    this.members(type, via);
  }

  private named(symbol: ts.Symbol, via: string): void {
    const original = resolveAlias(this.checker, symbol);
    if (original.flags & ts.SymbolFlags.TypeParameter) return;
    const file = sourceFileOf(original);
    if (file === undefined || this.exported.has(original)) return;
    const key = `${original.name} ${file}`;
    if (!this.missing.has(key)) {
      this.missing.set(key, { type: original.name, file: relative(ROOT, file), via });
    }
  }

  private name(type: ts.Type): string {
    return this.checker.typeToString(type);
  }
}

describe("the public API's types", () => {
  it("every named type from src/ in an exported function's or class's signature is exported from src/index.ts", () => {
    const { checker, exports } = loadProgram();
    const exported = new Set(exports.map((s) => resolveAlias(checker, s)));
    const walker = new PublicTypeWalker(checker, exported);
    let values = 0;
    for (const symbol of exports) {
      const original = resolveAlias(checker, symbol);
      const typeOnly = isTypeOnlyExport(symbol);
      if (!typeOnly && original.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class)) {
        walker.value(original, symbol.name);
        values++;
      }
      if (typeOnly || original.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias)) {
        walker.type(original, symbol.name);
      }
    }
    assert.ok(values > 40, `only ${values} functions and classes found in src/index.ts`);
    const missing = [...walker.missing.values()].map((m) => `${m.type} (${m.file}) via ${m.via}`);
    assert.deepEqual(missing, [], `not exported from src/index.ts:\n${missing.join("\n")}`);
  });
});
