// ansible-doc's own output for modules, byte for byte: a module's documentation read as ansible-core reads
// it (DOCUMENTATION, EXAMPLES and RETURN assigned at the top of the file, YAML, doc fragments merged,
// collection names added to `version_added`), and laid out as its text (`ansible-doc NAME`), its JSON
// (`-j`), its task snippet (`-s`) and its list (`-l`, `-F`). Widths follow ansible-doc's: 79 columns
// unless stdout is a terminal (then its width less one).
import * as fs from "node:fs";
import * as path from "node:path";
import { parseYaml } from "./yaml/mod.ts";
import { wrapIndented } from "./callbacks/display.ts";
import { jsonDumps } from "./py/json_dump.ts";
import { yamlDump } from "./py/yaml_dump.ts";
import { pyStrCompare } from "./py/str_order.ts";
import { floatRepr, pyStr } from "./py/repr.ts";
import { PyFloat } from "../core/codec.ts";

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
}

/** The columns ansible-doc lays text out in: 79 off a terminal, else the terminal's width less one. */
export function docColumns(isTTY: boolean, ttyColumns?: number): number {
  return Math.max(79, isTTY && ttyColumns ? ttyColumns - 1 : 0);
}

const isMap = (v: unknown): v is Data =>
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
  const head = new RegExp(`^${indent}${name}\\s*=\\s*\\(?\\s*`, "m").exec(source);
  if (!head) return undefined;
  let i = head.index + head[0].length;
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
function fragmentYaml(slug: string, roots: DocRoots): { text: string; collection: string } | undefined {
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
    } else if (parts.length === 3) {
      for (const root of roots.collectionRoots) {
        const dir = path.join(root, "ansible_collections", parts[0], parts[1], "plugins/doc_fragments");
        files.push([path.join(dir, `${parts[2]}.py`), `${parts[0]}.${parts[1]}`]);
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
  let found = tryLoad(slug, "DOCUMENTATION");
  if (found === undefined && slug.includes(".")) {
    const cut = slug.lastIndexOf(".");
    found = tryLoad(slug.slice(0, cut), slug.slice(cut + 1).toUpperCase());
  }
  return found ?? undefined;
}

function addFragments(doc: Data, file: string, roots: DocRoots): void {
  let fragments = doc.extends_documentation_fragment ?? [];
  delete doc.extends_documentation_fragment;
  if (typeof fragments === "string") fragments = [fragments];
  const unknown: string[] = [];
  for (const slug of fragments as string[]) {
    const found = fragmentYaml(String(slug), roots);
    if (!found) {
      unknown.push(String(slug));
      continue;
    }
    const fragment = (parseYaml(found.text, { file }) ?? {}) as Data;
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

/** Whether an action plugin of the module's name exists (ansible-doc's `has_action`). */
function hasAction(name: string, collection: string, roots: DocRoots): boolean {
  const short = name.split(".").at(-1)!;
  // a library module (no collection) runs ansible-core's action of its name, if there is one
  if (collection === "ansible.builtin" || collection === "") {
    return !!roots.ansibleDir &&
      fs.existsSync(path.join(roots.ansibleDir, "ansible/plugins/action", `${short}.py`));
  }
  const [ns, coll] = collection.split(".");
  const resource = name.split(".").slice(2).join(".") || short;
  for (const root of roots.collectionRoots) {
    const base = path.join(root, "ansible_collections", ns, coll);
    if (!fs.existsSync(base)) continue;
    if (fs.existsSync(path.join(base, "plugins/action", `${resource.replace(/\./g, "/")}.py`))) return true;
    try {
      const runtime = parseYaml(fs.readFileSync(path.join(base, "meta/runtime.yml"), "utf8"), {
        file: "runtime.yml",
      }) as Data;
      const routing = isMap(runtime?.plugin_routing) ? runtime.plugin_routing : {};
      if (isMap(routing.action) && resource in routing.action) return true;
    } catch {
      // no runtime.yml: no routing
    }
    return false;
  }
  return false;
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
  let doc: unknown, examples: string | null = null, returns: unknown = null;
  if (/\.ya?ml$/.test(docFile)) {
    const data = (parseYaml(source, { file: docFile }) ?? {}) as Data;
    doc = data.DOCUMENTATION ?? null;
    examples = (data.EXAMPLES ?? null) as string | null;
    returns = data.RETURN ?? null;
  } else {
    const text = assignedString(source, "DOCUMENTATION");
    doc = text === undefined ? null : parseYaml(text, { file: docFile });
    examples = assignedString(source, "EXAMPLES") ?? null;
    const ret = assignedString(source, "RETURN");
    returns = ret === undefined ? null : parseYaml(ret, { file: docFile });
  }
  if (!isMap(doc)) throw new DocError(`No documentation available for ${name} (${docFile})`);
  addCollection(doc, collection);
  addFragments(doc, docFile, roots);
  if (returns) addCollection(returns, collection, true);
  // has_action first: ansible-doc adds it after the file and collection, but -j sorts the keys anyway
  doc.filename = docFile;
  doc.collection = collection;
  doc.has_action = hasAction(name, collection, roots);
  return { doc, examples, return: returns, metadata: null };
}

// ---------------------------------------------------------------- text

const IGNORE = [
  "module",
  "docuri",
  "version_added",
  "version_added_collection",
  "short_description",
  "now_date",
  "plainexamples",
  "returndocs",
  "collection",
];
const OPT_INDENT = "        ";

/** ansible-doc's plain-text rendering of the documentation markup (its tty_ify). */
export function ttyIfy(text: string): string {
  return text
    .replace(/\bI\(([^)]+)\)/g, "`$1'")
    .replace(/\bB\(([^)]+)\)/g, "*$1*")
    .replace(/\bM\(([^)]+)\)/g, "[$1]")
    .replace(/\bU\(([^)]+)\)/g, "$1")
    .replace(/\bL\(([^)]+), *([^)]+)\)/g, "$1 <$2>")
    .replace(/\bR\(([^)]+), *([^)]+)\)/g, "$1")
    .replace(/\bC\(([^)]+)\)/g, "`$1'")
    .replace(/\bHORIZONTALLINE\b/g, "\n-------------\n")
    .replace(/.. seealso::/g, "See also:")
    .replace(/.. note::/g, "Note:")
    .replace(/:\w+?:`/g, "`")
    .replace(/.. \w+?::/g, "");
}

