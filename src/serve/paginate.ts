/** `n`/`last` pagination of tags/list and _catalog, with the `Link` header. Pure. */

export type PageResult =
  | { kind: "page"; items: string[]; /** The `Link` header value when more remain. */ link?: string }
  | { kind: "invalid"; message: string };

/**
 * One page of `items` (sorted) after `last`, at most `n` of them; without
 * `n`, all of them. When more remain, `link` points at the next page:
 * `</v2/NAME/tags/list?n=N&last=LAST>; rel="next"`.
 */
export function paginate(items: readonly string[], query: URLSearchParams, path: string): PageResult {
  const last = query.get("last");
  const rest = last === null ? [...items] : items.filter((item) => item > last);
  const nText = query.get("n");
  if (nText === null || nText === "") return { kind: "page", items: rest };
  if (!/^[0-9]{1,9}$/.test(nText)) {
    return { kind: "invalid", message: `n=${JSON.stringify(nText.slice(0, 20))} is not a number of results` };
  }
  const n = Number(nText);
  const page = rest.slice(0, n);
  const final = page[page.length - 1];
  if (rest.length <= n || final === undefined) return { kind: "page", items: page };
  const next = `${path}?n=${n}&last=${encodeURIComponent(final)}`;
  return { kind: "page", items: page, link: `<${next}>; rel="next"` };
}
