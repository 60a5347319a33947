// The importer's responder on the controller: which Python modules targets may import from us (the
// embedded `mito` package and configured roots), their related modules found by scanning imports, and
// the LOAD_MODULE burst answering one request so an import costs at most one round trip. Pure: roots
// read files through callbacks.

export interface ModuleInfo {
  isPkg: boolean;
  filename: string;
  source: Uint8Array;
}

/** A directory of Python sources (e.g. an installed ansible-core's parent dir), limited to prefixes. */
export interface ModuleRoot {
  /** Dotted names served from this root, with everything below them (e.g. "ansible.module_utils"). */
  prefixes: string[];
  /** Reads a file relative to the root ("ansible/module_utils/basic.py"); null when absent. */
  read(relPath: string): Uint8Array | null;
  /** Filename reported to the target for relPath (default: relPath). */
  filename?(relPath: string): string;
  /**
   * Whether relPath is a directory: one without an __init__.py is a namespace package (the way
   * `ansible_collections` and its namespaces are installed), served as an empty package.
   */
  isDir?(relPath: string): boolean;
  /**
   * The release of the package this root serves: [file inside the top-level package that declares
   * `__version__`, that version]. A target whose own copy of the package declares another one never uses
   * it: the controller's modules run with the controller's release only (docs/protocol.md "Importer").
   */
  release?: [string, string];
}

export interface ImporterOptions {
  /** Repo-relative path → source, as in bootstrap/_embedded.ts. */
  embedded?: Readonly<Record<string, string>>;
  roots?: ModuleRoot[];
}

/** One LOAD_MODULE body: [fullname, is_pkg, filename, source or null, related names]. */
export type LoadModule = [string, boolean, string | null, Uint8Array | null, string[]];

// The runtime files that arrive with the bootstrap or are not modules.
const NOT_SERVED = new Set(["bootstrap/core.py", "bootstrap/first_stage.py"]);

/** Maps the embedded files onto the package `mito` (docs/team.md "Fixed seams"). */
export function embeddedModules(embedded: Readonly<Record<string, string>>): Map<string, ModuleInfo> {
  const out = new Map<string, ModuleInfo>();
  const enc = new TextEncoder();
  for (const [path, source] of Object.entries(embedded)) {
    if (!path.endsWith(".py") || NOT_SERVED.has(path)) continue;
    const m = /^(bootstrap|modules)\/(.+)\.py$/.exec(path);
    if (!m) continue;
    const parts = m[2].split("/");
    const isPkg = parts[parts.length - 1] === "__init__";
    if (isPkg) parts.pop();
    const name = ["mito", ...(m[1] === "modules" ? ["modules"] : []), ...parts].join(".");
    out.set(name, { isPkg, filename: `mito/${path}`, source: enc.encode(source) });
  }
  // Packages without an __init__.py are served empty.
  for (const name of [...out.keys()]) {
    const parts = name.split(".");
    for (let i = 1; i < parts.length; i++) {
      const pkg = parts.slice(0, i).join(".");
      if (pkg !== "mito" && !out.has(pkg)) {
        out.set(pkg, {
          isPkg: true,
          filename: `mito/${pkg.replaceAll(".", "/")}/__init__.py`,
          source: new Uint8Array(),
        });
      }
    }
  }
  return out;
}

const IMPORT_RE = /^[ \t]*import[ \t]+([\w. \t,]+)/gm;
const FROM_RE = /^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]+)/gm;
const SKIPPED_BLOCK_RE = /^[ \t]*(?:(?:async[ \t]+)?def[ \t]|except\b)/;

/**
 * The source without the bodies of its functions and `except` clauses: the statements that run when the
 * module is imported, those in `try`, `if` and class blocks included (basic.py imports its selinux helper
 * inside `try`), and not the fallbacks for an import that failed (compat.selectors' `_selectors2`, for
 * Pythons without `selectors`). A block's body is the lines after its header indented deeper than it.
 */
export function importTimeSource(source: string): string {
  const lines = source.split("\n");
  let skipped = -1; // the indentation of the header whose body the scan is in, -1 outside any
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let indent = 0;
    while (indent < line.length && (line[indent] === " " || line[indent] === "\t")) indent++;
    if (indent === line.length || line[indent] === "#" || line[indent] === "\r") continue;
    if (skipped >= 0) {
      if (indent > skipped) {
        lines[i] = "";
        continue;
      }
      skipped = -1;
    }
    if (SKIPPED_BLOCK_RE.test(line)) skipped = indent;
  }
  return lines.join("\n");
}

