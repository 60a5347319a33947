// The Templar: Ansible's templating entry points over mito's Jinja2 engine.
import { UnsafeString, VaultString } from "../values.ts";
import {
  LookupError,
  LookupOptionsError,
  PythonError,
  shorten,
  TemplateError,
  UndefinedError,
  UnknownPluginError,
} from "./_errors.ts";
import { type Delimiters, JINJA_DELIMITERS, lex, lexExpr } from "./_lexer.ts";
import { literalEval } from "../py/literal.ts";
import { parse, parseExpressionTokens } from "./_parser.ts";
import { Compiler, type Concat, concat, Ctx, Frame, type Runtime } from "./_runtime.ts";
import {
  deepCopy,
  holdsUnsafe,
  isMarkedUnsafe,
  isNumber,
  isPlainDict,
  isTuple,
  LazyMapping,
  markUnsafe,
  NativeText,
  pyRepr,
  pyStr,
  truthy,
  tuple,
  Undefined,
  unwrap,
  wrapVar,
  YamlText,
} from "./_py.ts";
import { builtinFilters } from "./_filters.ts";
import { builtinTests } from "./_tests.ts";
import { builtinLookups } from "./_lookups.ts";
import { makeGlobals, OMIT_TOKEN } from "./_globals.ts";
import { readTextFile } from "../text_file.ts";
import { findInSearchPath } from "../_search_path.ts";

/** Variables for a render: get returns undefined when the name is not defined; it may compute lazily. */
export interface VarLookup {
  get(name: string): unknown;
  /** Whether the value of `name` is exactly as a YAML file wrote it (its text reads as AnsibleUnicode). */
  written?(name: string): boolean;
}

/**
 * A filter. Positional template arguments follow the value; keyword arguments, when any were given,
 * arrive as one trailing `Kwargs` instance (`import { Kwargs } from "./mod.ts"`).
 */
export type FilterFn = (value: unknown, ...args: unknown[]) => unknown;
/** A test (`x is name(args)`), with the same argument convention as filters. */
export type TestFn = (value: unknown, ...args: unknown[]) => boolean;

/** What a lookup plugin sees besides its terms and keyword arguments. */
export interface LookupContext {
  templar: Templar;
  vars: VarLookup;
  /** The mode of the template that called the lookup (for lookups that template values). */
  native: boolean;
  basedir: string;
  searchPaths: string[];
  /**
   * Finds a file as Ansible's find_file_in_search_path: `<path>/<subdir>/<name>`, then `<path>/<name>`;
   * warns when there is none, unless ignoreMissing.
   */
  findFile(subdir: string, name: string, ignoreMissing?: boolean): string | undefined;
  /** A file's text as Ansible's loader reads it for lookups: decrypted when vault-encrypted. */
  readFile(file: string): string;
  warn(message: string): void;
}
export type LookupFn = (terms: unknown[], kwargs: Record<string, unknown>, ctx: LookupContext) => unknown[];

/**
 * Plugins beyond mito's own tables (Ansible's Python plugins), asked first with the name as the template
 * wrote it. Each answers with the plugin Ansible would use: mito's own where Ansible would pick the
 * builtin of that name (`mito(short)` gives it), else another one; undefined when there is none
 * (an UnknownPluginError or a routing error may be thrown instead, with Ansible's message).
 */
export interface PluginSource {
  filter(name: string, mito: (short: string) => FilterFn | undefined): FilterFn | undefined;
  test(name: string, mito: (short: string) => TestFn | undefined): TestFn | undefined;
  lookup(name: string, mito: (short: string) => LookupFn | undefined): LookupFn | undefined;
}

export interface TemplarOptions {
  /** Directory that relative paths (lookups, includes) resolve against; default the current directory. */
  basedir?: string;
  /** Directories searched for files/templates (role dir, playbook dir); basedir is used when absent. */
  searchPaths?: string[];
  filters?: Record<string, FilterFn>;
  tests?: Record<string, TestFn>;
  lookups?: Record<string, LookupFn>;
  /** Python plugins (collections, plugin folders): consulted before the tables above. */
  plugins?: PluginSource;
  /** Seed for the `random` filter / `shuffle` (Ansible seeds with the inventory hostname). */
  seed?: string;
  /**
   * Default for TemplateOptions.native (true when absent). ansible-playbook's own default is
   * jinja2_native=False, so a controller matching it creates `new Templar({ native: false })`.
   */
  native?: boolean;
  /** Receives warnings (templating delimiters in conditionals, lookup errors with errors=warn). */
  warn?: (message: string) => void;
  /** The configuration's ansible_managed, for the template files rendered (template action and lookup). */
  ansibleManaged?: string;
  /** The text of a vault-encrypted file, decrypted with the run's secrets (lookups read such files). */
  decryptVault?: (text: string, file: string) => string;
  /** lookup()/query() fail, as Templar.template(disable_lookups=True) makes them (inventory plugins' compose). */
  disableLookups?: boolean;
}

