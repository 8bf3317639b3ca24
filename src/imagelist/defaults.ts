/** The image list commands read when no -f/--file is given. Its own module so help text can name it cheaply. */
export const DEFAULT_LIST_FILE = "airlock.yaml";

/** Stands for a list or lock given as an object in messages and in `ImageList.file`. */
export const OBJECT_SOURCE = "<object>";