/** textwrap.fill with its indents. */
function fill(text: string, width: number, initial = "", subsequent = ""): string {
  return wrapIndented(text, width, initial, subsequent).join("\n");
}

/** ansible-doc's YAML of a value: AnsibleDumper's block style (or flow), without the last newline. */
function dumpYaml(v: unknown, flow = false): string {
  return yamlDump(v, { flow, sortKeys: true, allowUnicode: false }).replace(/\n+$/, "");
}

function indentLines(text: string, indent: string): string {
  return ttyIfy(text.split("\n").map((l) => indent + l).join("\n"));
}

/** Python's str() of a documentation value (a float as repr, True/False, None). */
function str(v: unknown): string {
  if (v instanceof PyFloat) return floatRepr(v.value);
  return pyStr(v);
}

function versionAdded(version: unknown, collection?: unknown): string {
  let coll = collection === undefined || collection === null ? "" : String(collection);
  let v = str(version);
  if (coll === "ansible.builtin") {
    coll = "ansible-core";
    if (v === "historical") return "historical";
  }
  if (coll) v = `${v} of ${coll}`;
  return `version ${v}`;
}

const sortedKeys = (o: Data) => Object.keys(o).sort(pyStrCompare);
const truthy = (v: unknown) =>
  !(v === undefined || v === null || v === false || v === "" || v === 0 ||
    (Array.isArray(v) && !v.length) || (isMap(v) && !Object.keys(v).length));

const CONFIG_IGNORE = IGNORE.concat(["module"]);