export interface TemplateOptions {
  /**
   * Default true, as ANSIBLE_JINJA2_NATIVE=True: a value that is exactly "{{ expr }}" keeps its type and
   * mixed templates are literal_eval'd (ansible_native_concat). false is Ansible's default mode
   * (ansible_eval_concat): results are strings, except that text looking like a list, dict or
   * True/False is converted, and "{{ name }}" of a number or boolean variable keeps its value.
   */
  native?: boolean;
  /** Default true: an undefined variable raises UndefinedError; false returns the input unchanged. */
  failOnUndefined?: boolean;
  /**
   * The result is stored as a variable (set_fact): text a native concat kept as text (`| string`,
   * `to_json`) stays NativeText, as Ansible stores NativeJinjaText, so type_debug names it and no later
   * concat reads it as a literal. Otherwise results are plain text.
   */
  keepNativeText?: boolean;
}

/** Options of the template module / template lookup (a whole file rendered to text). */
export interface FileTemplateOptions {
  trimBlocks?: boolean;
  lstripBlocks?: boolean;
  newlineSequence?: string;
  /** Extra variables visible to the template (template lookup's template_vars). */
  extraVars?: Record<string, unknown>;
  /** Where `{% include %}`, `{% import %}` and `{% extends %}` find templates (each path's templates/ first). */
  searchPaths?: string[];
  /** Tag strings other than Jinja2's (the template action's and lookup's `*_start_string`, `*_end_string`). */
  delimiters?: Partial<Delimiters>;
}

/** How a template's text is split into tags: the options of the Jinja2 environment it is compiled in. */
interface LexSettings {
  /** Playbook strings: see LexOptions.escapeBackslashes. */
  escape: boolean;
  trimBlocks: boolean;
  lstripBlocks: boolean;
  keepTrailingNewline: boolean;
  delimiters: Delimiters;
  /** Jinja2's newline_sequence: what the template's own line breaks become. */
  newline: string;
  /** Jinja2's line_statement_prefix and line_comment_prefix (a `#jinja2:` line sets them). */
  lineStatementPrefix?: string;
  lineCommentPrefix?: string;
}

/** `#jinja2:` override keys that set a delimiter, and which. */
const OVERRIDE_DELIMITERS: Record<string, keyof Delimiters> = {
  variable_start_string: "variableStart",
  variable_end_string: "variableEnd",
  block_start_string: "blockStart",
  block_end_string: "blockEnd",
  comment_start_string: "commentStart",
  comment_end_string: "commentEnd",
};

interface Compiled {
  run(c: Ctx, out: unknown[]): void;
  src: string;
  /** The template calls a mutating method (append, pop, …): variables are copied for it, as in Ansible. */
  mutates: boolean;
}

const CACHE = new Map<string, Compiled>();
const EXPR_CACHE = new Map<string, { f: (c: Ctx) => unknown; mutates: boolean }>();
const CACHE_MAX = 20000;
const MAX_DEPTH = 100;

function cachePut<V>(m: Map<string, V>, k: string, v: V): V {
  if (m.size >= CACHE_MAX) m.clear();
  m.set(k, v);
  return v;
}

/** True when a string contains a Jinja2 start delimiter. */
function hasMarker(s: string): boolean {
  const i = s.indexOf("{");
  if (i < 0) return false;
  return s.includes("{{", i) || s.includes("{%", i) || s.includes("{#", i);
}

const TEMPLATE_CACHE = new WeakMap<object, boolean>();

function containsTemplate(v: unknown): boolean {
  if (typeof v === "string") return hasMarker(v);
  if (
    v === null || typeof v !== "object" || v instanceof UnsafeString || v instanceof LazyMapping ||
    isMarkedUnsafe(v)
  ) {
    return false;
  }
  if (!Array.isArray(v) && !isPlainDict(v)) return false;
  const cached = TEMPLATE_CACHE.get(v);
  if (cached !== undefined) return cached;
  // provisional answer first, so data that contains itself cannot recurse forever
  TEMPLATE_CACHE.set(v, false);
  let r = false;
  if (Array.isArray(v)) r = v.some(containsTemplate);
  else for (const k of Object.keys(v)) if (containsTemplate(v[k])) r = true;
  TEMPLATE_CACHE.set(v, r);
  return r;
}

/** What one render read that decides how its result is marked. */
interface ReadState {
  /** Unsafe data (a variable holding unsafe text, a lookup's result): the result is wrapped as unsafe. */
  unsafe: boolean;
}

/** State shared by one top-level render and the variable templating it triggers. */
class Session {
  resolving = new Set<string>();
  depth = 0;
  /**
   * The environment of the file template being rendered (its options and `#jinja2:` line): Jinja2
   * compiles what it includes, imports and extends in that same environment.
   */
  fileLex?: LexSettings;
}

/** Jinja2's environment as Ansible makes it for template files. */
const FILE_LEX: LexSettings = {
  escape: false,
  trimBlocks: true,
  lstripBlocks: false,
  keepTrailingNewline: false,
  delimiters: JINJA_DELIMITERS,
  newline: "\n",
};

