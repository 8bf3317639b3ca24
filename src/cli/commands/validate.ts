import { AirlockError } from "../../errors.js";
import { DEFAULT_LIST_FILE } from "../../imagelist/defaults.js";
import type { ParseResult } from "../../imagelist/index.js";
import { stringValue, type Command } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { writeJson } from "../output.js";

export const validateCommand: Command = {
  name: "validate",
  summary: "check an image list without touching the network",
  usage: "[-f FILE]",
  help: `Reads the image list and reports every problem in it at once, one per line as
FILE:LINE:COLUMN PATH: MESSAGE, then exits 2; prints "FILE: ok (N images, format F)" and
exits 0 when there is none. The format is detected: airlock.yaml, skopeo sync YAML,
mindthegap images.yaml, or a text list with one reference per line. Warnings (content that
is ignored, such as inline credentials in a skopeo sync file) are printed but do not fail.
  -f, --file FILE   the image list (default ${DEFAULT_LIST_FILE})
  --json            {file, format, images, problems, warnings} on stdout (exit 2 with problems)`,
  options: { file: { type: "string", short: "f" } },
  args: [0, 0],
  async run({ values, io, say, log, json }) {
    const file = stringValue(values, "file") ?? DEFAULT_LIST_FILE;
    const { formatProblem, validateImageList } = await import("../../imagelist/index.js");
    let result: ParseResult;
    try {
      result = await validateImageList(file);
    } catch (err) {
      if (!(err instanceof AirlockError) || err.code !== "ERR_FILE" || json) throw err;
      log.write("error", err.message);
      return ExitCode.Usage;
    }
    const { list, problems, warnings } = result;
    if (json) {
      const found = { file, format: list?.format, images: list?.images.length, problems, warnings };
      await writeJson(io.stdout, found);
      return list === undefined ? ExitCode.Usage : ExitCode.Ok;
    }
    for (const w of warnings) log.write("warn", formatProblem({ ...w, message: `warning: ${w.message}` }));
    for (const p of problems) log.write("error", formatProblem(p));
    if (list === undefined) return ExitCode.Usage;
    say(`${file}: ok (${list.images.length} images, format ${list.format})`);
    return ExitCode.Ok;
  },
};
