// Path filters: os.path's basename/dirname/join/…, the ntpath win_* variants, fileglob.
import * as os from "node:os";
import * as path from "node:path";
import * as fs from "node:fs";
import { defined, pyTypeName, tuple, unwrap } from "./_py.ts";
import { bind, type FilterContext, globFiles, str } from "./_filter_util.ts";
import type { FilterFn } from "./templar.ts";

/** A path argument: os.path functions accept only strings. */
function pathStr(v: unknown): string {
  const u = unwrap(defined(v));
  if (typeof u !== "string") {
    throw new TypeError(`expected str, bytes or os.PathLike object, not ${pyTypeName(u)}`);
  }
  return u;
}

/** The paths family of the built-in filter table. */
export function pathsFilters(_ctx: FilterContext): Record<string, FilterFn> {
  return {
    basename: (v) => {
      const s = pathStr(v);
      return s.slice(s.lastIndexOf("/") + 1);
    },
    dirname: (v) => {
      const s = pathStr(v);
      const i = s.lastIndexOf("/") + 1;
      let head = s.slice(0, i);
      if (head && head !== "/".repeat(head.length)) head = head.replace(/\/+$/, "");
      return head;
    },
    expanduser: (v) => {
      const s = pathStr(v);
      if (s === "~" || s.startsWith("~/")) return os.homedir() + s.slice(1);
      return s;
    },
    expandvars: (v) => str(v).replace(/\$(\w+)|\$\{([^}]+)\}/g, (m, a, b) => process.env[a ?? b] ?? m),
    path_join: (v) => {
      const u = unwrap(defined(v));
      if (typeof u !== "string" && !Array.isArray(u)) {
        throw new TypeError(`|path_join expects string or sequence, got <class '${pyTypeName(v)}'> instead.`);
      }
      if (Array.isArray(u) && !u.length) {
        throw new TypeError("join() missing 1 required positional argument: 'a'");
      }
      // os.path.join: the first part is read as a path, the others checked by join itself
      const parts = typeof u === "string" ? [u] : u.map((p, i) => {
        if (i === 0 || typeof unwrap(p) === "string") return pathStr(p);
        throw new TypeError(
          `join() argument must be str, bytes, or os.PathLike object, not '${pyTypeName(p)}'`,
        );
      });
      let out = "";
      for (const p of parts) {
        if (p.startsWith("/")) out = p;
        else if (!out || out.endsWith("/")) out += p;
        else out += "/" + p;
      }
      return out;
    },
    realpath: (v) => {
      const p = path.resolve(pathStr(v));
      try {
        return fs.realpathSync(p);
      } catch {
        return p;
      }
    },
    relpath: (v, ...args) => {
      const o = bind(args, ["start"], "relpath");
      return path.relative(o.start === undefined ? process.cwd() : str(o.start), str(v)) || ".";
    },
    splitext: (v) => {
      const s = pathStr(v);
      const base = s.slice(s.lastIndexOf("/") + 1);
      const dot = base.lastIndexOf(".");
      if (dot <= 0 || /^\.+$/.test(base.slice(0, dot + 1))) return tuple([s, ""]);
      const cut = s.length - (base.length - dot);
      return tuple([s.slice(0, cut), s.slice(cut)]);
    },
    win_basename: (v) => str(v).split(/[\\/]/).pop() ?? "",
    win_dirname: (v) => {
      const s = str(v);
      const i = Math.max(s.lastIndexOf("\\"), s.lastIndexOf("/"));
      return i < 0 ? "" : s.slice(0, i).replace(/[\\/]+$/, "") || s.slice(0, i + 1);
    },
    fileglob: (v) => {
      const pattern = str(v);
      return globFiles(pattern).filter((p) => {
        try {
          return fs.statSync(p).isFile();
        } catch {
          return false;
        }
      });
    },
    win_splitdrive: (v) => {
      const s = str(v);
      const m = /^([A-Za-z]:|[\\/]{2}[^\\/]+[\\/][^\\/]+)/.exec(s);
      return tuple(m ? [m[1], s.slice(m[1].length)] : ["", s]);
    },
  };
}