/**
 * A templating result as it leaves templating: text a YAML file wrote is plain text again, and so is
 * NativeText. `keepNative` (a value set_fact stores) keeps NativeText, and YAML's text inside lists and
 * dicts, as Ansible stores them (type_debug names them; no later concat reads native text as a literal).
 */
function plainText(v: unknown, keepNative = false, top = true): unknown {
  if (v instanceof YamlText) return keepNative && !top ? v : v.value;
  // unsafe native text stays unsafe
  if (v instanceof NativeText && !keepNative) return isMarkedUnsafe(v) ? new UnsafeString(v.value) : v.value;
  if (Array.isArray(v)) {
    const out = v.map((x) => plainText(x, keepNative, false));
    if (out.every((x, i) => x === v[i])) return v;
    const copy = isTuple(v) ? tuple(out) : out;
    return isMarkedUnsafe(v) ? markUnsafe(copy) : copy;
  }
  if (isPlainDict(v)) {
    let out: Record<string, unknown> | undefined;
    for (const k of Object.keys(v)) {
      const x = plainText(v[k], keepNative, false);
      if (x !== v[k]) (out ??= { ...v })[k] = x;
    }
    if (out && isMarkedUnsafe(v)) markUnsafe(out);
    return out ?? v;
  }
  return v;
}

/** A text option that None leaves unset. */
function optionalText(v: unknown): string | undefined {
  return v === null || v === undefined ? undefined : pyStr(v);
}

/** `o` without its keys whose value is undefined (so a spread does not unset a default). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// Python's `$` also matches before a final newline.
const JINJA2_OVERRIDE = "#jinja2:";

/** Plugin tables handed from withOptions to the constructor it calls (keeps the constructor's signature). */
let inherited: [Record<string, FilterFn>, Record<string, TestFn>, Record<string, LookupFn>] | undefined;

const SINGLE_VAR = /^\{\{\s*(\w*)\s*\}\}\n?$/;

export class Templar {
  readonly #opts: TemplarOptions;
  readonly #filters: Record<string, FilterFn>;
  readonly #tests: Record<string, TestFn>;
  readonly #lookups: Record<string, LookupFn>;

