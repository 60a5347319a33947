// What `mito doc` shows: every module this controller can run, with where it comes from (mito's
// built-ins, an installed ansible-core, collections, library paths), and one module's options, from its
// DOCUMENTATION or, for a built-in, from its own ARGUMENT_SPEC.
import * as fs from "node:fs";
import * as path from "node:path";
import { EMBEDDED } from "../bootstrap/_embedded.ts";
import { parseYaml } from "./yaml/mod.ts";
import { wrap } from "./callbacks/display.ts";

export type DocSource = "mito" | "ansible-core" | "collection" | "library";

export interface ModuleEntry {
  /** ansible.builtin.copy, community.general.ufw, or a library module's bare name. */
  name: string;
  source: DocSource;
  /** The file it is read from (a built-in's path inside the binary: modules/copy.py). */
  path: string;
  description: string;
}

export interface DocPlaces {
  /** The directory holding ansible-core's `ansible` package, if installed. */
  ansibleDir?: string;
  /** Collection roots (each holding ansible_collections/). */
  collectionRoots: string[];
  /** Configured library directories. */
  libraryPaths: string[];
}

const MODULE_FILE = /^([a-z][a-z0-9_]*)\.py$/;

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The DOCUMENTATION string of a module's Python source (or another such variable, in a doc fragment). */
export function documentationText(source: string, variable = "DOCUMENTATION"): string | undefined {
  const m = new RegExp(`^\\s*${variable}\\s*=\\s*(?:\\\\\\s*)?[rRuU]?('{3}|"{3})([\\s\\S]*?)\\1`, "m").exec(
    source,
  );
  return m?.[2];
}

/** The `short_description:` of a DOCUMENTATION, read without parsing the whole YAML (fast for -l). */
function shortDescription(source: string): string {
  const doc = documentationText(source) ?? "";
  const m = /^\s*short_description:\s*(.*)$/m.exec(doc);
  return m ? m[1].trim().replace(/^(['"])(.*)\1$/, "$2") : "";
}

/** A built-in's description: its docstring's first sentence, after "name:". */
function builtinDescription(source: string): string {
  const m = /^"""([\s\S]*?)(?:"""|\n\n)/.exec(source);
  const first = (m?.[1] ?? "").replace(/\s+/g, " ").trim();
  return first.replace(/^[a-z_]+(?: \([^)]*\))?: /, "").replace(/\.$/, "");
}

/** Every module mito can run here, each name once per source, built-ins first. */
export function listModules(places: DocPlaces): ModuleEntry[] {
  const out: ModuleEntry[] = [];
  for (const [file, source] of Object.entries(EMBEDDED)) {
    const m = /^modules\/([a-z][a-z0-9_]*)\.py$/.exec(file);
    if (m) {
      out.push({
        name: `ansible.builtin.${m[1]}`,
        source: "mito",
        path: file,
        description: builtinDescription(source),
      });
    }
  }
  if (places.ansibleDir) {
    const dir = path.join(places.ansibleDir, "ansible", "modules");
    for (const f of listDir(dir)) {
      const m = MODULE_FILE.exec(f);
      if (!m) continue;
      const p = path.join(dir, f);
      const description = describe(p);
      if (description !== undefined) {
        out.push({ name: `ansible.builtin.${m[1]}`, source: "ansible-core", path: p, description });
      }
    }
  }
  const seen = new Set<string>();
  for (const root of places.collectionRoots) {
    const base = path.join(root, "ansible_collections");
    for (const ns of listDir(base)) {
      for (const coll of listDir(path.join(base, ns))) {
        const fq = `${ns}.${coll}`;
        if (seen.has(fq)) continue; // the first root with a collection wins, as for running it
        seen.add(fq);
        for (const [name, p] of moduleFiles(path.join(base, ns, coll, "plugins", "modules"))) {
          const description = describe(p);
          if (description !== undefined) {
            out.push({ name: `${fq}.${name}`, source: "collection", path: p, description });
          }
        }
      }
    }
  }
  for (const dir of places.libraryPaths) {
    for (const f of listDir(dir)) {
      const m = MODULE_FILE.exec(f);
      if (!m) continue;
      const p = path.join(dir, f);
      out.push({ name: m[1], source: "library", path: p, description: describe(p) ?? "" });
    }
  }
  return out;
}

/** A module file's short description; undefined for a file without DOCUMENTATION (not a module to list). */
function describe(file: string): string | undefined {
  try {
    const source = fs.readFileSync(file, "utf8");
    return documentationText(source) === undefined ? undefined : shortDescription(source);
  } catch {
    return undefined;
  }
}

/** A collection's Python modules, those in subdirectories named with their path (`storage.nxos_vsan`). */
function moduleFiles(dir: string, prefix = ""): [string, string][] {
  const out: [string, string][] = [];
  for (const f of listDir(dir)) {
    const p = path.join(dir, f);
    const m = MODULE_FILE.exec(f);
    if (m && m[1] !== "__init__") out.push([prefix + m[1], p]);
    else if (!f.includes(".") && f !== "__pycache__" && fs.statSync(p).isDirectory()) {
      out.push(...moduleFiles(p, `${prefix}${f}.`));
    }
  }
  return out;
}

/** `mito doc -l`: name, where it comes from, and the short description, in columns. */
export function listText(entries: ModuleEntry[], columns = 80): string {
  // As wide as the longest name, up to 40 columns: longer names push their line's description along.
  const nameWidth = Math.min(40, Math.max(0, ...entries.map((e) => e.name.length)));
  const sourceWidth = Math.max(0, ...entries.map((e) => e.source.length));
  return entries.map((e) => {
    const head = `${e.name.padEnd(nameWidth)}  ${e.source.padEnd(sourceWidth)}  `;
    const room = Math.max(10, columns - head.length);
    const text = e.description.length > room ? e.description.slice(0, room - 3) + "..." : e.description;
    return (head + text).trimEnd() + "\n";
  }).join("");
}

// ---------------------------------------------------------------- one module

export interface OptionDoc {
  description: string[];
  required?: boolean;
  default?: unknown;
  choices?: unknown[];
  type?: string;
  elements?: string;
  aliases?: string[];
}

export interface ModuleDoc {
  name: string;
  path: string;
  source: DocSource;
  description: string[];
  options: Record<string, OptionDoc>;
  /** For a built-in that also takes the file module's common options (mode, owner, …). */
  note?: string;
}

/** Finds a module by its short or collection name; built-ins, then ansible-core, collections, libraries. */
export function findModule(name: string, places: DocPlaces): ModuleEntry[] {
  const short = name.replace(/^ansible\.(builtin|legacy)\./, "");
  return listModules(places).filter((e) =>
    e.name === name || e.name === `ansible.builtin.${short}` || (e.source === "library" && e.name === short)
  );
}

const asList = (v: unknown): string[] =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)];

