// A module's documentation read as ansible-core reads it for ansible-doc (DOCUMENTATION, EXAMPLES, RETURN
// and ANSIBLE_METADATA assigned at the top of the file, YAML, doc fragments merged, collection names added
// to `version_added`), and the modules ansible-doc lists, with their files and short descriptions. Laid
// out by ansible_doc_text.ts.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseYaml } from "./yaml/mod.ts";
import { pyStrCompare } from "./py/str_order.ts";
import { PyFloat } from "../core/codec.ts";
import { pyLiteralAt } from "./module_docs.ts";

type Data = Record<string, unknown>;

export interface PluginDocs {
  doc: Data;
  examples: string | null;
  return: unknown;
  metadata: unknown;
}

/** Where documentation is looked up: ansible-core's package directory and the collection roots. */
export interface DocRoots {
  ansibleDir?: string;
  collectionRoots: string[];
  /** Where a plugin name is routed (meta/runtime.yml redirects); throws for a removed one. */
  route?: (name: string, kind: "modules" | "action") => string | undefined;
}

/** A YAML mapping (not a list, a float or a scalar). */
export const isMap = (v: unknown): v is Data =>
  typeof v === "object" && v !== null && !Array.isArray(v) &&
  !(v instanceof PyFloat);

// ---------------------------------------------------------------- reading a module's documentation