  constructor(opts: TemplarOptions = {}) {
    this.#opts = opts;
    const shared = inherited;
    inherited = undefined;
    if (shared) {
      // a derived templar with the same plugins and seed: the tables (and their closures) are reused
      [this.#filters, this.#tests, this.#lookups] = shared;
      return;
    }
    this.#filters = { ...builtinFilters(this), ...opts.filters };
    this.#tests = { ...builtinTests(this), ...opts.tests };
    this.#lookups = { ...builtinLookups(), ...opts.lookups };
  }

  get ansibleManaged(): string | undefined {
    return this.#opts.ansibleManaged;
  }

  get options(): Readonly<TemplarOptions> {
    return this.#opts;
  }

  /** The filter of that name (custom ones first), as `map('name')` finds it. */
  getFilter(name: string): FilterFn | undefined {
    const plugins = this.#opts.plugins;
    if (plugins) return plugins.filter(name, this.#ownFilter);
    return this.#filters[builtinName(name)];
  }

  readonly #ownFilter = (short: string): FilterFn | undefined => this.#filters[short];
  readonly #ownTest = (short: string): TestFn | undefined => this.#tests[short];
  readonly #ownLookup = (short: string): LookupFn | undefined => this.#lookups[short];

  /** The test of that name, as `select('name')` finds it. */
  getTest(name: string): TestFn | undefined {
    const plugins = this.#opts.plugins;
    if (plugins) return plugins.test(name, this.#ownTest);
    return this.#tests[builtinName(name)];
  }

  #getLookup(name: string): LookupFn | undefined {
    const plugins = this.#opts.plugins;
    if (plugins) return plugins.lookup(name, this.#ownLookup);
    return this.#lookups[builtinName(name)];
  }

  /** A templar with some options replaced (another basedir for a role); cheap. */
  withOptions(opts: Partial<TemplarOptions>): Templar {
    const samePlugins = !("filters" in opts) && !("tests" in opts) && !("lookups" in opts) &&
      !("seed" in opts);
    if (samePlugins) inherited = [this.#filters, this.#tests, this.#lookups];
    return new Templar({ ...this.#opts, ...opts });
  }

  isTemplate(value: unknown): boolean {
    if (typeof value === "string") return hasMarker(value);
    if (value !== null && typeof value === "object" && isMarkedUnsafe(value)) return false;
    if (Array.isArray(value)) return value.some((v) => this.isTemplate(v));
    if (isPlainDict(value)) return Object.keys(value).some((k) => hasMarker(k) || this.isTemplate(value[k]));
    return false;
  }

  /**
   * Templates a value: strings are rendered, arrays and plain objects recursively (keys are kept),
   * anything else (and strings without `{{`, `{%`, `{#`, and unsafe strings) is returned unchanged.
   */
  template(value: unknown, vars: VarLookup, opts: TemplateOptions = {}): unknown {
    const native = opts.native ?? this.#opts.native ?? true;
    const res = this.#template(value, vars, native, opts.failOnUndefined ?? true, new Session());
    return plainText(res, opts.keepNativeText);
  }

  #template(value: unknown, vars: VarLookup, native: boolean, failOnUndefined: boolean, s: Session): unknown {
    if (typeof value === "string") {
      if (!hasMarker(value)) return value;
      if (!native) {
        const m = SINGLE_VAR.exec(value);
        if (m) {
          const v = vars.get(m[1]);
          if (typeof v === "boolean" || isNumber(v) || v === null) return v;
        }
      }
      try {
        return this.#render(value, vars, native ? "native" : "eval", s, true, { escape: true });
      } catch (e) {
        if (!(e instanceof UndefinedError)) throw e;
        if (!failOnUndefined) return value;
        throw saidTwice(e);
      }
    }
    if (Array.isArray(value)) {
      if (!containsTemplate(value)) return value;
      return value.map((v) => this.#template(v, vars, native, failOnUndefined, s));
    }
    if (isPlainDict(value)) {
      if (!containsTemplate(value)) return value;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value)) out[k] = this.#template(value[k], vars, native, failOnUndefined, s);
      return out;
    }
    return value;
  }

  /** Renders a template file's text (template module, template lookup): always a string. */
  renderFile(source: string, vars: VarLookup, opts: FileTemplateOptions = {}): string {
    return pyStr(this.renderFileAs(source, vars, "text", opts));
  }

  /**
   * Renders a template file's text joined as `mode` says: "text" always a string (the template action),
   * "eval" a list, dict or boolean where the text reads as one (the template lookup's convert_data),
   * "native" as jinja2_native does.
   */
  renderFileAs(source: string, vars: VarLookup, mode: Concat, opts: FileTemplateOptions = {}): unknown {
    if (opts.searchPaths) {
      return this.withOptions({ searchPaths: opts.searchPaths }).renderFileAs(source, vars, mode, {
        ...opts,
        searchPaths: undefined,
      });
    }
    const lookup: VarLookup = opts.extraVars
      ? { get: (n) => (Object.hasOwn(opts.extraVars!, n) ? opts.extraVars![n] : vars.get(n)) }
      : vars;
    const delimiters = opts.delimiters && { ...JINJA_DELIMITERS, ...definedOnly(opts.delimiters) };
    // Templar.template (the lookup's) leaves text that opens no tag as it is, unconverted
    const d = delimiters ?? JINJA_DELIMITERS;
    if (mode !== "text" && ![d.variableStart, d.blockStart, d.commentStart].some((m) => source.includes(m))) {
      return source;
    }
    try {
      return this.#render(source, lookup, mode, new Session(), true, {
        escape: false,
        trimBlocks: opts.trimBlocks ?? true,
        lstripBlocks: opts.lstripBlocks ?? false,
        delimiters,
        newline: opts.newlineSequence,
      });
    } catch (e) {
      throw e instanceof UndefinedError ? saidTwice(e) : e;
    }
  }

  /** Evaluates a bare Jinja2 expression and returns its value. */
  evaluate(expr: string, vars: VarLookup): unknown {
    const { f, mutates } = this.#compileExpr(expr);
    const s = new Session();
    // the expression's own value is kept as it is, but the variables it names are templated in the
    // run's mode, as Ansible renders a conditional's `{% if %}` with its configured concat
    const mode = (this.#opts.native ?? true) ? "native" : "eval";
    // a bare expression's value is a truth or a value to use, not text to be templated again: unmarked
    const c = new Ctx(this.#runtime(vars, mode, s, mutates, { unsafe: false }), new Frame(null), new Map());
    try {
      const v = f(c);
      if (v instanceof Undefined) v.fail();
      return v;
    } catch (e) {
      const err = wrapError(e, expr);
      throw err instanceof UndefinedError ? saidTwice(err) : err;
    }
  }

  /**
   * One Ansible conditional: booleans as they are; strings are first templated (a "{{ x }}" condition is
   * allowed with a warning, as Ansible does) and then evaluated as an expression; Python truthiness.
   */
  condition(cond: unknown, vars: VarLookup): boolean {
    if (typeof cond === "boolean") return cond;
    // Ansible counts an empty or null `when` as true
    if (cond === null || cond === undefined || cond === "") return true;
    if (cond instanceof UnsafeString) {
      throw new TemplateError("Conditional is marked as unsafe, and cannot be evaluated.");
    }
    if (cond instanceof VaultString) cond = cond.value;
    if (typeof cond !== "string") return truthy(cond);
    if (hasMarker(cond)) {
      this.#opts.warn?.(
        `conditional statements should not include jinja2 templating delimiters such as {{ }} or {% %}. Found: ${cond}`,
      );
    }
    let first: unknown;
    try {
      first = this.template(cond, vars);
    } catch (e) {
      return answerOrThrow(e, cond, cond);
    }
    if (typeof first !== "string" || first === "") return truthy(first);
    try {
      return truthy(this.evaluate(first, vars));
    } catch (e) {
      if (e instanceof UnknownPluginTemplateError) {
        throw new UnknownPluginTemplateError(e.reason, `{% if ${first} %} True {% else %} False {% endif %}`);
      }
      return answerOrThrow(e, cond, first);
    }
  }

  /**
   * Runs a lookup plugin as `lookup()`/`query()` do. `onData` is told when the lookup gave data: Ansible
   * then marks the calling template's whole result unsafe.
   */
  runLookup(
    name: string,
    terms: unknown[],
    kwargs: Record<string, unknown>,
    vars: VarLookup,
    wantlist: boolean,
    native = true,
    onData?: () => void,
  ): unknown {
    if (this.#opts.disableLookups) {
      throw new TemplateError(
        `The lookup \`${name}\` was found, however lookups were disabled from templating`,
      );
    }
    const fn = this.#getLookup(name);
    if (!fn) throw new TemplateError(`lookup plugin (${name}) not found`);
    const { errors = "strict", wantlist: wl, allow_unsafe: allowUnsafe = false, ...rest } = kwargs;
    const want = wantlist || truthy(wl ?? false);
    // as Ansible's listify_lookup_plugin_terms: templates in the terms are rendered first
    // (`lookup('pipe', 'echo {{ x }}')`); an undefined variable there is an error of this templating
    const templated = this.template(terms, vars, { native }) as unknown[];
    let ran: unknown[];
    try {
      ran = fn(templated, rest, this.#lookupContext(vars, native));
    } catch (e) {
      if (e instanceof UndefinedError || e instanceof LookupOptionsError) throw e;
      const original = e instanceof PythonError ? e.text : (e as Error).message;
      // Ansible's own lookup errors name Python's class; the error carries the original message again
      const kind = e instanceof PythonError
        ? `<class '${e.pyClass}'>`
        : e instanceof TemplateError
        ? "<class 'ansible.errors.AnsibleError'>"
        : (e as Error).name;
      const msg = e instanceof LookupError
        ? `Lookup failed but the error is being ignored: ${original}`
        : `An unhandled exception occurred while running the lookup plugin '${name}'. Error was a ${kind}, original message: ${original}`;
      if (errors === "warn") {
        this.#opts.warn?.(msg);
        return want ? [] : null;
      }
      if (errors === "ignore") return want ? [] : null;
      if (e instanceof LookupError) throw e;
      throw new TemplateError(`${msg}. ${original}`);
    }
    // lookup results are data, never templated again (Ansible marks them unsafe), unless allow_unsafe
    // says they may be: then the list is returned as it is, not even joined
    if (ran.length === 0 || truthy(allowUnsafe)) return ran;
    onData?.();
    if (want) return wrapVar(ran);
    if (
      ran.every((x) =>
        typeof x === "string" || x instanceof UnsafeString || x instanceof NativeText || x instanceof YamlText
      )
    ) {
      const text = ran.map(pyStr).join(",");
      return wrapVar(ran[0] instanceof NativeText ? new NativeText(text) : text);
    }
    return wrapVar(ran.length === 1 ? ran[0] : ran);
  }

  /**
   * A lookup as `with_<name>` runs it (Ansible's task executor calls the plugin itself): the terms as
   * they are, no `errors=` handling, the plugin's own error as it is; always a list.
   */
  loopLookup(name: string, terms: unknown[], vars: VarLookup): unknown[] {
    const fn = this.#getLookup(name);
    if (!fn) throw new TemplateError(`lookup plugin (${name}) not found`);
    return wrapVar(fn(terms, {}, this.#lookupContext(vars, this.#opts.native ?? true))) as unknown[];
  }

  #lookupContext(vars: VarLookup, native: boolean): LookupContext {
    const basedir = this.#opts.basedir ?? process.cwd();
    // a task's lookups search its ansible_search_path (its roles, its file's directory, the playbook's)
    const taskPaths = unwrap(vars.get("ansible_search_path"));
    const searchPaths = Array.isArray(taskPaths) && taskPaths.length
      ? taskPaths.map((p) => pyStr(p))
      : this.#opts.searchPaths?.length
      ? this.#opts.searchPaths
      : [basedir];
    return {
      templar: this,
      vars,
      native,
      basedir,
      searchPaths,
      findFile: (subdir, name, ignoreMissing) => {
        const found = findFile(searchPaths, basedir, subdir, name);
        if (!found && !ignoreMissing) {
          this.#opts.warn?.(`Unable to find '${name}' in expected paths (use -vvvvv to see paths)`);
        }
        return found;
      },
      readFile: (file) => {
        const text = readTextFile(file);
        const decrypt = this.#opts.decryptVault;
        return decrypt && text.startsWith("$ANSIBLE_VAULT;") ? decrypt(text, file) : text;
      },
      warn: (m) => this.#opts.warn?.(m),
    };
  }

  #compile(src: string, lexOpts: LexSettings): Compiled {
    const d = lexOpts.delimiters;
    const flags = [lexOpts.escape, lexOpts.trimBlocks, lexOpts.lstripBlocks, lexOpts.keepTrailingNewline];
    const key = flags.map((f) => (f ? 1 : 0)).join("") + lexOpts.newline +
      `${lexOpts.lineStatementPrefix ?? ""}\x01${lexOpts.lineCommentPrefix ?? ""}\x01` +
      (d === JINJA_DELIMITERS ? "" : Object.values(d).join("\x01")) + `\0${src}`;
    const cached = CACHE.get(key);
    if (cached) return cached;
    let norm = src.replace(/\r\n?/g, "\n");
    if (norm.endsWith("\n") && !lexOpts.keepTrailingNewline) norm = norm.slice(0, -1);
    try {
      const parts = lex(norm, {
        trimBlocks: lexOpts.trimBlocks,
        lstripBlocks: lexOpts.lstripBlocks,
        escapeBackslashes: lexOpts.escape,
        delimiters: d,
        newline: lexOpts.newline,
        lineStatementPrefix: lexOpts.lineStatementPrefix,
        lineCommentPrefix: lexOpts.lineCommentPrefix,
      });
      const compiler = new Compiler();
      const run = compiler.template(parse(parts, norm));
      return cachePut(CACHE, key, { run, src, mutates: compiler.mutates });
    } catch (e) {
      if (e instanceof TemplateError) {
        // as Ansible's AnsibleError with the syntax error as its cause: the cause is said again
        throw new TemplateError(
          `template error while templating string: ${e.message}. String: ${src}. ${e.message}`,
        );
      }
      throw e;
    }
  }

  #compileExpr(expr: string): { f: (c: Ctx) => unknown; mutates: boolean } {
    const cached = EXPR_CACHE.get(expr);
    if (cached) return cached;
    try {
      const { toks } = lexExpr(expr + "\n}}", 0, "}}", false);
      const compiler = new Compiler();
      const f = compiler.expr(parseExpressionTokens(toks, expr));
      return cachePut(EXPR_CACHE, expr, { f, mutates: compiler.mutates });
    } catch (e) {
      if (e instanceof TemplateError) {
        throw new TemplateError(
          `template error while templating string: ${e.message}. String: ${expr}. ${e.message}`,
        );
      }
      throw e;
    }
  }

  #render(
    src: string,
    vars: VarLookup,
    mode: Concat,
    s: Session,
    preserveNewlines: boolean,
    o: {
      escape: boolean;
      trimBlocks?: boolean;
      lstripBlocks?: boolean;
      delimiters?: Delimiters;
      newline?: string;
    },
    exports: Map<string, unknown> = new Map(),
  ): unknown {
    // a file's includes, imports and parents are compiled in the environment the file was (a playbook
    // string is always in Ansible's own)
    const env = o.escape ? undefined : s.fileLex;
    let trim = o.trimBlocks ?? env?.trimBlocks ?? true, lstrip = o.lstripBlocks ?? env?.lstripBlocks ?? false;
    let keepNl = env?.keepTrailingNewline ?? false,
      delimiters = o.delimiters ?? env?.delimiters ?? JINJA_DELIMITERS;
    let newline = o.newline ?? env?.newline ?? "\n";
    let lineStatementPrefix = env?.lineStatementPrefix, lineCommentPrefix = env?.lineCommentPrefix;
    const fullSrc = src;
    if (src.startsWith(JINJA2_OVERRIDE)) {
      // "#jinja2: trim_blocks: False, lstrip_blocks: True" on the first line overrides the environment
      const eol = src.indexOf("\n");
      const line = src.slice(JINJA2_OVERRIDE.length, eol < 0 ? undefined : eol);
      src = eol < 0 ? "" : src.slice(eol + 1);
      for (const pair of line.split(",")) {
        const i = pair.indexOf(":");
        if (i < 0) {
          throw new TemplateError(
            `failed to parse jinja2 override '${pair.trim()}'. Did you use something different from colon as key-value separator?`,
          );
        }
        const k = pair.slice(0, i).trim(), lit = literalEval(pair.slice(i + 1).trim(), { tuple });
        if (!lit.ok) throw new TemplateError(`failed to parse jinja2 override value in '${pair.trim()}'`);
        if (k === "trim_blocks") trim = truthy(lit.value);
        else if (k === "lstrip_blocks") lstrip = truthy(lit.value);
        else if (k === "keep_trailing_newline") keepNl = truthy(lit.value);
        else if (k === "newline_sequence") newline = pyStr(lit.value);
        else if (k in OVERRIDE_DELIMITERS) {
          delimiters = { ...delimiters, [OVERRIDE_DELIMITERS[k]]: pyStr(lit.value) };
        } else if (k === "line_statement_prefix") lineStatementPrefix = optionalText(lit.value);
        else if (k === "line_comment_prefix") lineCommentPrefix = optionalText(lit.value);
        else throw new TemplateError(`the jinja2 override '${k}' is not supported by mito`);
      }
    }
    const lexSettings: LexSettings = {
      escape: o.escape,
      trimBlocks: trim,
      lstripBlocks: lstrip,
      keepTrailingNewline: keepNl,
      delimiters,
      newline,
      lineStatementPrefix,
      lineCommentPrefix,
    };
    if (!o.escape) s.fileLex ??= lexSettings;
    const compiled = this.#compile(src, lexSettings);
    if (++s.depth > MAX_DEPTH) {
      s.depth = 0;
      throw new TemplateError(`recursive loop detected in template string: ${shorten(src)}`);
    }
    const out: unknown[] = [];
    const read: ReadState = { unsafe: false };
    const ctx = new Ctx(this.#runtime(vars, mode, s, compiled.mutates, read), new Frame(null), exports);
    try {
      compiled.run(ctx, out);
    } catch (e) {
      throw wrapError(e, src);
    } finally {
      s.depth--;
    }
    let res = concat(out, mode, read.unsafe);
    // omit is dropped wherever its text is found (Ansible compares str): never wrapped as unsafe text
    if (res instanceof UnsafeString && res.value === OMIT_TOKEN) res = res.value;
    // text that gets its newlines back is a new, plain string (as Python's str + str)
    if (
      res instanceof NativeText && preserveNewlines && trailingNewlines(fullSrc) > trailingNewlines(res.value)
    ) {
      res = res.value;
    }
    const text = res instanceof UnsafeString ? res.value : res;
    if (typeof text === "string" && preserveNewlines) {
      const want = trailingNewlines(fullSrc), have = trailingNewlines(text);
      // as Ansible counts them: "\n" characters only, whatever the newline sequence; unsafe text stays so
      if (want > have) {
        const more = text + newline.repeat(want - have);
        res = res instanceof UnsafeString ? new UnsafeString(more) : more;
      }
    }
    return res;
  }

  #readTemplate(name: string): string {
    const basedir = this.#opts.basedir ?? process.cwd();
    const file = findFile(
      this.#opts.searchPaths?.length ? this.#opts.searchPaths : [basedir],
      basedir,
      "templates",
      name,
    );
    if (!file) throw new TemplateError(`the template '${name}' was not found`);
    return readTextFile(file);
  }

  #runtime(vars: VarLookup, mode: Concat, s: Session, copyVars: boolean, read: ReadState): Runtime {
    // globals (lookup, range, …) are built only when a name is not a variable
    let globals: Record<string, unknown> | undefined;
    const resolved = new Map<string, unknown>();
    const resolveName = (name: string): unknown => {
      const v = vars.get(name);
      if (v === undefined) {
        globals ??= makeGlobals(this, vars, mode === "native", () => read.unsafe = true);
        const g = globals[name];
        return g !== undefined ? g : new Undefined(name);
      }
      // text a YAML file wrote, untemplated, is Ansible's AnsibleUnicode
      if (typeof v === "string" && !hasMarker(v) && vars.written?.(name)) return new YamlText(v);
      // a template that mutates (x.append) works on its own copy, as Ansible's templating copies values
      if (name === "vars" || !containsTemplate(v)) return copyVars ? deepCopy(v) : v;
      if (s.resolving.has(name)) {
        throw new TemplateError(`recursive loop detected in template string: ${shorten(pyRepr(v))}`);
      }
      s.resolving.add(name);
      try {
        return this.#template(v, vars, mode === "native", true, s);
      } catch (e) {
        // as Ansible's AnsibleJ2Vars: the variable is undefined, and using it says why, after its raw value
        if (e instanceof UndefinedError) return new Undefined(name, `${pyStr(v)}: ${e.message}`);
        throw e;
      } finally {
        s.resolving.delete(name);
      }
    };
    return {
      concatMode: mode,
      filter: (name) => this.getFilter(name),
      test: (name) => this.getTest(name),
      resolve: (name) => {
        // Jinja2 resolves each name once per render: later uses (in loops too) see the same value
        if (resolved.has(name)) return resolved.get(name);
        const v = resolveName(name);
        resolved.set(name, v);
        // as Ansible's context: reading unsafe data anywhere makes the whole result unsafe
        if (!read.unsafe && holdsUnsafe(v)) read.unsafe = true;
        return v;
      },
      extend: (name, ctx, out) => {
        const src = this.#readTemplate(name);
        const parent = this.#compile(src, s.fileLex ?? FILE_LEX);
        if (++s.depth > MAX_DEPTH) throw new TemplateError(`recursive loop detected extending '${name}'`);
        try {
          parent.run(ctx, out);
        } finally {
          s.depth--;
        }
      },
      importTemplate: (name, ctx) => {
        const exports = new Map<string, unknown>();
        // without context an imported template sees no variables: Ansible hands them to the render as its
        // context, and Jinja2 gives such an import only the environment's globals
        const lookup = ctx ? frameVars(ctx, vars) : NO_VARS;
        this.#render(this.#readTemplate(name), lookup, "text", s, false, { escape: false }, exports);
        return exports;
      },
      include: (name, ctx) => {
        const text = this.#readTemplate(name);
        return this.#render(text, frameVars(ctx, vars), "text", s, false, { escape: false }) as string;
      },
    };
  }
}

const NO_VARS: VarLookup = { get: () => undefined };

/** What an include (or an import with context) sees: the including template's names, then the variables. */
function frameVars(ctx: Ctx, vars: VarLookup): VarLookup {
  return {
    get: (n) => {
      const v = ctx.frame.lookup(n);
      return v !== undefined ? v : vars.get(n);
    },
  };
}

function trailingNewlines(s: string): number {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === "\n"; i--) n++;
  return n;
}

