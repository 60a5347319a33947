// The with_<lookup> loop sources and `loop:` validation: from templated terms to the list of items.
import * as fs from "node:fs";
import * as path from "node:path";
import { findInSearchPath } from "./_search_path.ts";
import { PyFloat } from "./values.ts";

export class LoopError extends Error {
  override name = "LoopError";
}

/** A dict as written or computed: not a list, and not a string object (an unsafe string from a target). */
const isMap = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

export interface LoopContext {
  /** The task's search path (ansible_search_path): its roles, its file's directory, the playbook's. */
  searchPath: string[];
  /** Which subdirectory of each search path first_found looks in ("files" unless the action says). */
  subdir?: string;
  random?: () => number;
}

function flattenOnce(terms: unknown): unknown[] {
  if (!Array.isArray(terms)) return [terms];
  const out: unknown[] = [];
  for (const t of terms) {
    if (Array.isArray(t)) out.push(...t);
    else out.push(t);
  }
  return out;
}

function toList(terms: unknown): unknown[] {
  return Array.isArray(terms) ? terms : [terms];
}

function nested(terms: unknown): unknown[] {
  const lists = toList(terms).map((l) => toList(l));
  if (lists.length === 0) throw new LoopError("with_nested requires at least one element in the nested list");
  let acc: unknown[][] = [[]];
  for (const l of lists) {
    const next: unknown[][] = [];
    for (const prefix of acc) for (const x of l) next.push([...prefix, x]);
    acc = next;
  }
  return acc;
}

function together(terms: unknown): unknown[] {
  const lists = toList(terms).map((l) => toList(l));
  if (lists.length === 0) throw new LoopError("with_together requires at least one element in each list");
  const n = Math.max(...lists.map((l) => l.length));
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(lists.map((l) => (i < l.length ? l[i] : null)));
  return out;
}

/** A path named by a loop term, found as Ansible's lookups find files (each search path's files/ first). */
function findFile(name: string, ctx: LoopContext): string | undefined {
  return findInSearchPath(
    ctx.searchPath,
    "files",
    name,
    ctx.searchPath[ctx.searchPath.length - 1] ?? process.cwd(),
  )
    .found;
}

/** Names of user or group ids from /etc/passwd or /etc/group, as Python's pwd and grp modules give them. */
function idNames(file: string): Map<number, string> {
  const out = new Map<number, string>();
  let text = "";
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return out;
  }
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length > 2 && !out.has(Number(f[2]))) out.set(Number(f[2]), f[0]);
  }
  return out;
}

/** Python's float st_mtime/st_ctime: seconds plus nanoseconds scaled, in double arithmetic. */
function statTime(ns: bigint): number | PyFloat {
  const t = Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) * 1e-9;
  return Number.isInteger(t) ? new PyFloat(t) : t;
}

/**
 * Ansible's filetree: each term's directory (found like any file: a role's files/ first) walked top-down
 * as os.walk does (a directory's subdirectories, then its files, then the subdirectories' contents),
 * each entry with its state, ids and names, mode, size and times.
 */
