/** The image list commands read when no -f/--file is given. Its own module so help text can name it cheaply. */
export const DEFAULT_LIST_FILE = "airlock.yaml";
