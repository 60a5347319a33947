// What Ansible's CallbackBase does to a result before any callback prints it, shared by the stdout
// callbacks: internal keys dropped, debug's result cut to what it was asked to show, warnings and
// deprecations shown (and removed), an exception summarised.
import { type Display, escapeControls, expandTabs } from "./display.ts";
import { toYaml } from "../template/mod.ts";
import { splitLinesKeep, unifiedDiff } from "./_diff.ts";
import { pyJson } from "./_pyjson.ts";

const DEBUG_ALLOWED = new Set(["msg", "exception", "warnings", "deprecations"]);
const HIDE_IN_DEBUG = ["changed", "failed", "skipped", "invocation", "skip_reason"];

/** Drops Ansible's internal `_ansible_*` keys at every level, lists included, as strip_internal_keys does. */
export function stripInternal(v: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith("_ansible_")) continue;
    out[k] = stripValue(x);
  }
  return out;
}

function stripValue(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(stripValue);
  if (typeof x === "object" && x !== null && Object.getPrototypeOf(x) === Object.prototype) {
    return stripInternal(x as Record<string, unknown>);
  }
  return x;
}

/** result_format and pretty_results, the options of the default and minimal callbacks. */
export interface ResultFormat {
  format: "json" | "yaml";
  /** Unset: pretty (indented, and lossy YAML) for yaml only. */
  pretty?: boolean;
}

/**
 * The result for the screen (CallbackBase._dump_results): without internal keys, and below -vvv without
 * invocation and diff; indented by 4 for -vvv, verbose_always results and pretty output unless `indent`
 * is set; as JSON, or as YAML under its own line with result_format=yaml.
 */
export function dumpResults(
  r: Record<string, unknown>,
  verbosity: number,
  indent?: number,
  fmt: ResultFormat = { format: "json" },
): string {
  const pretty = fmt.pretty;
  if (
    !indent &&
    (r._ansible_verbose_always || (pretty === undefined && fmt.format !== "json") || pretty === true ||
      verbosity > 2)
  ) indent = 4;
  if (pretty === false) indent = undefined;
  const clean = stripInternal(r);
  if (verbosity < 3) delete clean.invocation;
  if (verbosity < 3) delete clean.diff;
  delete clean.exception;
  if (fmt.format === "json") return pyJson(clean, indent);
  const lossy = pretty !== false;
  if (lossy) {
    if ("stdout" in clean && "stdout_lines" in clean) clean.stdout_lines = "<omitted>";
    if ("stderr" in clean && "stderr_lines" in clean) clean.stderr_lines = "<omitted>";
  }
  return "\n" + indentLines(callbackYaml(clean, indent ?? 2, lossy), " ".repeat(indent || 4));
}

/** The before/after data of a diff with result_format=yaml (CallbackBase._serialize_diff). */
export function yamlDiff(fmt: ResultFormat): (v: unknown) => string {
  return (v) => indentLines(callbackYaml(v, 4, fmt.pretty !== false), "    ") + "\n";
}

/** textwrap.indent: the prefix before every line that is not blank. */
function indentLines(text: string, prefix: string): string {
  return text.replace(/^(?=.*\S)/gm, prefix);
}

const YAML_BREAKS = /[\n\x85\u2028\u2029]/;
// What PyYAML's emitter counts as a special character (it then refuses a block scalar).
const YAML_SPECIAL = /[^\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]|\ufeff/gu;

/**
 * yaml.dump with Ansible's callback Dumper: multi-line strings as literal blocks; lossy, they are
 * first made fit for one (trailing space, tabs, special characters and spaces before breaks dropped).
 */
function callbackYaml(v: unknown, indent: number, lossy: boolean): string {
  const literal = (s: string) => {
    if (!YAML_BREAKS.test(s)) return undefined;
    if (!lossy) return s;
    return expandTabs(s.replace(PY_TRAILING_SPACE, "")).replace(YAML_SPECIAL, "").replace(
      / +([\n\x85\u2028\u2029])/g,
      "$1",
    );
  };
  return toYaml(v, { indent, flow: false, sortKeys: true, width: 80, explicitStart: false, literal });
}

/** What Python's str.isspace() counts as space, which JavaScript's \s does not quite match. */
const PY_SPACE =
  "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
/** What Python's str.rstrip() removes. */
export const PY_TRAILING_SPACE = new RegExp(`${PY_SPACE}+$`);
const PY_LEADING_SPACE = new RegExp(`^${PY_SPACE}+`);

/** Python's str.strip(). */
export function pyStrip(s: string): string {
  return s.replace(PY_TRAILING_SPACE, "").replace(PY_LEADING_SPACE, "");
}

