import { PLATFORM_OPTION, stringValue, type Command } from "../command.js";

export const exportCommand: Command = {
  name: "export",
  summary: "write an image's flattened filesystem as a tar (crane export)",
  usage: "REF [-|FILE]",
  help: `Writes the filesystem the image's layers make as one tar: the upper layer wins,
whiteouts are applied (.wh.NAME deletes NAME, .wh..wh..opq empties a directory), and
the whiteout files themselves are left out. To stdout ("-" or no FILE), or into FILE,
which appears only when complete. REF may be any location (oci:DIR:REF, docker-archive:FILE, …).
  --platform os/arch[/variant]   that platform of a multi-platform image (default: this machine's)`,
  options: PLATFORM_OPTION,
  args: [1, 2],
  async run({ positionals, values, remote, io }) {
    const [ref = "", file = "-"] = positionals;
    const options = { ...remote, platform: stringValue(values, "platform") };
    const { exportImage, exportImageToFile } = await import("../../verbs/export.js");
    if (file === "-") await exportImage(ref, io.stdout, { ...options, end: false });
    else await exportImageToFile(ref, file, options);
  },
};