function addFields(
  text: string[],
  fields: Data,
  limit: number,
  indent: string,
  returnValues = false,
  baseIndent = "",
): void {
  for (const name of sortedKeys(fields)) {
    const opt: Data = { ...(fields[name] as Data) };
    const required = opt.required ?? false;
    delete opt.required;
    if (typeof required !== "boolean") {
      throw new DocError(`Incorrect value for 'Required', a boolean is needed.: ${str(required)}`);
    }
    text.push(`${baseIndent}${required ? "=" : "-"} ${name}`);
    if (!("description" in opt)) {
      throw new DocError("All (sub-)options and return values must have a 'description' field");
    }
    const desc = opt.description;
    for (const entry of Array.isArray(desc) ? desc : [desc]) {
      text.push(fill(ttyIfy(String(entry)), limit, indent, indent));
    }
    delete opt.description;
    const subs: [string, Data][] = [];
    for (const key of ["options", "suboptions", "contains", "spec"]) {
      if (key in opt) {
        subs.push([key, opt[key] as Data]);
        delete opt[key];
      }
    }
    if (!required && !returnValues && !("default" in opt)) opt.default = null;
    const conf: Data = {};
    for (const key of ["env", "ini", "yaml", "vars", "keyword"]) {
      if (truthy(opt[key])) {
        conf[key] = (opt[key] as Data[]).map((item) => {
          const copy = { ...item };
          for (const k of CONFIG_IGNORE) delete copy[k];
          return copy;
        });
        delete opt[key];
      }
    }
    if (truthy(opt.cli)) {
      conf.cli = (opt.cli as Data[]).map((c) =>
        "option" in c ? c : { name: c.name, option: `--${String(c.name).replace(/_/g, "-")}` }
      );
      delete opt.cli;
    }
    if (Object.keys(conf).length) text.push(indentLines(dumpYaml({ set_via: conf }), indent));
    const version = opt.version_added;
    const versionColl = opt.version_added_collection;
    delete opt.version_added;
    delete opt.version_added_collection;
    for (const k of sortedKeys(opt)) {
      if (k.startsWith("_")) continue;
      if (Array.isArray(opt[k])) text.push(indentLines(`${k}: ${dumpYaml(opt[k], true)}`, indent));
      else text.push(indentLines(dumpYaml({ [k]: opt[k] }), indent));
    }
    if (truthy(version)) text.push(`${indent}added in: ${versionAdded(version, versionColl)}\n`);
    for (const [key, data] of subs) {
      text.push("");
      text.push(`${indent}${key.toUpperCase()}:\n`);
      addFields(text, data, limit, indent + "    ", returnValues, indent);
    }
    if (!subs.length) text.push("");
  }
}

/** Where get_versioned_doclink points: DOCSITE_ROOT_URL and the installed ansible-core's major.minor. */
export interface DocSite {
  root: string;
  version: string;
}

/** The documentation site (DOCSITE_ROOT_URL, only set in ansible.cfg) of the ansible-core in `ansibleDir`. */
export function docSite(ansibleDir: string, root = "https://docs.ansible.com/ansible-core/"): DocSite {
  let version = "devel";
  try {
    const release = fs.readFileSync(path.join(ansibleDir, "ansible/release.py"), "utf8");
    const v = /^__version__\s*=\s*['"]([^'"]+)['"]/m.exec(release)?.[1] ?? "";
    const [major, minor, patch = ""] = v.split(".");
    // an X.Y.0 alpha/beta or a dev build reads the devel documentation
    const devel = patch.startsWith("0") && (/[ab]/.test(patch) || v.split(".")[3]?.includes("dev"));
    if (major && minor && !devel) version = `${major}.${minor}`;
  } catch {
    // no release.py: the devel documentation
  }
  if (!root.endsWith("/")) root += "/";
  return { root, version };
}

function docLink(site: DocSite, rel: string): string {
  return `${site.root}${site.version}/${rel.replace(/^\//, "")}`;
}