const WRAPPED = new WeakSet<Error>();

/**
 * A filter or test nothing answers to: Jinja2 loads them while compiling, so Ansible reports a missing one
 * as a syntax error of the template (for a conditional, of the `{% if %}` template Ansible makes of it).
 */
class UnknownPluginTemplateError extends TemplateError {
  constructor(readonly reason: string, src: string) {
    super(`template error while templating string: ${reason}. String: ${src}. ${reason}`);
  }
}

function wrapError(e: unknown, src: string): Error {
  // an undefined variable is said as it is; the templating that catches it repeats it (saidTwice)
  if (e instanceof UndefinedError || (e instanceof Error && WRAPPED.has(e))) return e as Error;
  let err: Error;
  if (e instanceof UnknownPluginError) {
    err = new UnknownPluginTemplateError(e.message, src);
  } else if (e instanceof TemplateError) {
    err = e;
  } else if (e instanceof RangeError && /call stack/.test(e.message)) {
    err = new TemplateError(`recursive loop detected in template string: ${shorten(src)}`);
  } else {
    const ex = e as Error;
    // Ansible's wording for Python TypeErrors, which it raises with the TypeError as cause, so its message
    // ends with the cause's again; other Python errors carry their type in the message
    const said = ex?.message ?? String(ex);
    err = new TemplateError(
      ex instanceof TypeError
        ? `Unexpected templating type error occurred on (${shorten(src)}): ${said}. ${said}`
        : `Unexpected templating error occurred on (${shorten(src)}): ${said}`,
    );
  }
  WRAPPED.add(err);
  return err;
}

