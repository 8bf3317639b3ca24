import { VERSION } from "../version.js";
import { GLOBAL_HELP, type Command } from "./command.js";
import { COMMANDS } from "./commands/index.js";

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `airlock ${VERSION}: carry container images into air-gapped sites

Usage: airlock COMMAND [ARGS] [FLAGS]

Commands:
${lines.join("\n")}

${GLOBAL_HELP}

Run "airlock help COMMAND" (or "airlock COMMAND --help") for a command's flags, and
"airlock completion bash|zsh|fish" for a completion script. A registry reference may
be written docker://REF. Exit codes: 0 ok, 1 failure, 2 bad input, 3 not found,
4 authentication, 5 network/TLS, 6 integrity, 7 registry error, 70 internal error,
130 interrupted.
`;
}

export function commandHelp(command: Command): string {
  return `Usage: airlock ${command.name} ${command.usage} [FLAGS]

${command.help}

${GLOBAL_HELP}
`;
}
