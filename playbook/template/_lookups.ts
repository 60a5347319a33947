// Ansible's everyday lookup plugins, with synchronous I/O on the controller.
import { templateFileVars } from "./_template_vars.ts";
import * as fs from "node:fs";
import * as path from "node:path";
import { execSync } from "node:child_process";
import { LookupError, TemplateError, UndefinedError } from "./_errors.ts";
import {
  isMapping,
  mapGet,
  mapKeys,
  NativeText,
  pyIter,
  pyRepr,
  pyStr,
  pyTypeName,
  truthy,
  tuple,
  Undefined,
  unwrap,
} from "./_py.ts";
import { globFiles } from "./_filters.ts";
import { percentFormat } from "./_format.ts";
import { PyRandom } from "./_random.ts";
import { md5Crypt, sha256Crypt, sha512Crypt } from "./_crypt.ts";
import type { LookupContext, LookupFn } from "./templar.ts";
import { readTextFile } from "../text_file.ts";
import { pyInt } from "../py/int_parse.ts";
import { subelementsLookup } from "./_lookup_subelements.ts";
import { iniLookup } from "./_lookup_ini.ts";

/** A string option that may be absent (None). */
const optionalStr = (
  v: unknown,
): string | undefined => (v === undefined || v === null ? undefined : pyStr(v));

function flattenOnce(terms: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const t of terms) {
    const u = unwrap(t);
    if (Array.isArray(u)) out.push(...u);
    else out.push(t);
  }
  return out;
}

function runShell(cmd: string, ctx: LookupContext): { stdout: string; code: number } {
  try {
    const stdout = execSync(cmd, {
      cwd: ctx.basedir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      shell: "/bin/sh",
    });
    return { stdout, code: 0 };
  } catch (e) {
    const err = e as { status?: number; stdout?: string };
    return { stdout: err.stdout ?? "", code: err.status ?? 1 };
  }
}

const ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const CHARSETS: Record<string, string> = {
  ascii_letters: ASCII_LETTERS,
  ascii_lowercase: "abcdefghijklmnopqrstuvwxyz",
  ascii_uppercase: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  digits: "0123456789",
  hexdigits: "0123456789abcdefABCDEF",
  octdigits: "01234567",
  punctuation: "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
  printable: "0123456789" + ASCII_LETTERS + "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\n\r\x0b\x0c",
  whitespace: " \t\n\r\x0b\x0c",
};