/**
 * Names a module's source imports (absolute), before filtering by what is servable. `importTime`: only
 * the imports that run when the module is imported (importTimeSource), not those inside functions, which
 * may never run.
 */
export function scanImports(fullname: string, isPkg: boolean, source: string, importTime = false): string[] {
  const found: string[] = [];
  const pkg = isPkg ? fullname : fullname.split(".").slice(0, -1).join(".");
  if (importTime) source = importTimeSource(source);
  for (const m of source.matchAll(IMPORT_RE)) {
    for (const part of m[1].split(",")) {
      const name = part.trim().split(/\s+/)[0];
      if (name) found.push(name);
    }
  }
  for (const m of source.matchAll(FROM_RE)) {
    let base = m[1];
    if (base.startsWith(".")) {
      const dots = base.length - base.replace(/^\.+/, "").length;
      const up = pkg.split(".").slice(0, pkg.split(".").length - (dots - 1));
      const rest = base.slice(dots);
      base = [...up, ...(rest ? [rest] : [])].join(".");
    }
    if (!base) continue;
    found.push(base);
    for (const item of m[2].replace(/[()]/g, "").split(",")) {
      const n = item.trim().split(/\s+/)[0];
      if (n && n !== "*" && /^\w+$/.test(n)) found.push(`${base}.${n}`);
    }
  }
  return found;
}

// Top-level names of the Python 3.6-3.13 standard library (sys.stdlib_module_names of 3.11 and 3.13):
// never served, whatever a root is configured with, so a target always uses its own stdlib.
const STDLIB = new Set(
  ("abc aifc antigravity argparse array ast asynchat asyncio asyncore atexit audioop base64 bdb binascii " +
    "bisect builtins bz2 cProfile calendar cgi cgitb chunk cmath cmd code codecs codeop collections colorsys " +
    "compileall concurrent configparser contextlib contextvars copy copyreg crypt csv ctypes curses " +
    "dataclasses datetime dbm decimal difflib dis distutils doctest email encodings ensurepip enum errno " +
    "faulthandler fcntl filecmp fileinput fnmatch fractions ftplib functools gc genericpath getopt getpass " +
    "gettext glob graphlib grp gzip hashlib heapq hmac html http idlelib imaplib imghdr imp importlib inspect " +
    "io ipaddress itertools json keyword lib2to3 linecache locale logging lzma mailbox mailcap marshal math " +
    "mimetypes mmap modulefinder msilib msvcrt multiprocessing netrc nis nntplib nt ntpath nturl2path numbers " +
    "opcode operator optparse os ossaudiodev pathlib pdb pickle pickletools pipes pkgutil platform plistlib " +
    "poplib posix posixpath pprint profile pstats pty pwd py_compile pyclbr pydoc pydoc_data pyexpat queue " +
    "quopri random re readline reprlib resource rlcompleter runpy sched secrets select selectors shelve shlex " +
    "shutil signal site smtpd smtplib sndhdr socket socketserver spwd sqlite3 sre_compile sre_constants " +
    "sre_parse ssl stat statistics string stringprep struct subprocess sunau symtable sys sysconfig syslog " +
    "tabnanny tarfile telnetlib tempfile termios textwrap this threading time timeit tkinter token tokenize " +
    "tomllib trace traceback tracemalloc tty turtle turtledemo types typing unicodedata unittest urllib uu " +
    "uuid venv warnings wave weakref webbrowser winreg winsound wsgiref xdrlib xml xmlrpc zipapp zipfile " +
    "zipimport zlib zoneinfo").split(" "),
);

/** Served modules, and names under a served package that do not exist. */
interface Closure {
  modules: string[];
  absent: string[];
}

const NONE: ReadonlySet<string> = new Set();

const MODULE_NAME = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/;

export class ImporterResponder {
  #embedded: Map<string, ModuleInfo>;
  #roots: ModuleRoot[];
  #found = new Map<string, ModuleInfo | null>();
  #related = new Map<string, Closure>();
  #eager = new Map<string, Closure>();
  #allEdges = new Map<string, Closure | null>();
  #importTimeEdges = new Map<string, Closure | null>();
  #sent = new Map<number, Set<string>>();

  constructor(opts: ImporterOptions = {}) {
    this.#embedded = embeddedModules(opts.embedded ?? {});
    this.#roots = opts.roots ?? [];
    for (const r of this.#roots) {
      for (const p of r.prefixes) {
        if (STDLIB.has(p.split(".")[0])) {
          throw new Error(`mito: a module root may not serve the stdlib (${p})`);
        }
      }
    }
  }

