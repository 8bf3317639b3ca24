import { AirlockError } from "../../errors.js";
import type { Command } from "../command.js";
import { writeOut } from "../output.js";

/** The command table, loaded when these commands run (index.ts lists them). */
const table = () => import("./index.js");

export const helpCommand: Command = {
  name: "help",
  summary: "show the command list, or a command's help",
  usage: "[COMMAND]",
  help: `Shows airlock's command list, or with COMMAND that command's help ("airlock help copy"
is "airlock copy --help").`,
  options: {},
  args: [0, 1],
  async run({ positionals, io }) {
    const { COMMANDS, findCommand } = await table();
    const { commandHelp, mainHelp } = await import("../help.js");
    const name = positionals[0];
    if (name === undefined) return void (await writeOut(io.stdout, mainHelp()));
    const command = findCommand(name);
    if (command === undefined) {
      const { unknownCommand } = await import("../command-line.js");
      throw unknownCommand(name, COMMANDS);
    }
    await writeOut(io.stdout, commandHelp(command));
  },
};

export const completionCommand: Command = {
  name: "completion",
  summary: "print a shell completion script (bash, zsh or fish)",
  usage: "bash|zsh|fish",
  help: `Prints a script that completes airlock's commands and flags in SHELL:
  bash   source <(airlock completion bash)
         or airlock completion bash > ~/.local/share/bash-completion/completions/airlock
  zsh    source <(airlock completion zsh)
         or airlock completion zsh > "\${fpath[1]}/_airlock"
  fish   airlock completion fish > ~/.config/fish/completions/airlock.fish`,
  options: {},
  args: [1, 1],
  async run({ positionals, io }) {
    const { COMMANDS } = await table();
    const { SHELLS, completionScript } = await import("../completion.js");
    const shell = SHELLS.find((s) => s === positionals[0]);
    if (shell === undefined) {
      throw new AirlockError(
        "ERR_USAGE",
        `completion takes bash, zsh or fish, not "${positionals[0] ?? ""}"`,
      );
    }
    await writeOut(io.stdout, completionScript(shell, COMMANDS));
  },
};
