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
export { OBJECT_SOURCE } from "./defaults.js";
export { parseImageList, parseImageListObject, type ParseOptions, type ParseResult } from "./parse.js";
export { loadImageList, loadImageListObject, validateImageList } from "./load.js";
export { ImageListError, formatPosition, formatProblem } from "./problems.js";
export type {
  ImageEntryDocument,
  ImageListDocument,
  PlatformsDocument,
  RegistryDocument,
} from "./document.js";
export { DEFAULT_PLATFORMS } from "./platforms.js";
