/** The image list: every input format read, checked and normalised to one ImageList. */

export type {
  ImageEntry,
  ImageList,
  InputFormat,
  Problem,
  RegistrySettings,
  SourcePosition,
  TagSelector,
} from "./types.js";
export { parseImageList, type ParseOptions, type ParseResult } from "./parse.js";
export { loadImageList, validateImageList } from "./load.js";
export { ImageListError, formatProblem } from "./problems.js";
export { DEFAULT_PLATFORMS } from "./platforms.js";