function filetree(terms: unknown, ctx: LoopContext): unknown[] {
  const out: Record<string, unknown>[] = [];
  const users = idNames("/etc/passwd"), groups = idNames("/etc/group");
  for (const term of toList(terms)) {
    const root = findFile(String(term), ctx);
    if (!root) continue;
    const seen = new Set<string>();
    const props = (full: string, rel: string): Record<string, unknown> | undefined => {
      const st = fs.lstatSync(full, { bigint: true });
      const entry: Record<string, unknown> = { root, path: rel };
      if (st.isSymbolicLink()) {
        entry.state = "link";
        entry.src = fs.readlinkSync(full);
      } else if (st.isDirectory()) entry.state = "directory";
      else if (st.isFile()) {
        entry.state = "file";
        entry.src = full;
      } else return undefined;
      const uid = Number(st.uid), gid = Number(st.gid);
      Object.assign(entry, {
        uid,
        gid,
        owner: users.get(uid) ?? uid,
        group: groups.get(gid) ?? gid,
        mode: "0" + (Number(st.mode) & 0o7777).toString(8).padStart(3, "0"),
        size: Number(st.size),
        mtime: statTime(st.mtimeNs),
        ctime: statTime(st.ctimeNs),
      });
      return entry;
    };
    const walk = (dir: string) => {
      let names: string[];
      try {
        names = fs.readdirSync(dir).sort();
      } catch {
        return;
      }
      // os.walk counts a link to a directory as a directory, but does not go into it
      const isDir = (n: string) => {
        try {
          return fs.statSync(path.join(dir, n)).isDirectory();
        } catch {
          return false;
        }
      };
      const dirs = names.filter(isDir), files = names.filter((n) => !isDir(n));
      for (const n of [...dirs, ...files]) {
        const full = path.join(dir, n), rel = path.relative(root, full);
        if (seen.has(rel)) continue;
        seen.add(rel);
        const p = props(full, rel);
        if (p) out.push(p);
      }
      for (const d of dirs) if (!fs.lstatSync(path.join(dir, d)).isSymbolicLink()) walk(path.join(dir, d));
    };
    walk(root);
  }
  return out;
}

function firstFound(terms: unknown, ctx: LoopContext): unknown[] {
  const names: string[] = [];
  let skip = false;
  const paths: string[] = [];
  for (const t of toList(terms)) {
    if (isMap(t)) {
      const files = toList(t.files ?? []).flatMap((f) => String(f).split(/[,;]/));
      const ps = toList(t.paths ?? []).flatMap((p) => String(p).split(/[,:;]/));
      if (t.skip) skip = true;
      if (ps.length) { for (const p of ps) for (const f of files) paths.push(path.join(p, f)); }
      else names.push(...files);
    } else names.push(String(t));
  }
  const basedir = ctx.searchPath[ctx.searchPath.length - 1] ?? process.cwd();
  for (const n of [...paths, ...names]) {
    const f = findInSearchPath(ctx.searchPath, ctx.subdir ?? "files", n, basedir).found;
    if (f) return [f];
  }
  if (skip) return [];
  throw new LoopError("No file was found when using first_found.");
}

/** The with_<name> sources made here; any other lookup runs as the templating engine's plugin. */
export const LOOP_SOURCES = new Set([
  "items",
  "list",
  "flattened",
  "dict",
  "indexed_items",
  "nested",
  "cartesian",
  "together",
  "random_choice",
  "filetree",
  "first_found",
]);

/** Items for `with_<name>: terms` (terms already templated). */
export function withLoopItems(name: string, terms: unknown, ctx: LoopContext): unknown[] {
  switch (name) {
    case "items":
      return flattenOnce(terms);
    case "list":
      // a mapping is no sequence (a string is, but templated terms arrive listified)
      if (isMap(terms)) throw new LoopError("with_list expects a list");
      return toList(terms);
    case "flattened": {
      const flat = (v: unknown): unknown[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
      return flat(terms);
    }
    case "dict":
      if (!isMap(terms)) throw new LoopError(`with_dict expects a dict`);
      return Object.entries(terms).map(([key, value]) => ({ key, value }));
    case "indexed_items":
      if (!Array.isArray(terms)) throw new LoopError("with_indexed_items expects a list");
      return flattenOnce(terms).map((x, i) => [i, x]);
    case "nested":
    case "cartesian":
      return nested(terms);
    case "together":
      return together(terms);
    case "random_choice": {
      const list = toList(terms);
      if (list.length === 0) return [];
      return [list[Math.floor((ctx.random ?? Math.random)() * list.length)]];
    }
    case "filetree":
      return filetree(terms, ctx);
    case "first_found":
      return firstFound(terms, ctx);
    default:
      throw new LoopError(`lookup plugin (${name}) not found`);
  }
}
