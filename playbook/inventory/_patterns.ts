// Host patterns as Ansible evaluates them: `a:b`, `a,b`, `a:&b`, `a:!b`, globs, `~regex`, subscripts.

import { InventoryError } from "./_data.ts";

/** A host pattern that cannot be evaluated (bad regex, empty subscript); an InventoryError too. */
export class PatternError extends InventoryError {
  override name = "PatternError";
}

/** Splits a pattern string into its terms (commas, or colons outside brackets). */
export function splitHostPattern(pattern: string | string[]): string[] {
  if (Array.isArray(pattern)) return pattern.flatMap(splitHostPattern);
  const p = pattern.trim();
  if (p.includes(",")) return p.split(",").map((s) => s.trim()).filter(Boolean);
  // IPv6 addresses would be mangled by the colon split.
  if (/^[0-9a-fA-F]*:[0-9a-fA-F:]*:[0-9a-fA-F:.]*$/.test(p) && p.split(":").length > 2) return [p];
  return (p.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? []).map((s) => s.trim()).filter(Boolean);
}

export function orderPatterns(terms: string[]): string[] {
  const regular: string[] = [], inter: string[] = [], excl: string[] = [];
  for (const t of terms) {
    if (!t) continue;
    if (t[0] === "!") excl.push(t);
    else if (t[0] === "&") inter.push(t);
    else regular.push(t);
  }
  return [...(regular.length ? regular : ["all"]), ...inter, ...excl];
}

/** fnmatch.translate: `*`, `?`, `[seq]`, `[!seq]`, anchored, case-sensitive. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      let j = i + 1;
      if (glob[j] === "!") j++;
      if (glob[j] === "]") j++;
      while (j < glob.length && glob[j] !== "]") j++;
      if (j >= glob.length) re += "\\[";
      else {
        let stuff = glob.slice(i + 1, j).replaceAll("\\", "\\\\");
        i = j;
        if (stuff[0] === "!") stuff = "^" + stuff.slice(1);
        else if (stuff[0] === "^") stuff = "\\" + stuff;
        re += `[${stuff}]`;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  }
  return new RegExp(`^(?:${re})$`, "s");
}

export function matcherFor(term: string): (name: string) => boolean {
  try {
    if (term[0] === "~") {
      // Python's re.match: anchored at the start only, hence the sticky flag.
      const re = new RegExp(term.slice(1), "y");
      return (n) => {
        re.lastIndex = 0;
        return re.test(n);
      };
    }
    const re = globToRegExp(term);
    return (n) => re.test(n);
  } catch {
    throw new PatternError(`Invalid host list pattern: ${term}`);
  }
}

const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/;

export function splitSubscript(term: string): { expr: string; sub?: [number, number | undefined] } {
  if (term[0] === "~") return { expr: term };
  const m = SUBSCRIPT.exec(term);
  if (!m) return { expr: term };
  if (m[2] !== undefined) return { expr: m[1], sub: [parseInt(m[2], 10), undefined] };
  return { expr: m[1], sub: [parseInt(m[3], 10), m[5] ? parseInt(m[5], 10) : -1] };
}

export function applySubscript<T>(hosts: T[], sub?: [number, number | undefined]): T[] {
  if (!hosts.length || !sub) return hosts;
  let [start, end] = sub;
  if (end) {
    if (end === -1) end = hosts.length - 1;
    return pySlice(hosts, start, end + 1);
  }
  const i = start < 0 ? hosts.length + start : start;
  if (i < 0 || i >= hosts.length) return [];
  return [hosts[i]];
}

function pySlice<T>(a: T[], s: number, e: number): T[] {
  const n = a.length;
  const norm = (x: number) => (x < 0 ? Math.max(0, n + x) : Math.min(n, x));
  return a.slice(norm(s), norm(e));
}