/** Parses "path key=value key=value" as the password lookup does. */
function parsePasswordTerm(term: string): { file: string; params: Record<string, string> } {
  const m = /^(\S+)((?:\s+\w+=\S*)*)\s*$/.exec(term.trim());
  if (!m) throw new TemplateError(`password lookup: could not parse term '${term}'`);
  const params: Record<string, string> = {};
  for (const kv of m[2].trim().split(/\s+/).filter((x) => x)) {
    const i = kv.indexOf("=");
    params[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return { file: m[1], params };
}

/** The password lookup's `chars`: a comma list (",," for a comma) or a list of names and literal characters. */
function passwordChars(spec: unknown): string {
  let names: string[];
  if (spec === undefined) names = ["ascii_letters", "digits", ".,:-_"];
  else if (typeof unwrap(spec) === "string") {
    const text = pyStr(spec);
    names = text.includes(",,") ? [","] : [];
    names.push(...text.replace(/,,/g, ",").split(",").filter((c) => c));
  } else names = pyIter(spec).map(pyStr);
  return names.map((n) => CHARSETS[n] ?? n).join("").replace(/["']/g, "");
}

const CRYPT_SALT = ASCII_LETTERS + "0123456789./";

/** The sequence lookup's shortcut form, `[start-]end[/stride][:format]`, numbers as Ansible matches them. */
const SEQUENCE_SHORTCUT = /^(?:(0?x?[0-9a-f]+)-)?(0?x?[0-9a-f]+)(?:\/(0?x?[0-9a-f]+))?(?::(.+))?$/i;

/** A sequence number read as Python's int(x, 0), refused with the lookup's own message. */
function sequenceNumber(name: string, text: string): number {
  try {
    return Number(pyInt(text, 0));
  } catch {
    throw new TemplateError(`can't parse ${name}=${text} as integer`);
  }
}

/**
 * One term of the sequence lookup (`with_sequence`), as Ansible's plugin reads it: the shortcut form or
 * key=value options (start, end or count, stride, format); each term starts from start=1, stride=1,
 * format=%d. A count of 0, or a stride of 0, gives no items.
 */
function sequenceTerm(term: unknown): string[] {
  const text = unwrap(term);
  if (typeof text !== "string") {
    throw new TemplateError(
      `unknown error parsing with_sequence arguments: ${pyRepr(term)}. ` +
        `Error was: expected string or bytes-like object, got '${pyTypeName(term)}'`,
    );
  }
  let start = 1, stride = 1, format = "%d";
  let end: number | undefined, count: number | undefined;
  const short = SEQUENCE_SHORTCUT.exec(text);
  if (short) {
    if (short[1] !== undefined) start = sequenceNumber("start", short[1]);
    end = sequenceNumber("end", short[2]);
    if (short[3] !== undefined) stride = sequenceNumber("stride", short[3]);
    if (short[4] !== undefined) format = short[4];
  } else {
    const { key, opts } = parseKv(text);
    const left = new Map(Object.entries(opts));
    const take = (name: string) => {
      const v = left.get(name);
      left.delete(name);
      return v === undefined ? undefined : sequenceNumber(name, v);
    };
    start = take("start") ?? start;
    end = take("end");
    count = take("count");
    stride = take("stride") ?? stride;
    if (left.has("format")) format = left.get("format")!;
    left.delete("format");
    // Ansible's parse_kv keeps the free words as one more option, named last
    const unknown = [...left.keys(), ...(key === undefined ? [] : ["_raw_params"])];
    if (unknown.length) {
      throw new TemplateError(`unrecognized arguments to with_sequence: ${pyRepr(unknown)}`);
    }
  }
  if (count === undefined && end === undefined) {
    throw new TemplateError("must specify count or end in with_sequence");
  }
  if (count !== undefined && end !== undefined) {
    throw new TemplateError("can't specify both count and end in with_sequence");
  }
  if (count !== undefined) {
    // Ansible's conversion, whose count is off under a negative stride
    if (count !== 0) end = start + count * stride - 1;
    else start = end = stride = 0;
  }
  const last = end!;
  if (stride > 0 && last < start) throw new TemplateError("to count backwards make stride negative");
  if (stride < 0 && last > start) throw new TemplateError("to count forward don't make stride negative");
  if (format.split("%").length !== 2) throw new TemplateError(`bad formatting string: ${format}`);
  const out: string[] = [];
  if (stride === 0) return out;
  for (let i = start; stride > 0 ? i <= last : i >= last; i += stride) {
    try {
      out.push(percentFormat(format, i));
    } catch {
      throw new TemplateError(`problem formatting ${i} with ${pyRepr(format)}`);
    }
  }
  return out;
}

/** Splits "key opt=value opt='quoted value'" into the first bare word and options (Ansible's parse_kv). */
function parseKv(term: string): { key: string | undefined; words: string[]; opts: Record<string, string> } {
  const opts: Record<string, string> = {};
  let key: string | undefined;
  // every word that is no option (Ansible's parse_kv joins them: a multi-word search key)
  const words: string[] = [];
  for (const m of term.matchAll(/(\w+)=('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\S*)|(\S+)/g)) {
    if (m[3] !== undefined) {
      if (key === undefined) key = m[3];
      words.push(m[3]);
      continue;
    }
    let v = m[2];
    if (/^(['"]).*\1$/s.test(v)) v = v.slice(1, -1);
    opts[m[1]] = v;
  }
  return { key, words, opts };
}

/** A CSV row split as Python's csv module does (quotes, doubled quotes). */
function csvRow(line: string, delimiter: string): string[] {
  const out: string[] = [];
  let cur = "", quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur === "") quoted = true;
    else if (c === delimiter) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** A first_found option of type list: a string is a comma-separated list; then `seps` split each item. */
function firstFoundList(v: unknown, seps: RegExp): string[] {
  const u = unwrap(v);
  if (u === undefined || u === null) return [];
  const items = Array.isArray(u) ? u : pyStr(u).split(",").map((x) => x.trim());
  return items.flatMap((x) => {
    const ux = unwrap(x);
    return Array.isArray(ux) ? firstFoundList(ux, seps) : pyStr(ux).split(seps);
  });
}

/**
 * The names first_found tries, in order, as Ansible's _process_terms builds them, quirks included: a
 * string term takes `files`/`paths`/`skip` from the keyword arguments, and `files` given there replace
 * the names gathered so far (so keyword arguments without a term find nothing); a dict term brings its
 * own options; `paths` multiply with `files`, path by path.
 */
function firstFoundSearch(
  terms: unknown[],
  kw: Record<string, unknown>,
): { search: unknown[]; skip: boolean } {
  let search: unknown[] = [];
  let skip = false;
  for (const t of terms) {
    const u = unwrap(t);
    let opts: Record<string, unknown>;
    if (isMapping(u)) {
      opts = { files: mapGet(u, "files"), paths: mapGet(u, "paths"), skip: mapGet(u, "skip") };
    } else if (typeof u === "string") opts = kw;
    else if (Array.isArray(u)) {
      const inner = firstFoundSearch(u, kw);
      search.push(...inner.search);
      skip = inner.skip;
      continue;
    } else {
      throw new TemplateError(
        `Invalid term supplied, can handle string, mapping or list of strings but got: <class '${
          pyTypeName(u)
        }'> for ${pyStr(u)}`,
      );
    }
    skip = truthy(opts.skip ?? false);
    const files = firstFoundList(opts.files, /[,;]/);
    const paths = firstFoundList(opts.paths, /[,:;]/);
    if (paths.length) {
      for (const p of paths) for (const f of files) search.push(f.startsWith("/") ? f : path.join(p, f));
    } else if (files.length) search = files;
    else search.push(t);
  }
  return { search, skip };
}

export function builtinLookups(): Record<string, LookupFn> {
  return {
    file: (terms, kw, ctx) =>
      terms.map((t) => {
        const name = pyStr(t);
        const p = ctx.findFile("files", name);
        if (!p) throw new TemplateError(`could not locate file in lookup: ${name}`);
        let text = ctx.readFile(p);
        // trim*: what /^\s+/ and /\s+$/ say, in one pass even for a long run of spaces inside the text.
        if (truthy(kw.lstrip ?? false)) text = text.trimStart();
        if (truthy(kw.rstrip ?? true)) text = text.trimEnd();
        return text;
      }),
    // a file's text, vault-encrypted or not, as it is (no stripping)
    unvault: (terms, _kw, ctx) =>
      terms.map((t) => {
        const name = pyStr(t);
        const p = ctx.findFile("files", name);
        if (!p) throw new TemplateError(`Unable to find file matching "${name}" `);
        return ctx.readFile(p);
      }),
    env: (terms, kw) =>
      terms.map((t) => process.env[pyStr(t)] ?? (kw.default !== undefined ? kw.default : "")),
    template: (terms, kw, ctx) =>
      terms.map((t) => {
        const name = pyStr(t);
        const p = ctx.findFile("templates", name);
        if (!p) throw new TemplateError(`the template file ${name} could not be found for the lookup`);
        const dir = path.dirname(p);
        const tpl = ctx.templar.withOptions({
          searchPaths: [dir, ...ctx.searchPaths],
        });
        const extra = unwrap(kw.template_vars);
        const fileVars = templateFileVars({
          path: name,
          fullpath: p,
          managed: ctx.templar.options.ansibleManaged,
        });
        // as Ansible's lookup: its own (non-native) templating with convert_data unless jinja2_native
        // is asked for where it is on; a result kept as text is text that no later templating reads
        const convert = truthy(kw.convert_data ?? true),
          native = ctx.native && truthy(kw.jinja2_native ?? false);
        const res = tpl.renderFileAs(
          readTextFile(p),
          ctx.vars,
          native ? "native" : convert ? "eval" : "text",
          {
            extraVars: { ...fileVars, ...(isMapping(extra) ? (extra as Record<string, unknown>) : {}) },
            trimBlocks: truthy(kw.trim_blocks ?? true),
            delimiters: {
              variableStart: optionalStr(kw.variable_start_string),
              variableEnd: optionalStr(kw.variable_end_string),
              commentStart: optionalStr(kw.comment_start_string),
              commentEnd: optionalStr(kw.comment_end_string),
            },
          },
        );
        return (ctx.native && !native) || !convert ? new NativeText(pyStr(res)) : res;
      }),
    pipe: (terms, _kw, ctx) =>
      terms.map((t) => {
        const cmd = pyStr(t);
        const r = runShell(cmd, ctx);
        if (r.code !== 0) throw new TemplateError(`lookup_plugin.pipe(${cmd}) returned ${r.code}`);
        return r.stdout.replace(/\s+$/, "");
      }),
    lines: (terms, _kw, ctx) =>
      terms.flatMap((t) => {
        const cmd = pyStr(t);
        const r = runShell(cmd, ctx);
        if (r.code !== 0) throw new TemplateError(`lookup_plugin.lines(${cmd}) returned ${r.code}`);
        return r.stdout.split(/\r?\n/).filter((l, i, a) => i < a.length - 1 || l !== "");
      }),
    fileglob: (terms, _kw, ctx) =>
      terms.flatMap((t) => {
        // as Ansible's fileglob: a pattern with a directory globs where that directory is found; a bare
        // pattern globs in each search path's files/ and then the path itself, up to the first match
        const term = pyStr(t);
        const base = path.basename(term);
        const dirs = base !== term
          ? [ctx.findFile("files", path.dirname(term))]
          : ctx.searchPaths.flatMap((p) => [path.join(p, "files"), p]);
        for (const dir of dirs) {
          if (!dir) continue;
          const found = globFiles(path.join(dir, base)).filter((p) => {
            try {
              return fs.statSync(p).isFile();
            } catch {
              return false;
            }
          });
          if (found.length) return found.map((p) => path.resolve(p));
        }
        return [];
      }),
    first_found: (terms, kw, ctx) => {
      const { search, skip } = firstFoundSearch(terms, kw);
      for (const term of search) {
        // each name is templated again; one that cannot be (undefined variable) is passed over
        let name: unknown;
        try {
          name = ctx.templar.template(term, ctx.vars, { native: ctx.native });
        } catch (e) {
          if (e instanceof UndefinedError) continue;
          throw e;
        }
        const found = ctx.findFile("files", pyStr(name), true);
        if (found) return [path.resolve(found)];
      }
      if (skip) return [];
      throw new LookupError("No file was found when using first_found.");
    },
    ini: iniLookup,
    // a term found nowhere, with no default, adds nothing
    csvfile: (terms, kw, ctx) =>
      terms.flatMap((t) => {
        const { words, opts } = parseKv(pyStr(t));
        if (!words.length) throw new TemplateError("Search key is required but was not found");
        const key = words.join(" ");
        const o: Record<string, unknown> = {
          file: "ansible.csv",
          col: "1",
          delimiter: "TAB",
          default: null,
          encoding: "utf-8",
        };
        Object.assign(o, kw);
        // the term's own k=v options must be the lookup's (keyword arguments are not checked)
        for (const [k, v] of Object.entries(opts)) {
          if (!Object.hasOwn(o, k)) throw new TemplateError(`${k} is not a valid option`);
          o[k] = v;
        }
        const delimiter = pyStr(o.delimiter) === "TAB" ? "\t" : pyStr(o.delimiter);
        const file = ctx.findFile("files", pyStr(o.file));
        // Ansible opens the path it did not find, None, and says so
        if (!file) throw new TemplateError("csvfile: [Errno 2] No such file or directory: b'None'");
        for (const line of fs.readFileSync(file, "utf8").split(/\r?\n/)) {
          const row = csvRow(line, delimiter);
          if (row.length && row[0] === key) {
            const v = row[parseInt(pyStr(o.col), 10)];
            if (v === undefined) throw new TemplateError("csvfile: list index out of range");
            return [v];
          }
        }
        return o.default === null || o.default === undefined ? [] : [o.default];
      }),
    subelements: (terms) => subelementsLookup(terms),
    items: (terms) => flattenOnce(terms),
    list: (terms) => terms,
    indexed_items: (terms) => flattenOnce(terms).map((x, i) => tuple([i, x])),
    dict: (terms) =>
      terms.flatMap((t) => {
        const u = unwrap(t);
        if (!isMapping(u)) throw new TemplateError(`with_dict expects a dict`);
        return mapKeys(u).map((k) => ({ key: k, value: mapGet(u, k) }));
      }),
    vars: (terms, kw, ctx) =>
      terms.map((t) => {
        if (typeof unwrap(t) !== "string") {
          throw new TemplateError(
            `Invalid setting identifier, "${pyStr(t)}" is not a string, its a <class '${pyTypeName(t)}'>`,
          );
        }
        const name = pyStr(t);
        const v = ctx.vars.get(name);
        // as Ansible's vars lookup: the default stands for a missing variable and for one whose value
        // cannot be templated
        try {
          if (v === undefined || v instanceof Undefined) {
            throw new UndefinedError(`No variable found with this name: ${name}`, name);
          }
          return ctx.templar.template(v, ctx.vars, { native: ctx.native });
        } catch (e) {
          if (e instanceof UndefinedError && kw.default !== undefined && kw.default !== null) {
            return kw.default;
          }
          throw e;
        }
      }),
    sequence: (terms) => terms.flatMap(sequenceTerm),
    random_choice: (terms) => (terms.length ? [new PyRandom(null).choice(terms)] : []),
    together: (terms) => {
      const lists = terms.map((t) => pyIter(t));
      const n = Math.max(0, ...lists.map((l) => l.length));
      return Array.from({ length: n }, (_, i) => lists.map((l) => (i < l.length ? l[i] : null)));
    },
    nested: (terms) => {
      let acc: unknown[][] = [[]];
      for (const t of terms) acc = acc.flatMap((p) => pyIter(t).map((x) => [...p, x]));
      return acc;
    },
    password: (terms, kw, ctx) =>
      terms.map((t) => {
        const { file, params } = parsePasswordTerm(pyStr(t));
        const length = parseInt(params.length ?? pyStr(kw.length ?? 20), 10);
        const chars = passwordChars(params.chars ?? kw.chars);
        const seed = params.seed ?? (kw.seed === undefined || kw.seed === null ? null : pyStr(kw.seed));
        const encrypt = params.encrypt ?? (kw.encrypt ? pyStr(kw.encrypt) : undefined);
        const rng = new PyRandom(seed);
        const gen = () => Array.from({ length }, () => rng.choice([...chars])).join("");
        const p = file === "/dev/null" ? null : path.resolve(ctx.basedir, file);
        let plain: string, salt: string | undefined, changed = false;
        if (p && fs.existsSync(p)) {
          const content = fs.readFileSync(p, "utf8").replace(/\n$/, "");
          const i = content.indexOf(" salt=");
          plain = i >= 0 ? content.slice(0, i) : content;
          if (i >= 0) salt = content.slice(i + 6).split(" ")[0];
        } else {
          plain = gen();
          changed = true;
        }
        if (encrypt && !salt) {
          const sys = new PyRandom(null);
          salt = Array.from({ length: encrypt === "md5_crypt" ? 8 : 16 }, () => sys.choice([...CRYPT_SALT]))
            .join("");
          changed = true;
        }
        if (p && changed) {
          // the file keeps the plain password (and the salt, so the hash stays the same next time)
          fs.mkdirSync(path.dirname(p), { recursive: true, mode: 0o700 });
          const tmp = `${p}.${process.pid}.tmp`;
          fs.writeFileSync(tmp, plain + (encrypt ? ` salt=${salt}` : "") + "\n", { mode: 0o600 });
          fs.renameSync(tmp, p);
        }
        if (!encrypt) return plain;
        switch (encrypt) {
          case "sha512_crypt":
            return sha512Crypt(plain, salt!, 656000);
          case "sha256_crypt":
            return sha256Crypt(plain, salt!, 535000);
          case "md5_crypt":
            return md5Crypt(plain, salt!);
        }
        throw new TemplateError(`password lookup: unsupported encrypt '${encrypt}'`);
      }),
  };
}