  /** Top-level package names targets may ask for (the config's "importable"). */
  importable(): string[] {
    const tops = new Set(["mito"]);
    for (const r of this.#roots) for (const p of r.prefixes) tops.add(p.split(".")[0]);
    return [...tops];
  }

  /** The config's "releases": top-level package -> its root's `release`. */
  releases(): Record<string, [string, string]> {
    const out: Record<string, [string, string]> = {};
    for (const r of this.#roots) {
      if (r.release) { for (const p of r.prefixes) out[p.split(".")[0]] ??= r.release; }
    }
    return out;
  }

  /**
   * The module, or null when it is not served (stdlib, anything outside the allowed roots, and any name a
   * target sends that is not a dotted Python identifier: no path of its own reaches a root's files).
   */
  lookup(fullname: string): ModuleInfo | null {
    if (!MODULE_NAME.test(fullname)) return null;
    let info = this.#found.get(fullname);
    if (info !== undefined) return info;
    info = this.#embedded.get(fullname) ?? this.#fromRoots(fullname);
    this.#found.set(fullname, info);
    return info;
  }

  #fromRoots(fullname: string): ModuleInfo | null {
    for (const root of this.#roots) {
      let inside = false;
      let parentOnly = false;
      for (const p of root.prefixes) {
        if (fullname === p || fullname.startsWith(p + ".")) inside = true;
        else if (p.startsWith(fullname + ".")) parentOnly = true;
      }
      const rel = fullname.replaceAll(".", "/");
      if (inside) {
        for (const [path, isPkg] of [[`${rel}/__init__.py`, true], [`${rel}.py`, false]] as const) {
          const source = root.read(path);
          if (source) return { isPkg, filename: root.filename?.(path) ?? path, source };
        }
        if (root.isDir?.(rel)) {
          return {
            isPkg: true,
            filename: root.filename?.(`${rel}/__init__.py`) ?? `${rel}/__init__.py`,
            source: new Uint8Array(),
          };
        }
      } else if (parentOnly) {
        // A parent of an allowed prefix: an empty package, so its own __init__ never runs on targets.
        return {
          isPkg: true,
          filename: root.filename?.(`${rel}/__init__.py`) ?? `${rel}/__init__.py`,
          source: new Uint8Array(),
        };
      }
    }
    return null;
  }

  /** Servable modules `fullname` needs: its parent packages and, transitively, what it imports. */
  related(fullname: string): string[] {
    return this.#closure(fullname, false, NONE).modules;
  }

  /**
   * Like related(), following only the imports that run when a module is imported (importTimeSource) and
   * mito's own: what importing `fullname` will import. A push ahead of a call sends this much; imports
   * inside functions (the runner's of Ansible's module_utils.basic, only for Ansible modules) are asked
   * for when they run.
   */
  eager(fullname: string): string[] {
    return this.#closure(fullname, true, NONE).modules;
  }