/** `ansible-doc NAME`'s text for one module (get_man_text). */
export function manText(docs: PluginDocs, columns: number, site: DocSite): string {
  const doc: Data = {
    ...docs.doc,
    plainexamples: docs.examples,
    returndocs: docs.return,
    metadata: docs.metadata,
  };
  const text: string[] = [];
  const limit = Math.max(columns - Math.trunc(columns * 0.2), 70);
  const collection = doc.collection ? String(doc.collection) : "";
  let name = String(doc.module ?? doc.name ?? "module");
  if (collection) name = `${collection}.${name}`;
  text.push(`> ${name.toUpperCase()}    (${doc.filename})\n`);
  delete doc.filename;
  const desc = Array.isArray(doc.description)
    ? doc.description.map(String).join(" ")
    : String(doc.description);
  delete doc.description;
  text.push(`${fill(ttyIfy(desc), limit, OPT_INDENT, OPT_INDENT)}\n`);
  if ("version_added" in doc) {
    text.push(`ADDED IN: ${versionAdded(doc.version_added, doc.version_added_collection)}\n`);
    delete doc.version_added;
    delete doc.version_added_collection;
  }
  if (truthy(doc.deprecated)) {
    text.push("DEPRECATED: \n");
    const dep = doc.deprecated;
    if (isMap(dep)) {
      const f = (k: string) => str(dep[k]);
      if ("removed_at_date" in dep) {
        text.push(
          `\tReason: ${f("why")}\n\tWill be removed in a release after ${
            f("removed_at_date")
          }\n\tAlternatives: ${f("alternative")}`,
        );
      } else {
        if ("version" in dep && !("removed_in" in dep)) dep.removed_in = dep.version;
        text.push(
          `\tReason: ${f("why")}\n\tWill be removed in: Ansible ${f("removed_in")}\n\tAlternatives: ${
            f("alternative")
          }`,
        );
      }
    } else text.push(str(dep));
    delete doc.deprecated;
    text.push("\n");
  }
  if (doc.has_action === true) text.push("  * note: This module has a corresponding action plugin.\n");
  delete doc.has_action;
  if (truthy(doc.options)) {
    text.push("OPTIONS (= is mandatory):\n");
    addFields(text, doc.options as Data, limit, OPT_INDENT);
    delete doc.options;
    text.push("");
  }
  if (truthy(doc.attributes)) {
    text.push("ATTRIBUTES:\n");
    text.push(indentLines(dumpYaml(doc.attributes), OPT_INDENT));
    delete doc.attributes;
    text.push("");
  }
  const bullet = OPT_INDENT.slice(0, -2) + "* ";
  if (truthy(doc.notes)) {
    text.push("NOTES:");
    for (const note of doc.notes as unknown[]) {
      text.push(fill(ttyIfy(String(note)), limit - 6, bullet, OPT_INDENT));
    }
    text.push("", "");
    delete doc.notes;
  }
  if (truthy(doc.seealso)) {
    text.push("SEE ALSO:");
    const under = OPT_INDENT + "   ";
    for (const item of doc.seealso as Data[]) {
      if ("module" in item) {
        const mod = String(item.module);
        text.push(fill(ttyIfy(`Module ${mod}`), limit - 6, bullet, OPT_INDENT));
        let description = item.description as string | undefined | null;
        if ((description === undefined || description === null) && mod.startsWith("ansible.builtin.")) {
          description = `The official documentation on the ${mod} module.`;
        }
        if (description !== undefined && description !== null) {
          text.push(fill(ttyIfy(String(description)), limit - 6, under, under));
        }
        if (mod.startsWith("ansible.builtin.")) {
          const rel = `collections/${mod.replace(".", "/").replace(".", "/")}_module.html`;
          text.push(fill(ttyIfy(docLink(site, rel)), limit - 6, under, OPT_INDENT));
        }
      } else if ("name" in item && "link" in item && "description" in item) {
        text.push(fill(ttyIfy(String(item.name)), limit - 6, bullet, OPT_INDENT));
        text.push(fill(ttyIfy(String(item.description)), limit - 6, under, under));
        text.push(fill(ttyIfy(String(item.link)), limit - 6, under, under));
      } else if ("ref" in item && "description" in item) {
        text.push(fill(ttyIfy(`Ansible documentation [${item.ref}]`), limit - 6, bullet, OPT_INDENT));
        text.push(fill(ttyIfy(String(item.description)), limit - 6, under, under));
        text.push(fill(ttyIfy(docLink(site, `/#stq=${item.ref}&stp=1`)), limit - 6, under, under));
      }
    }
    text.push("", "");
    delete doc.seealso;
  }
  if (truthy(doc.requirements)) {
    const req = (doc.requirements as unknown[]).map(String).join(", ");
    text.push(`REQUIREMENTS:${fill(ttyIfy(req), limit - 16, "  ", OPT_INDENT)}\n`);
    delete doc.requirements;
  }
  for (const k of sortedKeys(doc)) {
    if (IGNORE.includes(k) || !truthy(doc[k])) continue;
    const v = doc[k];
    if (typeof v === "string") {
      text.push(`${k.toUpperCase()}: ${fill(ttyIfy(v), limit - (k.length + 2), "", OPT_INDENT)}`);
    } else if (Array.isArray(v)) text.push(`${k.toUpperCase()}: ${v.map(String).join(", ")}`);
    else text.push(indentLines(dumpYaml({ [k.toUpperCase()]: v }), ""));
    delete doc[k];
    text.push("");
  }
  if (truthy(doc.plainexamples)) {
    text.push("EXAMPLES:", "");
    text.push(String(doc.plainexamples).trim());
    text.push("", "");
  }
  if (truthy(doc.returndocs)) {
    text.push("RETURN VALUES:");
    addFields(text, doc.returndocs as Data, limit, OPT_INDENT, true);
  }
  return text.join("\n");
}