/** Options as documented (DOCUMENTATION) or specified (ARGUMENT_SPEC): the facts both have in common. */
function optionDocs(entries: [string, unknown][]): Record<string, OptionDoc> {
  const out: Record<string, OptionDoc> = {};
  for (const [k, raw] of entries) {
    const o = (raw ?? {}) as Record<string, unknown>;
    out[k] = {
      description: asList(o.description),
      ...(o.required === true ? { required: true } : {}),
      ...("default" in o ? { default: o.default } : {}),
      ...(Array.isArray(o.choices) ? { choices: o.choices } : {}),
      ...(o.type !== undefined ? { type: String(o.type) } : {}),
      ...(o.elements !== undefined ? { elements: String(o.elements) } : {}),
      ...(Array.isArray(o.aliases) ? { aliases: o.aliases.map(String) } : {}),
    };
  }
  return out;
}

/** A module's documentation: its DOCUMENTATION's options, or a built-in's ARGUMENT_SPEC. */
export function moduleDoc(entry: ModuleEntry, places?: DocPlaces): ModuleDoc {
  const source = entry.source === "mito" ? EMBEDDED[entry.path] : fs.readFileSync(entry.path, "utf8");
  if (entry.source === "mito") {
    const spec = builtinSpec(entry.path);
    // Options starting with _ are the controller's own arguments to the target side, not the user's.
    const options = optionDocs(Object.entries(spec).filter(([k]) => !k.startsWith("_")));
    return {
      name: entry.name,
      path: entry.path,
      source: entry.source,
      description: [builtinDescription(source)],
      options,
      ...(/^ADD_FILE_COMMON_ARGS\s*=\s*True/m.test(source)
        ? {
          note:
            "Also takes the file options: mode, owner, group, seuser, serole, setype, selevel, attributes.",
        }
        : {}),
    };
  }
  const text = documentationText(source);
  const doc = ((text ? parseYaml(text, { file: entry.path }) : {}) ?? {}) as Record<string, unknown>;
  const merged: Record<string, Record<string, unknown>> = {};
  for (const f of asList(doc.extends_documentation_fragment)) {
    Object.assign(merged, fragmentOptions(f, places));
  }
  Object.assign(merged, (doc.options ?? {}) as Record<string, Record<string, unknown>>);
  const options = optionDocs(Object.entries(merged));
  return {
    name: entry.name,
    path: entry.path,
    source: entry.source,
    description: asList(doc.description),
    options,
  };
}