/**
 * The error of one templating as Ansible's do_template raises it: an AnsibleUndefinedVariable whose cause
 * is the undefined error itself, so its message is that error's, twice ("'x' is undefined. 'x' is
 * undefined"). Every templating the error passes through (a variable's value, a lookup's terms) adds a round.
 */
function saidTwice(e: UndefinedError): UndefinedError {
  const err = new UndefinedError(`${e.message}. ${e.message}`, e.variable);
  WRAPPED.add(err);
  return err;
}

const UNDEFINED_NAME = /'(hostvars\[.+\]|\w+)' is undefined/;
const DEFINED_TEST = /(hostvars\[.+\]|\w+)\s+(not\s+is|is|is\s+not)\s+(defined|undefined)/g;

/**
 * A conditional whose evaluation met an undefined variable: Ansible looks for that variable's name in the
 * error and for an `x is [not] defined|undefined` test of it in the (first-pass templated) condition; the
 * first such test answers for the whole condition (so `x is undefined and y` is true when x is undefined,
 * whatever y). Otherwise the error stands, reworded.
 */
function answerOrThrow(e: unknown, cond: string, templated: string): boolean {
  if (e instanceof UndefinedError) {
    const name = UNDEFINED_NAME.exec(e.message)?.[1];
    if (name !== undefined) {
      const norm = (s: string) => s.replaceAll("'", '"');
      for (const [, v, logic, state] of templated.matchAll(DEFINED_TEST)) {
        if (norm(v) === norm(name)) return logic.includes("not") === (state === "defined");
      }
    }
  }
  throw conditionalError(e, cond);
}

function conditionalError(e: unknown, cond: string): Error {
  if (e instanceof UndefinedError) {
    const err = new UndefinedError(`error while evaluating conditional (${cond}): ${e.message}`, e.variable);
    WRAPPED.add(err);
    return err;
  }
  return e as Error;
}

/** A plugin name as mito's own tables know it: without ansible.builtin. or ansible.legacy. */
function builtinName(name: string): string {
  return name.replace(/^ansible\.(builtin|legacy)\./, "");
}

/** Ansible's find_file_in_search_path: path_dwim_relative_stack over the paths, then basedir. */
export function findFile(paths: string[], basedir: string, subdir: string, name: string): string | undefined {
  return findInSearchPath(paths, subdir, name, basedir).found;
}
