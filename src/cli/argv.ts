import { AirlockError } from "../errors.js";
import type { OptionSpec, OptionValues } from "./command.js";

/** What parseArgs gets, and the booleans set to false with --NAME=false. */
export interface PreparedArgs {
  args: string[];
  falses: string[];
}

/**
 * skopeo's (Go's) boolean habit, which node:util parseArgs refuses: `--NAME=true` is
 * `--NAME`, and `--NAME=false` sets NAME to false (e.g. `--tls-verify=false`). Nothing
 * after `--` is touched.
 */
export function prepareBooleans(argv: readonly string[], options: OptionSpec): PreparedArgs {
  const args: string[] = [];
  const falses: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") {
      args.push(...argv.slice(i));
      break;
    }
    const match = /^--([^=]+)=(.*)$/s.exec(arg);
    const name = match?.[1];
    const value = match?.[2]?.toLowerCase();
    if (name === undefined || options[name]?.type !== "boolean") {
      args.push(arg);
      continue;
    }
    if (value !== "true" && value !== "false") {
      throw new AirlockError("ERR_USAGE", `--${name} takes =true or =false, not "${match?.[2] ?? ""}"`);
    }
    if (value === "true") args.push(`--${name}`);
    else falses.push(name);
  }
  return { args, falses };
}

/** Applies the --NAME=false flags to the parsed values (they win over a --NAME anywhere). */
export function applyFalses(values: OptionValues, falses: readonly string[]): OptionValues {
  for (const name of falses) values[name] = false;
  return values;
}

/**
 * Whether TLS verification is off for a side: an explicit --tls-verify (or the side's
 * --src-tls-verify / --dest-tls-verify) decides; else --insecure.
 */
export function skipsTlsVerify(values: OptionValues, side?: "src" | "dest"): boolean | undefined {
  const own = side === undefined ? undefined : values[`${side}-tls-verify`];
  if (typeof own === "boolean") return !own;
  if (side !== undefined) return undefined;
  const shared = values["tls-verify"];
  if (typeof shared === "boolean") return !shared;
  return values.insecure === true;
}

/** skopeo's --src-tls-verify / --dest-tls-verify as per-side registry options, when given. */
export function sideTlsOptions(values: OptionValues): {
  srcOptions?: { insecure: boolean };
  destOptions?: { insecure: boolean };
} {
  const src = skipsTlsVerify(values, "src");
  const dest = skipsTlsVerify(values, "dest");
  return {
    ...(src === undefined ? {} : { srcOptions: { insecure: src } }),
    ...(dest === undefined ? {} : { destOptions: { insecure: dest } }),
  };
}