/** debug's result shows only what was asked for (CallbackBase._clean_results). */
export function cleanResults(r: Record<string, unknown>, action: string): Record<string, unknown> {
  const out = { ...r };
  // Ansible's _ACTION_DEBUG: debug under any of its names.
  if (/^(ansible\.(builtin|legacy)\.)?debug$/.test(action)) {
    if ("msg" in out) {
      for (const k of Object.keys(out)) if (!DEBUG_ALLOWED.has(k) && !k.startsWith("_")) delete out[k];
    } else for (const k of HIDE_IN_DEBUG) delete out[k];
  }
  return out;
}

/** Shows the result's warnings and deprecations and returns it without them (_handle_warnings). */
export function showWarnings(d: Display, r: Record<string, unknown>): Record<string, unknown> {
  const out = { ...r };
  if (Array.isArray(out.warnings) && out.warnings.length) {
    // Shown by Ansible's callback, in the main process: once per run.
    for (const w of out.warnings) d.warning(String(w), "main");
  }
  delete out.warnings;
  if (Array.isArray(out.deprecations) && out.deprecations.length) {
    // As Ansible's display.deprecated(**deprecation): the release sentence, once per run.
    for (const w of out.deprecations) {
      const dep: Record<string, unknown> = typeof w === "object" && w !== null ? w : { msg: w };
      const opt = (k: string) => dep[k] === null || dep[k] === undefined ? undefined : String(dep[k]);
      d.deprecated(String(dep.msg), opt("version"), {
        date: opt("date"),
        collection: opt("collection_name"),
      });
    }
  }
  delete out.deprecations;
  return out;
}

/** An exception's last line (or, at -vvv, its whole traceback, then removed) (_handle_exception). */
export function showException(d: Display, r: Record<string, unknown>): Record<string, unknown> {
  if (!("exception" in r)) return r;
  const text = String(r.exception);
  if (d.verbosity < 3) {
    const last = text.trim().split("\n").pop();
    d.display(
      `An exception occurred during task execution. To see the full traceback, use -vvv. The error was: ${last}`,
      "error",
    );
    return r;
  }
  d.display(`The full traceback is:\n${text}`, "error");
  const out = { ...r };
  delete out.exception;
  return out;
}

/** Ansible's MODULE_NO_JSON: the modules whose output the terse callbacks show as text. */
export function isNoJsonModule(action: string): boolean {
  return /^(ansible\.(builtin|legacy|windows)\.)?(command|shell|win_command|win_shell|raw)$/.test(action);
}

/** Ansible's _get_diff: each diff of a result as a unified diff (or why it was skipped). */
export function diffText(
  d: Display,
  diffs: unknown,
  serialize: (v: unknown) => string = (v) => pyJson(v, 4) + "\n",
): string {
  const list = Array.isArray(diffs) ? diffs : [diffs];
  const out: string[] = [];
  for (const raw of list as Record<string, unknown>[]) {
    const diff = { ...raw };
    if ("dst_binary" in diff) out.push("diff skipped: destination file appears to be binary\n");
    if ("src_binary" in diff) out.push("diff skipped: source file appears to be binary\n");
    if ("dst_larger" in diff) {
      out.push(
        `diff skipped: destination file size is greater than ${escapeControls(String(diff.dst_larger))}\n`,
      );
    }
    if ("src_larger" in diff) {
      out.push(
        `diff skipped: source file size is greater than ${escapeControls(String(diff.src_larger))}\n`,
      );
    }
    if ("before" in diff && "after" in diff) {
      for (const k of ["before", "after"]) {
        const v = diff[k];
        if (typeof v === "object" && v !== null) diff[k] = serialize(v);
        else if (v === null || v === undefined) diff[k] = "";
      }
      const bh = "before_header" in diff ? `before: ${diff.before_header}` : "before";
      const ah = "after_header" in diff ? `after: ${diff.after_header}` : "after";
      const b = splitLinesKeep(String(diff.before));
      const a = splitLinesKeep(String(diff.after));
      if (b.length && !b[b.length - 1].endsWith("\n")) {
        b[b.length - 1] += "\n\\ No newline at end of file\n";
      }
      if (a.length && !a[a.length - 1].endsWith("\n")) {
        a[a.length - 1] += "\n\\ No newline at end of file\n";
      }
      const lines = unifiedDiff(b, a, bh, ah);
      for (const line of lines) {
        if (line.startsWith("+")) out.push(d.colorize(line, "diffAdd"));
        else if (line.startsWith("-")) out.push(d.colorize(line, "diffRemove"));
        else if (line.startsWith("@@")) out.push(d.colorize(line, "diffLines"));
        else out.push(escapeControls(line));
      }
      if (lines.length) out.push("\n");
    }
    if ("prepared" in diff) out.push(escapeControls(String(diff.prepared)));
  }
  return out.join("");
}