/** `ansible-doc -s NAME`: the module as a task, each option with its description as a comment. */
export function snippetText(doc: Data, columns: number): string {
  const text: string[] = [];
  if ("options" in doc) {
    const module = doc.module;
    const pad = 29;
    const subdent = "# ".padStart(pad + 2);
    const limit = columns - pad;
    if (module) text.push(`- name: ${ttyIfy(String(doc.short_description))}`, `  ${module}:`);
    else text.push(`# ${doc.plugin ?? doc.name}:`);
    const options = (doc.options ?? {}) as Data;
    for (const name of sortedKeys(options)) {
      const opt = options[name] as Data;
      let desc = ttyIfy(
        typeof opt.description === "string" ? opt.description : (opt.description as string[]).join(" "),
      );
      const required = opt.required ?? false;
      if (typeof required !== "boolean") {
        throw new DocError(`Incorrect value for 'Required', a boolean is needed: ${str(required)}`);
      }
      const key = `${name}:`;
      if (module) {
        if (required) desc = `(required) ${desc}`;
        text.push(`      ${key.padEnd(20)}   # ${fill(desc, limit, "", subdent)}`);
      } else {
        const dflt = required ? "(required)" : str(opt.default ?? "None");
        text.push(
          `${key} ${dflt.padEnd(9)} # ${wrapIndented(desc, limit, "", subdent).slice(0, 3).join("\n")}`,
        );
      }
    }
  }
  text.push("");
  return text.join("\n");
}

/** `ansible-doc -j`: the documentation of each module asked for, by the name asked for. */
export function docJson(all: Record<string, PluginDocs>): string {
  const out: Data = {};
  for (const [name, d] of Object.entries(all)) {
    out[name] = { doc: d.doc, examples: d.examples, metadata: d.metadata, return: d.return };
  }
  return jsonDumps(out, { sortKeys: true, indent: 4 });
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

/** Python's "%-*.*s" % (width, precision, s): a negative width pads on the right too. */
function pyField(s: string, width: number, precision = Infinity): string {
  const cut = [...s].slice(0, precision).join("");
  return cut.padEnd(Math.abs(width));
}

/** Python's s[:n], a negative n counting from the end. */
function pySlice(s: string, n: number): string {
  const cps = [...s];
  return cps.slice(0, n < 0 ? Math.max(0, cps.length + n) : n).join("");
}

/** `ansible-doc -l` (name and description) or `-F` (name and file), in columns; deprecated ones last. */
export function listingText(entries: Map<string, string>, columns: number, files = false): string {
  const names = [...entries.keys()].sort(pyStrCompare);
  if (!names.length) return "";
  const displace = Math.max(...names.map((n) => [...n].length));
  const linelimit = columns - displace - 5;
  const text: string[] = [];
  const deprecated: string[] = [];
  for (let name of names) {
    let value = entries.get(name)!;
    if (!files) {
      value = ttyIfy(value);
      if ([...value].length > linelimit) value = pySlice(value, linelimit) + "...";
    }
    const parts = name.split(".");
    const old = parts.at(-1)!.startsWith("_") &&
      (!files || (parts[0] === "ansible" && (parts[1] === "builtin" || parts[1] === "legacy")));
    if (old) {
      parts[parts.length - 1] = parts.at(-1)!.slice(1);
      name = parts.join(".");
    }
    const line = `${name.padEnd(displace)} ${pyField(value, linelimit, [...value].length)}`;
    (old ? deprecated : text).push(line);
  }
  if (deprecated.length) text.push("\nDEPRECATED:", ...deprecated);
  return text.join("\n");
}