/** Python's evaluation of a string literal's body (escapes of a non-raw string). */
function pyUnescape(body: string): string {
  return body.replace(
    /\\(\n|[\\'"abfnrtv]|[0-7]{1,3}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})/g,
    (all, e: string) => {
      const simple: Record<string, string> = {
        "\n": "",
        "\\": "\\",
        "'": "'",
        '"': '"',
        a: "\x07",
        b: "\b",
        f: "\f",
        n: "\n",
        r: "\r",
        t: "\t",
        v: "\v",
      };
      if (e in simple) return simple[e];
      if (/^[0-7]/.test(e)) return String.fromCodePoint(parseInt(e, 8));
      if (/^[xuU]/.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 16));
      return all;
    },
  );
}

/**
 * The string assigned to `name` at the top level of Python source (`NAME = r'''…'''`), evaluated;
 * `indent` for a class attribute (a doc fragment's). Adjacent literals join, as Python's do.
 */
export function assignedString(source: string, name: string, indent = ""): string | undefined {
  // assigned more than once, the last assignment is the one Python (and ansible-doc) keeps
  const head = [...source.matchAll(new RegExp(`^${indent}${name}\\s*=\\s*(?:\\\\\\n\\s*)?\\(?\\s*`, "gm"))]
    .at(-1);
  if (!head) return undefined;
  let i = head.index! + head[0].length;
  let out: string | undefined;
  for (;;) {
    const m = /^([rRuUbB]{0,2})('''|"""|'|")/.exec(source.slice(i));
    if (!m) return out;
    const raw = /r/i.test(m[1]);
    const q = m[2];
    let j = i + m[0].length;
    let body = "";
    while (j < source.length && !source.startsWith(q, j)) {
      if (source[j] === "\\") {
        body += source.slice(j, j + 2);
        j += 2;
      } else body += source[j++];
    }
    out = (out ?? "") + (raw ? body : pyUnescape(body));
    i = j + q.length;
    const gap = /^\s*(?:\\\n\s*)?/.exec(source.slice(i))!;
    i += gap[0].length;
  }
}

/**
 * Documentation YAML, read as PyYAML reads it. PyYAML takes a quoted scalar or a flow collection whose
 * later lines are no more indented than the line it starts on (common in collections' docs); mito's
 * parser refuses them. Where the text does not parse, it is read again with those lines indented past
 * their start, which changes no value (a quoted or flow line's leading space is not part of it).
 */
function docYaml(text: string, file: string): unknown {
  try {
    return parseYaml(text, { file });
  } catch (err) {
    const fixed = indentFlowLines(text);
    if (fixed === text) throw err;
    try {
      return parseYaml(fixed, { file });
    } catch {
      throw err;
    }
  }
}

/** Where a quoted scalar, a flow collection or a block scalar may start: after these, or a line's start. */
const TOKEN_BEFORE = new Set(["", "-", ":", "?", "[", "{", ","]);

/** The text with the continuation lines of quoted scalars and flow collections indented past their start. */
export function indentFlowLines(text: string): string {
  const lines = text.split("\n");
  let quote = "", depth = 0, startIndent = 0, blockIndent = -1;
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n];
    const indent = line.length - line.trimStart().length;
    if (quote || depth) {
      if (line.trim() && indent <= startIndent) {
        lines[n] = line = " ".repeat(startIndent + 2) + line.trimStart();
      }
    } else if (blockIndent >= 0) {
      if (!line.trim() || indent > blockIndent) continue;
      blockIndent = -1;
    }
    let prev = "";
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quote === '"') {
        if (c === "\\") i++;
        else if (c === '"') quote = "";
      } else if (quote === "'") {
        if (c === "'" && line[i + 1] === "'") i++;
        else if (c === "'") quote = "";
      } else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) break;
      else if (c === " " || c === "\t") continue;
      else if ((c === '"' || c === "'") && (depth || TOKEN_BEFORE.has(prev))) {
        if (!depth) startIndent = line.length - line.trimStart().length;
        quote = c;
      } else if ((c === "[" || c === "{") && (depth || TOKEN_BEFORE.has(prev))) {
        if (!depth) startIndent = line.length - line.trimStart().length;
        depth++;
      } else if ((c === "]" || c === "}") && depth) depth--;
      else if ((c === "|" || c === ">") && !depth && TOKEN_BEFORE.has(prev)) {
        blockIndent = line.length - line.trimStart().length;
        break;
      }
      prev = quote ? "" : c;
    }
  }
  return lines.join("\n");
}

/** Every part a plugin's documentation has: option names with version_added get the collection's name. */
function addCollection(fragment: unknown, collection: string, returnDocs = false): void {
  if (!isMap(fragment)) return;
  const add = (o: Data, field: string) => {
    if (!(field in o)) o[field] = collection;
  };
  const returnValues = (values: Data) => {
    for (const v of Object.values(values)) {
      if (!isMap(v)) continue;
      if ("version_added" in v) add(v, "version_added_collection");
      if (isMap(v.contains)) returnValues(v.contains);
    }
  };
  if (returnDocs) return returnValues(fragment);
  if ("version_added" in fragment) add(fragment, "version_added_collection");
  const dep = fragment.deprecated;
  if (isMap(dep)) {
    if ("removed_in" in dep || "removed_at_date" in dep) add(dep, "removed_from_collection");
  }
  const options = (opts: Data) => {
    for (const o of Object.values(opts)) {
      if (!isMap(o)) continue;
      if ("version_added" in o) add(o, "version_added_collection");
      if (isMap(o.suboptions)) options(o.suboptions);
    }
  };
  if (isMap(fragment.options)) options(fragment.options);
  if (isMap(fragment.attributes)) {
    for (const a of Object.values(fragment.attributes)) {
      if (isMap(a) && "version_added" in a) add(a, "version_added_collection");
    }
  }
}

/** ansible-core's merge of a fragment's section into the module's: the module's entries win. */
function mergeFragment(target: Data, source: Data): void {
  for (let [key, value] of Object.entries(source)) {
    if (key in target) {
      const t = target[key];
      if (isMap(t) && isMap(value)) value = { ...value, ...t };
      else if (Array.isArray(t) && Array.isArray(value)) {
        value = [...new Set([...value, ...t].map(String))].sort(pyStrCompare);
      } else throw new DocError(`Attempt to extend a documentation fragment, invalid type for ${key}`);
    }
    target[key] = value;
  }
}

export class DocError extends Error {
  override name = "DocError";
}

/** A doc fragment's text: `files`, `action_common_attributes.flow`, `community.general.proxmox`. */
function fragmentYaml(
  slug: string,
  roots: DocRoots,
  own: string,
): { text: string; collection: string } | undefined {
  const tryLoad = (name: string, variable: string) => {
    const parts = name.split(".");
    const files: [string, string][] = [];
    if (parts.length === 1 || (parts.length === 3 && parts[0] === "ansible" && parts[1] === "builtin")) {
      if (roots.ansibleDir) {
        const short = parts.at(-1)!;
        files.push([
          path.join(roots.ansibleDir, "ansible/plugins/doc_fragments", `${short}.py`),
          "ansible.builtin",
        ]);
      }
    } else if (parts.length >= 3) {
      // ns.coll.a.b: doc_fragments/a/b.py, or b.py beside a.py (a module, which the collection loader
      // lets stand for its own directory)
      for (const root of roots.collectionRoots) {
        const dir = path.join(root, "ansible_collections", parts[0], parts[1], "plugins/doc_fragments");
        const collection = `${parts[0]}.${parts[1]}`;
        files.push([path.join(dir, ...parts.slice(2, -1), `${parts.at(-1)}.py`), collection]);
        if (parts.length > 3 && fs.existsSync(path.join(dir, `${parts[2]}.py`))) {
          files.push([path.join(dir, `${parts.at(-1)}.py`), collection]);
        }
      }
    }
    for (const [file, collection] of files) {
      let source: string;
      try {
        source = fs.readFileSync(file, "utf8");
      } catch {
        continue;
      }
      const text = assignedString(source, variable, "\\s+");
      if (text === undefined && variable !== "DOCUMENTATION") return null;
      return { text: text ?? "{}", collection };
    }
    return undefined;
  };
  // a bare name not in ansible-core: the module's own collection's fragment (as ansible-doc finds it)
  const load = (name: string, variable: string) => {
    const found = tryLoad(name, variable);
    return found === undefined && !name.includes(".") && own.includes(".")
      ? tryLoad(`${own}.${name}`, variable)
      : found;
  };
  let found = load(slug, "DOCUMENTATION");
  if (found === undefined && slug.includes(".")) {
    const cut = slug.lastIndexOf(".");
    found = load(slug.slice(0, cut), slug.slice(cut + 1).toUpperCase());
  }
  return found ?? undefined;
}

function addFragments(doc: Data, file: string, roots: DocRoots, collection: string): void {
  let fragments = doc.extends_documentation_fragment ?? [];
  delete doc.extends_documentation_fragment;
  if (typeof fragments === "string") fragments = [fragments];
  const unknown: string[] = [];
  for (const slug of fragments as string[]) {
    const found = fragmentYaml(String(slug), roots, collection);
    if (!found) {
      unknown.push(String(slug));
      continue;
    }
    const fragment = (docYaml(found.text, file) ?? {}) as Data;
    addCollection(fragment, found.collection);
    for (const key of ["notes", "seealso"]) {
      if (!(key in fragment)) continue;
      const items = fragment[key];
      delete fragment[key];
      if (Array.isArray(items) && items.length) {
        doc[key] = [...(Array.isArray(doc[key]) ? doc[key] as unknown[] : []), ...items];
      }
    }
    for (const key of ["options", "attributes"]) {
      if (!(key in fragment)) continue;
      if (isMap(doc[key])) mergeFragment(doc[key] as Data, fragment[key] as Data);
      else doc[key] = fragment[key];
      delete fragment[key];
    }
    mergeFragment(doc, fragment);
  }
  if (unknown.length) throw new DocError(`unknown doc_fragment(s) in file ${file}: ${unknown.join(", ")}`);
}

/** Whether an action plugin answers to the name asked for (ansible-doc's `has_action`), redirects followed. */
function hasAction(name: string, roots: DocRoots): boolean {
  const parts = name.split(".");
  const own = parts.length >= 3 &&
    !(parts[0] === "ansible" && (parts[1] === "builtin" || parts[1] === "legacy"));
  if (!own && roots.ansibleDir) {
    const short = parts.at(-1)!;
    if (fs.existsSync(path.join(roots.ansibleDir, "ansible/plugins/action", `${short}.py`))) return true;
  }
  let fq = own ? name : `ansible.builtin.${parts.at(-1)}`;
  try {
    fq = roots.route?.(fq, "action") ?? fq;
  } catch {
    return false; // removed
  }
  const m = /^(\w+)\.(\w+)\.(.+)$/.exec(fq);
  if (!m || (m[1] === "ansible" && m[2] === "builtin")) return false;
  return roots.collectionRoots.some((root) =>
    fs.existsSync(
      path.join(root, "ansible_collections", m[1], m[2], "plugins/action", `${m[3].replace(/\./g, "/")}.py`),
    )
  );
}

/**
 * A module's documentation as ansible-doc gathers it: `name` as asked for, `file` the module's source
 * (or its .py/.yml sidecar), `collection` the one it belongs to (ansible.builtin for ansible-core's).
 */
export function pluginDocs(name: string, file: string, collection: string, roots: DocRoots): PluginDocs {
  let docFile = file;
  if (!/\.(py|ya?ml)$/.test(file)) {
    const stem = file.replace(/\.[^./]*$/, "");
    docFile = [".py", ".yml", ".yaml"].map((e) => stem + e).find((f) => fs.existsSync(f)) ?? file;
  }
  const source = fs.readFileSync(docFile, "utf8");
  try {
    return gathered(name, docFile, source, collection, roots);
  } catch (err) {
    if (err instanceof DocError) throw err;
    throw new DocError(`${docFile}: ${(err as Error).message}`);
  }
}

function gathered(
  name: string,
  docFile: string,
  source: string,
  collection: string,
  roots: DocRoots,
): PluginDocs {
  let doc: unknown, examples: string | null = null, returns: unknown = null, metadata: unknown = null;
  if (/\.ya?ml$/.test(docFile)) {
    const data = (parseYaml(source, { file: docFile }) ?? {}) as Data;
    doc = data.DOCUMENTATION ?? null;
    examples = (data.EXAMPLES ?? null) as string | null;
    returns = data.RETURN ?? null;
  } else {
    const text = assignedString(source, "DOCUMENTATION");
    doc = text === undefined ? null : docYaml(text, docFile);
    examples = assignedString(source, "EXAMPLES") ?? null;
    const ret = assignedString(source, "RETURN");
    returns = ret === undefined ? null : docYaml(ret, docFile);
    metadata = pythonMetadata(source, docFile);
  }
  if (!isMap(doc)) throw new DocError(`No documentation available for ${name} (${docFile})`);
  addCollection(doc, collection);
  addFragments(doc, docFile, roots, collection);
  if (returns) addCollection(returns, collection, true);
  // has_action first: ansible-doc adds it after the file and collection, but -j sorts the keys anyway
  doc.filename = docFile;
  doc.collection = collection;
  doc.has_action = hasAction(name, roots);
  return { doc, examples, return: returns, metadata };
}

/** ANSIBLE_METADATA, which old modules still carry: a dict literal, or YAML in a string. */
function pythonMetadata(source: string, file: string): unknown {
  const m = /^ANSIBLE_METADATA\s*=\s*/m.exec(source);
  if (!m) return null;
  const at = m.index + m[0].length;
  if (source[at] === "{") return pyLiteralAt(source, at);
  const text = assignedString(source, "ANSIBLE_METADATA");
  return text === undefined ? null : docYaml(text, file);
}

// ---------------------------------------------------------------- listing

/** What ansible's plugin listing leaves out of a modules directory. */
const IGNORE_FILES = [
  "COPYING",
  "CONTRIBUTING",
  "LICENSE",
  "README",
  "VERSION",
  "GUIDELINES",
  "MANIFEST",
  "Makefile",
];
const REJECT_EXTS = [
  ".pyc",
  ".pyo",
  ".swp",
  ".bak",
  "~",
  ".rpm",
  ".md",
  ".txt",
  ".rst",
  ".yml",
  ".yaml",
  ".json",
];

/** os.path.splitext. */
function splitExt(file: string): [string, string] {
  const m = /^(\.*[^.]*(?:\.[^.]+)*?)(\.[^.]*)?$/.exec(file)!;
  return [m[1], m[2] ?? ""];
}

/**
 * os.listdir: a directory's entries in the order the file system gives them (readdirSync sorts them),
 * which decides the file a name ends up with when `x.ps1` and `x.py` both list as `x`.
 */
function listDir(dir: string): string[] {
  let d: fs.Dir;
  try {
    d = fs.opendirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  try {
    for (let e = d.readSync(); e !== null; e = d.readSync()) out.push(e.name);
  } finally {
    d.closeSync();
  }
  return out;
}

/** The modules of one collection's directory (ansible-core's: `ansible.builtin`), by name. */
function modulesIn(
  dir: string,
  collection: string,
  into: Map<string, string>,
  prefix = "",
  synthetic = false,
) {
  if (path.basename(dir).startsWith(".") || path.basename(dir).startsWith("__")) return;
  for (const f of listDir(dir)) {
    if (f.startsWith(".") || f.startsWith("__")) continue;
    const full = path.join(dir, f);
    const [stem, ext] = splitExt(f);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(full);
    } catch {
      continue;
    }
    if (fs.statSync(full).isDirectory()) {
      if (synthetic && !fs.existsSync(path.join(full, "__init__.py"))) continue;
      modulesIn(full, collection, into, `${prefix}${f}.`, synthetic);
      continue;
    }
    if (IGNORE_FILES.includes(stem) || REJECT_EXTS.includes(ext) || stat.isSymbolicLink()) continue;
    if (stem === "async_wrapper") continue;
    into.set(`${collection}.${prefix}${stem}`, full);
  }
}

/**
 * Every module ansible-doc lists, by name, with its file: ansible-core's (ansible.builtin), the library
 * directories' (ansible.legacy), then each collection's (the first root holding a collection wins).
 */
export function listPlugins(
  roots: DocRoots & { libraryPaths: string[] },
  only?: string,
): Map<string, string> {
  const out = new Map<string, string>();
  if (only === undefined || only === "ansible.builtin" || only === "ansible.legacy") {
    if (roots.ansibleDir) {
      modulesIn(path.join(roots.ansibleDir, "ansible/modules"), "ansible.builtin", out, "", true);
    }
  }
  if (only === undefined || only === "ansible.legacy") {
    for (const dir of roots.libraryPaths) modulesIn(dir, "ansible.legacy", out, "", true);
  }
  const seen = new Set<string>();
  for (const root of roots.collectionRoots) {
    const base = path.join(root, "ansible_collections");
    for (const ns of listDir(base).sort()) {
      for (const coll of listDir(path.join(base, ns)).sort()) {
        const fq = `${ns}.${coll}`;
        if (seen.has(fq) || (only !== undefined && only !== fq)) continue;
        if (
          !fs.existsSync(path.join(base, ns, coll, "MANIFEST.json")) &&
          !fs.existsSync(path.join(base, ns, coll, "galaxy.yml"))
        ) continue;
        seen.add(fq);
        modulesIn(path.join(base, ns, coll, "plugins/modules"), fq, out);
      }
    }
  }
  return out;
}

/** The short description ansible-doc -l shows: read from the lines of DOCUMENTATION (read_docstub). */
export function docStub(file: string): string | undefined {
  const tryFile = (f: string) => {
    let source: string;
    try {
      source = fs.readFileSync(f, "utf8");
    } catch {
      return undefined;
    }
    let inDoc = false, capturing = false, indent = "";
    const stub: string[] = [];
    for (const line of source.split(/(?<=\n)/)) {
      if (inDoc) {
        if (capturing && line.startsWith(indent)) stub.push(line);
        else if (capturing) break;
        else if (line.trimStart().startsWith("short_description:")) {
          capturing = true;
          indent = " ".repeat(line.length - line.trimStart().length + 1);
          stub.push(line);
        }
      } else if (line.startsWith("DOCUMENTATION") && (line.includes("=") || line.includes(":"))) inDoc = true;
    }
    const text = stub.join("").trim().replace(/\.+$/, "");
    const data = parseYaml(text, { file: f });
    return isMap(data) ? data : undefined;
  };
  let data = tryFile(file);
  if (data === undefined) {
    const stem = file.replace(/\.[^./]*$/, "");
    for (const ext of [".py", ".yml", ".yaml"]) {
      if (stem + ext !== file && fs.existsSync(stem + ext)) data = tryFile(stem + ext) ?? data;
    }
  }
  if (data === undefined) return "UNDOCUMENTED";
  const d = data.short_description;
  return d === undefined ? "INVALID SHORT DESCRIPTION" : String(d).trim();
}