/** ansible-doc's rendering of the documentation markup: C(x) and I(x) as `x', M(x) as [x], … */
export function plainMarkup(text: string): string {
  return text
    .replace(/\b[CIVOE]\(([^)]*)\)/g, "`$1'")
    .replace(/\bM\(([^)]*)\)/g, "[$1]")
    .replace(/\bB\(([^)]*)\)/g, "*$1*")
    .replace(/\bU\(([^)]*)\)/g, "$1")
    .replace(/\bL\(([^,)]*),\s*([^)]*)\)/g, "$1 <$2>")
    .replace(/\bR\(([^,)]*),\s*([^)]*)\)/g, "$1")
    .replace(/\bHORIZONTALLINE\b/g, "-------------");
}

/**
 * The options a documentation fragment adds (extends_documentation_fragment: `files`,
 * `action_common_attributes.flow`, `community.general.proxmox.documentation`): a collection's fragment for
 * a name with a collection, else ansible-core's.
 */
function fragmentOptions(name: string, places?: DocPlaces): Record<string, Record<string, unknown>> {
  const parts = name.split(".");
  const candidates: [string, string][] = [];
  const varOf = (rest: string[]) => (rest[1] ?? "documentation").toUpperCase();
  if (parts.length >= 3) {
    for (const root of places?.collectionRoots ?? []) {
      const dir = path.join(root, "ansible_collections", parts[0], parts[1], "plugins", "doc_fragments");
      candidates.push([path.join(dir, `${parts[2]}.py`), varOf(parts.slice(2))]);
    }
  }
  if (places?.ansibleDir && (parts.length < 3 || (parts[0] === "ansible" && parts[1] === "builtin"))) {
    const rest = parts.length >= 3 ? parts.slice(2) : parts;
    const dir = path.join(places.ansibleDir, "ansible", "plugins", "doc_fragments");
    candidates.push([path.join(dir, `${rest[0]}.py`), varOf(rest)]);
  }
  for (const [file, variable] of candidates) {
    let source: string;
    try {
      source = fs.readFileSync(file, "utf8");
    } catch {
      continue;
    }
    const text = documentationText(source, variable);
    if (text === undefined) continue;
    const data = (parseYaml(text, { file }) ?? {}) as Record<string, unknown>;
    return (data.options ?? {}) as Record<string, Record<string, unknown>>;
  }
  return {};
}

/** Python's repr-like rendering of a default or choice, as ansible-doc shows them. */
function shown(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "true" : "false";
  return JSON.stringify(v);
}

/** The module's documentation as text, laid out as ansible-doc's. */
export function docText(d: ModuleDoc, runsAs: string, columns = 80): string {
  const width = Math.max(40, columns - 8);
  const para = (t: string) => wrap(plainMarkup(t), width).map((l) => `        ${l}`);
  const out = [`> ${d.name.toUpperCase()}    (${d.path})`, "", ...d.description.flatMap(para), ""];
  out.push(`RUNS AS: ${runsAs}`, "");
  if (d.note) out.push(...wrap(d.note, columns).map((l) => l), "");
  out.push("OPTIONS (= is mandatory):", "");
  for (const name of Object.keys(d.options).sort()) {
    const o = d.options[name];
    out.push(`${o.required ? "=" : "-"} ${name}`);
    for (const line of o.description) out.push(...para(line));
    if (o.aliases?.length) out.push(`        aliases: [${o.aliases.join(", ")}]`);
    if (o.choices?.length) out.push(`        choices: [${o.choices.map(shown).join(", ")}]`);
    if ("default" in o) out.push(`        default: ${shown(o.default)}`);
    if (o.elements) out.push(`        elements: ${o.elements}`);
    if (o.type) out.push(`        type: ${o.type}`);
    out.push("");
  }
  return out.join("\n") + "\n";
}

// ---------------------------------------------------------------- built-in specs

