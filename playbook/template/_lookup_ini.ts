// The ini lookup as ansible-core 2.14's: its inline options, and Python's configparser (strict, with
// BasicInterpolation) reading the file, with that module's errors.
import * as fs from "node:fs";
import { LookupError, LookupOptionsError, PythonError, TemplateError } from "./_errors.ts";
import { pyStr, truthy } from "./_py.ts";
import { strRepr } from "../py/repr.ts";
import type { LookupContext } from "./templar.ts";

/** A section's options: a value, or null for a valueless option (allow_no_value). */
type Section = Map<string, string | null>;

/** What configparser holds: DEFAULT's options and the other sections, in order. */
interface Parsed {
  defaults: Section;
  sections: Map<string, Section>;
}

/** The name configparser gives a source read from a StringIO, as the lookup reads it. */
const SOURCE = "<???>";

/** `[line %2d]` as configparser's errors say it. */
const lineNo = (n: number): string => String(n).padStart(2, " ");

/**
 * Reads `text` into `into` as configparser.read_file does with strict=True: a section or an option seen
 * twice in one source fails at once; lines that are no option are collected and fail at the end.
 */
function readIni(text: string, into: Parsed, o: { allowNoValue: boolean; caseSensitive: boolean }): void {
  const optcre = o.allowNoValue ? /^(.*?)\s*(?:(=|:)\s*(.*))?$/s : /^(.*?)\s*(=|:)\s*(.*)$/s;
  const xform = (k: string) => (o.caseSensitive ? k : k.toLowerCase());
  const added = new Set<string>();
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  let cur: Section | undefined, sectName = "", opt: string | undefined;
  let indent = 0;
  // a multi-line value's lines until the end, when they are joined
  const pending = new Map<Section, Map<string, string[]>>();
  const errors: string[] = [];
  lines.forEach((line, i) => {
    const lineno = i + 1;
    const comment = /^\s*[#;]/.test(line);
    const value = comment ? "" : line.trim();
    if (!value) {
      // an empty line belongs to the value being read (configparser's empty_lines_in_values)
      if (!comment && cur && opt !== undefined && pending.get(cur)?.get(opt)) {
        pending.get(cur)!.get(opt)!.push("");
      }
      return;
    }
    const level = line.search(/\S/);
    const parts = cur && opt !== undefined ? pending.get(cur)?.get(opt) : undefined;
    if (parts && level > indent) {
      parts.push(value);
      return;
    }
    indent = level;
    const sect = /^\[(.+)\]/.exec(value);
    if (sect) {
      sectName = sect[1];
      if (sectName === "DEFAULT") cur = into.defaults;
      else {
        if (added.has(`[${sectName}`)) {
          throw new PythonError(
            "configparser.DuplicateSectionError",
            `While reading from ${strRepr(SOURCE)} [line ${lineNo(lineno)}]: section ${
              strRepr(sectName)
            } already exists`,
          );
        }
        added.add(`[${sectName}`);
        if (!into.sections.has(sectName)) into.sections.set(sectName, new Map());
        cur = into.sections.get(sectName);
      }
      opt = undefined;
      return;
    }
    if (!cur) {
      throw new PythonError(
        "configparser.MissingSectionHeaderError",
        `File contains no section headers.\nfile: ${strRepr(SOURCE)}, line: ${lineno}\n${strRepr(line)}`,
      );
    }
    const m = optcre.exec(value);
    if (!m || !m[1]) {
      errors.push(`\n\t[line ${lineNo(lineno)}]: ${strRepr(line)}`);
      if (!m) return;
    }
    opt = xform(m[1].trimEnd());
    if (added.has(`${sectName}\0${opt}`)) {
      throw new LookupError(
        `While reading from ${strRepr(SOURCE)} [line ${lineNo(lineno)}]: option ${strRepr(opt)} in section ${
          strRepr(sectName)
        } already exists`,
      );
    }
    added.add(`${sectName}\0${opt}`);
    if (!pending.has(cur)) pending.set(cur, new Map());
    if (m[3] === undefined) {
      cur.set(opt, null);
      pending.get(cur)!.delete(opt);
    } else {
      pending.get(cur)!.set(opt, [m[3].trim()]);
      cur.set(opt, "");
    }
  });
  for (const [sect, opts] of pending) for (const [k, parts] of opts) sect.set(k, parts.join("\n").trimEnd());
  if (errors.length) {
    throw new PythonError(
      "configparser.ParsingError",
      `Source contains parsing errors: ${strRepr(SOURCE)}${errors.join("")}`,
    );
  }
}

/** BasicInterpolation's value of an option: `%(name)s` from the section or DEFAULT, `%%` a percent sign. */
function interpolate(
  p: Parsed,
  section: string,
  option: string,
  raw: string,
  xform: (k: string) => string,
): string {
  const sect = p.sections.get(section)!;
  const expand = (text: string, depth: number): string => {
    if (depth > 10) {
      throw new PythonError(
        "configparser.InterpolationDepthError",
        `Recursion limit exceeded in value substitution: option ${strRepr(option)} in section ${
          strRepr(section)
        } contains an interpolation key which cannot be substituted in 10 steps. Raw value: ${strRepr(raw)}`,
      );
    }
    return text.replace(/%(\(([^)]*)\)s|%|.?)/gs, (whole, _x, name: string | undefined) => {
      if (whole === "%%") return "%";
      if (name === undefined) {
        throw new PythonError(
          "configparser.InterpolationSyntaxError",
          `'%' must be followed by '%' or '(', found: ${strRepr(text.slice(text.indexOf(whole)))}`,
        );
      }
      const v = sect.get(xform(name)) ?? p.defaults.get(xform(name));
      if (v === undefined || v === null) {
        throw new PythonError(
          "configparser.InterpolationMissingOptionError",
          `Bad value substitution: option ${strRepr(option)} in section ${strRepr(section)} contains an ` +
            `interpolation key ${strRepr(name)} which is not a valid option name. Raw value: ${strRepr(raw)}`,
        );
      }
      return v.includes("%") ? expand(v, depth + 1) : v;
    });
  };
  return raw.includes("%") ? expand(raw, 1) : raw;
}

