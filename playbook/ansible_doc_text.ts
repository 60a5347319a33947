// ansible-doc's layouts of a module's documentation, byte for byte: its text (`ansible-doc NAME`), its
// JSON (`-j`), its task snippet (`-s`) and its lists (`-l`, `-F`), in ansible-doc's widths: 79 columns
// unless stdout is a terminal (then its width less one).
import * as fs from "node:fs";
import * as path from "node:path";
import { wrapIndented } from "./callbacks/display.ts";
import { jsonDumps } from "./py/json_dump.ts";
import { yamlDump } from "./py/yaml_dump.ts";
import { pyStrCompare } from "./py/str_order.ts";
import { floatRepr, pyStr } from "./py/repr.ts";
import { PyFloat } from "../core/codec.ts";
import { DocError, isMap, type PluginDocs } from "./ansible_doc.ts";

type Data = Record<string, unknown>;

/** The columns ansible-doc lays text out in: 79 off a terminal, else the terminal's width less one. */
export function docColumns(isTTY: boolean, ttyColumns?: number): number {
  return Math.max(79, isTTY && ttyColumns ? ttyColumns - 1 : 0);
}

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

// ---------------------------------------------------------------- lists

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