/**
 * A built-in module's ARGUMENT_SPEC, read from its source without running Python: the dict literal,
 * one taken over from another module (`from mito.modules.x import ARGUMENT_SPEC`, `dict(x.ARGUMENT_SPEC)`),
 * and keys added at the top level (`ARGUMENT_SPEC["k"] = {...}`).
 */
export function builtinSpec(file: string, depth = 0): Record<string, unknown> {
  const source = EMBEDDED[file];
  if (source === undefined || depth > 4) return {};
  let spec: Record<string, unknown> = {};
  const imported = /^from mito\.modules\.(\w+) import [^\n]*\bARGUMENT_SPEC\b/m.exec(source);
  const literal = /^ARGUMENT_SPEC\s*=\s*\{/m.exec(source);
  const copied = /^ARGUMENT_SPEC\s*=\s*dict\((\w+)\.ARGUMENT_SPEC\)/m.exec(source);
  if (literal) {
    spec = new PyLiteral(source, literal.index + literal[0].length - 1).value() as Record<string, unknown>;
  } else if (copied) {
    const alias = copied[1];
    const from = new RegExp(`^from mito\\.modules import (\\w+)(?: as ${alias})?$`, "m").exec(source);
    const module = from && (from[1] === alias || source.includes(`import ${from[1]} as ${alias}`))
      ? from[1]
      : alias;
    spec = { ...builtinSpec(`modules/${module}.py`, depth + 1) };
  } else if (imported) spec = builtinSpec(`modules/${imported[1]}.py`, depth + 1);
  for (const m of source.matchAll(/^ARGUMENT_SPEC\["(\w+)"\]\s*=\s*\{/gm)) {
    spec[m[1]] = new PyLiteral(source, m.index! + m[0].length - 1).value();
  }
  return spec;
}

/** The Python literal (a dict, list, string, …) that starts at `at` in `source`. */
export function pyLiteralAt(source: string, at: number): unknown {
  return new PyLiteral(source, at).value();
}

/** A reader of Python literals (dicts, lists, tuples, strings, numbers, True/False/None); a name reads as its text. */
class PyLiteral {
  #s: string;
  #i: number;
  constructor(source: string, at: number) {
    this.#s = source;
    this.#i = at;
  }
  #skip(): void {
    for (;;) {
      while (/\s/.test(this.#s[this.#i] ?? "")) this.#i++;
      if (this.#s[this.#i] !== "#") return;
      while (this.#i < this.#s.length && this.#s[this.#i] !== "\n") this.#i++;
    }
  }
  #eat(ch: string): boolean {
    this.#skip();
    if (this.#s[this.#i] !== ch) return false;
    this.#i++;
    return true;
  }
  value(): unknown {
    this.#skip();
    const c = this.#s[this.#i];
    if (c === "{") return this.#dict();
    if (c === "[" || c === "(") return this.#list(c === "[" ? "]" : ")");
    if (c === '"' || c === "'") return this.#strings();
    const m = /^-?\d+(\.\d+)?|^[A-Za-z_][\w.]*(\([^)]*\))?/.exec(this.#s.slice(this.#i));
    if (!m) throw new Error(`unreadable ARGUMENT_SPEC near ${this.#s.slice(this.#i, this.#i + 20)}`);
    this.#i += m[0].length;
    if (/^-?\d/.test(m[0])) return Number(m[0]);
    return m[0] === "True" ? true : m[0] === "False" ? false : m[0] === "None" ? null : m[0];
  }
  #dict(): Record<string, unknown> {
    this.#i++;
    const out: Record<string, unknown> = {};
    while (!this.#eat("}")) {
      const k = String(this.value());
      this.#eat(":");
      out[k] = this.value();
      this.#eat(",");
    }
    return out;
  }
  #list(close: string): unknown[] {
    this.#i++;
    const out: unknown[] = [];
    while (!this.#eat(close)) {
      out.push(this.value());
      this.#eat(",");
    }
    return out;
  }
  // Adjacent literals join, as Python's do ("a" "b").
  #strings(): string {
    let out = "";
    for (;;) {
      this.#skip();
      const q = this.#s[this.#i];
      if (q !== '"' && q !== "'") return out;
      this.#i++;
      while (this.#i < this.#s.length && this.#s[this.#i] !== q) {
        if (this.#s[this.#i] === "\\") this.#i++;
        out += this.#s[this.#i++];
      }
      this.#i++;
    }
  }
}