/** The lookup's options by name (allow_none is allow_no_value's alias), with their defaults. */
function iniOptions(kw: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = {
    type: "ini",
    file: "ansible.ini",
    section: "global",
    re: false,
    encoding: "utf-8",
    default: "",
    case_sensitive: false,
    allow_no_value: false,
  };
  for (const [k, v] of Object.entries(kw)) o[k === "allow_none" ? "allow_no_value" : k] = v;
  return o;
}

/**
 * A term's words as Ansible's _parse_params groups them: a word naming an option (`section=x`) starts that
 * option, other words join the option (or key) before them.
 */
function parseParams(term: string, valid: string[]): string[] {
  const params = new Map<string, string>();
  const keys: string[] = [];
  let thisKey = "key";
  term.split(/\s+/).filter(Boolean).forEach((phrase, i) => {
    if (phrase.includes("=")) { for (const k of valid) if (phrase.includes(`${k}=`)) thisKey = k; }
    if (i === 0 || !params.get(thisKey)) {
      params.set(thisKey, phrase);
      keys.push(thisKey);
    } else params.set(thisKey, `${params.get(thisKey)} ${phrase}`);
  });
  return keys.map((k) => params.get(k) ?? "");
}

/** Python's codecs for the encodings a file is read with: Latin-1 byte for byte, the others by label. */
function decode(bytes: Uint8Array, encoding: string): string {
  const label = encoding.toLowerCase().replace(/_/g, "-");
  if (/^(latin-?1|iso-?8859-1|l1|cp819)$/.test(label)) {
    let text = "";
    for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
    return text;
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label);
  } catch {
    throw new PythonError("LookupError", `unknown encoding: ${encoding}`);
  }
  return decoder.decode(bytes);
}

export function iniLookup(terms: unknown[], kw: Record<string, unknown>, ctx: LookupContext): unknown[] {
  // one parser for the whole lookup, as Ansible's: options a term sets stay set for the next terms
  const o = iniOptions(kw);
  const parsed: Parsed = { defaults: new Map(), sections: new Map() };
  const out: unknown[] = [];
  for (const t of terms) {
    const term = pyStr(t);
    let key = term;
    if (term.includes("=") || term.trim().includes(" ")) {
      let updated = false;
      for (const param of parseParams(term, Object.keys(o))) {
        if (param.includes("=")) {
          const parts = param.split("=");
          if (parts.length !== 2) {
            throw new LookupError(
              `Could not use '${param}' from '${
                pyStr(parseParams(term, Object.keys(o)))
              }': too many values ` +
                "to unpack (expected 2)",
            );
          }
          const [name, value] = parts;
          if (!Object.hasOwn(o, name)) throw new LookupError(`${name} is not a valid option.`);
          o[name] = value;
        } else if (key === term) {
          key = param;
          updated = true;
        }
      }
      if (!updated) {
        throw new LookupOptionsError(
          `No key to lookup was provided as first term with in string inline options: ${term}`,
        );
      }
    }
    const file = pyStr(o.file);
    const found = ctx.findFile("files", file);
    if (!found) throw new TemplateError(`could not locate file in lookup: ${file}`);
    let section = pyStr(o.section);
    let text = decode(fs.readFileSync(found), pyStr(o.encoding));
    if (pyStr(o.type) === "properties") {
      text = "[java_properties]\n" + text;
      section = "java_properties";
      o.section = section;
    }
    const caseSensitive = truthy(o.case_sensitive);
    const xform = (k: string) => (caseSensitive ? k : k.toLowerCase());
    try {
      readIni(text, parsed, { allowNoValue: truthy(o.allow_no_value), caseSensitive });
    } catch (e) {
      if (e instanceof LookupError) throw new LookupError(`Duplicate option in '${file}': ${e.message}`);
      throw e;
    }
    const sect = parsed.sections.get(section);
    if (!sect) throw new LookupError(`No section '${section}' in ${file}`);
    const value = (
      k: string,
      raw: string | null,
    ) => (raw === null ? null : interpolate(parsed, section, k, raw, xform));
    if (truthy(o.re)) {
      // configparser's items(): DEFAULT's options first, then the section's own
      const re = new RegExp("^(?:" + key + ")");
      const names = [...new Set([...parsed.defaults.keys(), ...sect.keys()])];
      for (const k of names) {
        if (re.test(k)) out.push(value(k, sect.has(k) ? sect.get(k)! : parsed.defaults.get(k)!));
      }
      continue;
    }
    const k = xform(key);
    const raw = sect.has(k) ? sect.get(k)! : parsed.defaults.has(k) ? parsed.defaults.get(k)! : undefined;
    const v = raw === undefined ? o.default : value(k, raw);
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}
