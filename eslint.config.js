// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * The layers of src/, lowest first: each folder may import only the folders
 * listed for it (and the leaf files errors.ts, version.ts, and generated/: the validators
 * scripts/build-validators.ts generates from the JSON Schemas).
 * ARCHITECTURE.md explains the house; this keeps it from rotting.
 */
const MAY_IMPORT = {
  util: [],
  oci: ["util"],
  ref: ["util", "oci"],
  stream: ["util", "oci"],
  registry: ["util", "oci", "ref", "stream"],
  store: ["util", "oci", "ref", "stream", "registry"],
  signature: ["util", "oci", "ref", "stream", "registry", "store"],
  imagelist: ["util", "oci", "ref", "registry", "signature"],
  plan: ["util", "oci", "ref", "imagelist"],
  bundle: ["util", "oci", "ref", "stream", "registry", "store", "plan"],
  serve: ["util", "oci", "ref", "stream", "registry", "store", "plan", "bundle"],
  verbs: [
    "util",
    "oci",
    "ref",
    "stream",
    "registry",
    "store",
    "signature",
    "imagelist",
    "plan",
    "bundle",
    "serve",
  ],
};
const FOLDERS = [...Object.keys(MAY_IMPORT), "cli"];

/** One no-restricted-imports block per folder: the folders above it are off limits. */
const layerRules = Object.entries(MAY_IMPORT).map(([folder, allowed]) => {
  const banned = FOLDERS.filter((f) => f !== folder && !allowed.includes(f));
  const io =
    folder === "plan" ? ["node:fs", "node:fs/promises", "node:net", "node:http", "node:https", "undici"] : [];
  return {
    files: [`src/${folder}/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: io.map((name) => ({ name, message: "plan/ is pure: do the io in verbs/ or cli/" })),
          patterns: [
            {
              regex: `^(\\.\\./)+(${banned.join("|")})/`,
              message: `${folder}/ may import only ${allowed.join(", ") || "the leaf files"} (see ARCHITECTURE.md)`,
            },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  {
    ignores: [
      "dist/",
      "node_modules/",
      "bundles/",
      "eslint.config.js",
      "scripts/**/*.mjs",
      ".tmp/",
      "src/generated/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            { from: "package", package: "node:test", name: ["test", "describe", "it", "suite"] },
          ],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": ["error"],
    },
  },
  {
    files: ["src/cli/**/*.ts", "test/**/*.ts", "scripts/**/*.ts", "bench/**/*.ts"],
    rules: { "no-console": "off" },
  },
  ...layerRules,
  {
    files: ["src/index.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ regex: "^\\./cli/", message: "the library does not export the CLI" }] },
      ],
    },
  },
);