  /** `local`: top-level packages left out, with all they import (those the context has of its own). */
  #closure(fullname: string, importTime: boolean, local: ReadonlySet<string>): Closure {
    const memo = importTime ? this.#eager : this.#related;
    const key = local.size ? `${fullname} ${[...local].sort()}` : fullname;
    const cached = memo.get(key);
    if (cached) return cached;
    const out = new Set<string>();
    const absent = new Set<string>();
    const queue = [fullname];
    while (queue.length) {
      const edges = this.#edges(queue.pop()!, importTime);
      if (!edges) continue;
      for (const n of edges.modules) {
        if (n === fullname || out.has(n) || local.has(n.split(".")[0])) continue;
        out.add(n);
        queue.push(n);
      }
      for (const n of edges.absent) if (!local.has(n.split(".")[0])) absent.add(n);
    }
    // Parents first, so a package is cached before its submodules.
    const closure = {
      modules: [...out].sort((a, b) => a.split(".").length - b.split(".").length),
      absent: [...absent],
    };
    memo.set(key, closure);
    return closure;
  }

  /**
   * One module's own edges, read from its source once per kind: the served modules it needs directly (its
   * parent packages and what it imports, with their parents), and the names under a served package that
   * do not exist. A closure is then a walk over these (each module of ansible's module_utils is in the
   * closure of most of the others: scanning sources per closure was quadratic).
   */
  #edges(name: string, importTime: boolean): Closure | null {
    const memo = importTime ? this.#importTimeEdges : this.#allEdges;
    let edges = memo.get(name);
    if (edges !== undefined) return edges;
    const info = this.lookup(name);
    if (!info) {
      memo.set(name, null);
      return null;
    }
    const text = info.source.length ? new TextDecoder().decode(info.source) : "";
    let candidates = text ? scanImports(name, info.isPkg, text) : [];
    // mito's own modules import each other inside functions on purpose (lazily, but always used), except
    // the built-in modules' helpers inside the module runtime: only a built-in module's run imports them,
    // and that call pushes them with the module (a run of Ansible's modules never needs their 35 KB).
    if (importTime && text) {
      const lazy = (n: string) =>
        n.startsWith("mito.") && (name.startsWith("mito.modules") || !n.startsWith("mito.modules"));
      candidates = [...scanImports(name, info.isPkg, text, true), ...candidates.filter(lazy)];
    }
    const found = new Set<string>();
    const absent = new Set<string>();
    for (const c of [...parents(name), ...candidates]) {
      for (const n of [...parents(c), c]) {
        if (found.has(n) || absent.has(n) || n === "mito" || n === "mito.core") continue;
        if (this.lookup(n)) found.add(n);
        else if (n.includes(".") && this.lookup(n.slice(0, n.lastIndexOf(".")))?.isPkg) {
          absent.add(n); // a name a served package does not have (six.moves, `from pkg import attr`)
        }
      }
    }
    found.delete(name);
    edges = { modules: [...found], absent: [...absent] };
    memo.set(name, edges);
    return edges;
  }

  /**
   * The LOAD_MODULE bodies answering `fullname` for the direct child `child`: related modules it does not
   * have yet, then the module itself (source null = refused).
   */
  answer(child: number, fullname: string): LoadModule[] {
    return this.#bodies(child, fullname, false, NONE);
  }

  #bodies(child: number, fullname: string, eagerOnly: boolean, local: ReadonlySet<string>): LoadModule[] {
    let sent = this.#sent.get(child);
    if (!sent) this.#sent.set(child, sent = new Set());
    const info = this.lookup(fullname);
    if (!info) {
      sent.add(fullname);
      return [[fullname, false, null, null, []]];
    }
    const out: LoadModule[] = [];
    const related = this.#closure(fullname, false, local).modules;
    const { modules, absent } = this.#closure(fullname, eagerOnly, local);
    for (const name of modules) {
      if (sent.has(name)) continue;
      const r = this.lookup(name)!;
      sent.add(name);
      out.push([name, r.isPkg, r.filename, r.source, this.#closure(name, false, local).modules]);
    }
    // Names it would otherwise ask about in vain: cached as absent, so later finders (six) answer them.
    for (const name of absent) {
      if (sent.has(name)) continue;
      sent.add(name);
      out.push([name, false, null, null, []]);
    }
    sent.add(fullname);
    out.push([fullname, info.isPkg, info.filename, info.source, related]);
    return out;
  }

  /**
   * Unasked LOAD_MODULE bodies for `fullname` and its related modules, for a context about to import it
   * (a call into it is on its way): what the context was already sent is left out, and a module that is
   * not served is not pushed (the context's own request will get the refusal). `local`: the top-level
   * packages the context has of its own (READY's `local`), whose modules it imports from its own copy:
   * none of them is pushed, and the related names the bodies list leave them out.
   */
  push(context: number, fullname: string, local: readonly string[] = []): LoadModule[] {
    const sent = this.#sent.get(context);
    if (sent?.has(fullname) || local.includes(fullname.split(".")[0]) || !this.lookup(fullname)) return [];
    return this.#bodies(context, fullname, true, local.length ? new Set(local) : NONE);
  }

  /**
   * Reads and scans now what a push of `fullname` will need within its own top-level package, so a push
   * made later (once a context is up, on the way to its first call) finds it done. What it needs of other
   * packages waits for the push: it depends on which of them the context has of its own.
   */
  prepare(fullname: string): void {
    const own = fullname.split(".")[0];
    const others = new Set(this.importable().filter((top) => top !== own));
    this.#closure(fullname, true, others);
    this.#closure(fullname, false, others);
  }

  /** Forget what a child was sent (its stream ended). */
  forget(child: number): void {
    this.#sent.delete(child);
  }
}

function* parents(name: string): Generator<string> {
  const parts = name.split(".");
  for (let i = 1; i < parts.length; i++) yield parts.slice(0, i).join(".");
}
