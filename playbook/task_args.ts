// Which key of a task is its action, and what its arguments are: `debug: msg=x`, `command: ls chdir=/`,
// `action: copy src=a dest=b`, `local_action: ...`, FQCN names. Pure functions, no I/O.
import { PYTHON_ESCAPES } from "./template/mod.ts";

/** Actions whose free-form text is kept whole as _raw_params instead of being an error. */
export const FREE_FORM = new Set([
  "command",
  "shell",
  "raw",
  "script",
  "win_command",
  "win_shell",
  "include",
  "include_tasks",
  "import_tasks",
  "include_vars",
  "import_playbook",
  "meta",
  "set_fact",
  "add_host",
  "group_by",
  "include_role",
  "import_role",
]);

/** Modules whose free-form text is a command line: only their own few options are split off it. */
const RAW_COMMAND = new Set(["command", "shell", "raw", "script", "win_command", "win_shell"]);
/** The options Ansible's parse_kv takes out of a command line (its own list; others stay in the command). */
const COMMAND_OPTIONS = new Set([
  "creates",
  "removes",
  "chdir",
  "executable",
  "warn",
  "stdin",
  "stdin_add_newline",
  "strip_empty_ends",
]);

/**
 * The old `include: file a=1 b=2`'s parameters: every argument (not the folder mito keeps beside them),
 * the file as `_raw_params` however it was given. Ansible gives them to the included tasks as variables of
 * the include task itself, below set_fact and the include's own `vars:` (which are include params).
 */
export function oldIncludeVars(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (k !== "file" && k !== "__dir") out[k] = v;
  }
  if (out._raw_params === undefined && args.file !== undefined) out._raw_params = args.file;
  return out;
}

/** Whether text holds a Jinja2 block: arguments given as such a string are a variable's, at run time. */
export function isTemplateText(text: string): boolean {
  return /\{\{|\{%|\{#/.test(text);
}

/** `ansible.builtin.copy`, `ansible.legacy.copy` → `copy`; other collections keep their full name. */
export function shortActionName(name: string): string {
  for (const prefix of ["ansible.builtin.", "ansible.legacy.", "ansible.windows.", "ansible.posix."]) {
    if (name.startsWith(prefix)) return name.slice(prefix.length);
  }
  return name;
}

/** The quote still open after `token`, given the one open before it (a quote after `\` does not count). */
function quoteState(token: string, open: string | null): string | null {
  for (let i = 0; i < token.length; i++) {
    const c = token[i];
    if ((c === '"' || c === "'") && (i === 0 || token[i - 1] !== "\\")) {
      if (open === null) open = c;
      else if (c === open) open = null;
    }
  }
  return open;
}

/** The nesting depth of a Jinja2 delimiter pair after `token`, counted as Ansible does (never below 0). */
function jinjaDepth(token: string, depth: number, open: string, close: string): number {
  const opened = token.split(open).length - 1, closed = token.split(close).length - 1;
  return opened === closed ? depth : Math.max(0, depth + opened - closed);
}

/**
 * Splits an argument string as Ansible's split_args: lines, then single spaces; quoted text and Jinja2
 * blocks (`{{ }}`, `{% %}`, `{# #}`) are put back together with the spaces and newlines they spanned;
 * extra spaces stay on the word before them; a lone `\` outside quotes joins a line to the next (so
 * `echo a \` + newline + `b` is `echo a b`); a line's last word keeps its newline (join_args rebuilds
 * the text from the words). Quotes stay in the words (parseKv strips them).
 */
export function splitArgs(text: string): string[] {
  const params: string[] = [];
  const lines = text.split("\n");
  let quote: string | null = null;
  let print = 0, block = 0, comment = 0;
  const last = () => {
    if (params.length === 0) throw new Error(`Unable to parse argument string: ${text}`);
    return params.length - 1;
  };
  lines.forEach((line, lineNo) => {
    const tokens = line.split(" ");
    let continued = false;
    tokens.forEach((token, idx) => {
      if (token.length === 0 && idx !== 0) {
        params[last()] += " ";
        return;
      }
      if (token === "\\" && quote === null) {
        continued = true;
        return;
      }
      const wasQuoted = quote !== null;
      quote = quoteState(token, quote);
      const quoted = quote !== null;
      const inJinja = () => print > 0 || block > 0 || comment > 0;
      let appended = false;
      if (quoted && !wasQuoted && !inJinja()) {
        params.push(token);
        appended = true;
      } else if (inJinja() || quoted || wasQuoted) {
        const i = last();
        if (idx === 0 && wasQuoted) params[i] += token;
        else if (tokens.length > 1) params[i] += (idx > 0 ? " " : "") + token;
        else params[i] += `\n${token}`;
        appended = true;
      }
      for (const [open, close] of [["{{", "}}"], ["{%", "%}"], ["{#", "#}"]] as const) {
        const before = open === "{{" ? print : open === "{%" ? block : comment;
        const after = jinjaDepth(token, before, open, close);
        if (open === "{{") print = after;
        else if (open === "{%") block = after;
        else comment = after;
        if (after !== before && !appended) {
          params.push(token);
          appended = true;
        }
      }
      if (!inJinja() && !quoted && !appended && token !== "") params.push(token);
    });
    if (lines.length > 1 && lineNo !== lines.length - 1 && !continued) params[last()] += "\n";
  });
  if (print || block || comment || quote !== null) {
    throw new Error(
      `failed at splitting arguments, either an unbalanced jinja2 block or quotes: ${text}`,
    );
  }
  return params;
}

/** Ansible's unquote: one pair of matching outer quotes goes, unless the closing one is escaped. */
function unquote(s: string): string {
  const quoted = s.length > 1 && s[0] === s[s.length - 1] && (s[0] === '"' || s[0] === "'") &&
    s[s.length - 2] !== "\\";
  return quoted ? s.slice(1, -1) : s;
}

/** Python's unicode-escape sequences that Ansible's parse_kv decodes in each k=v word. */
const ESCAPE = /\\U[0-9a-fA-F]{8}|\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}|\\N\{[^}]+\}|\\[\\'"abfnrtv]/g;

function decodeEscapes(s: string): string {
  return s.replace(ESCAPE, (m) => {
    const kind = m[1];
    if (kind === "U" || kind === "u" || kind === "x") return String.fromCodePoint(parseInt(m.slice(2), 16));
    if (kind === "N") {
      // character names need Python's Unicode database: kept as written
      return m;
    }
    return PYTHON_ESCAPES[kind];
  });
}

/**
 * Parses `a=1 b="x y" free text` as Ansible's parse_kv: each word has its escapes decoded (`\n`, `\t`,
 * `\b`, `\\`, `\"`, `\xHH`…) and is split at its first `=` not after a backslash; the value loses one
 * pair of outer quotes. Words without `=` (and, for command-like modules, options other than theirs)
 * are the free-form text, kept as written and rejoined: {…, _raw_params: "free text"}.
 */
export function parseKv(text: string, action: string): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  const raw: string[] = [];
  const commandLike = RAW_COMMAND.has(action);
  for (const word of splitArgs(text)) {
    const x = decodeEscapes(word);
    let pos = -1;
    for (let i = x.indexOf("=", 1); i > 0; i = x.indexOf("=", i + 1)) {
      if (x[i - 1] !== "\\") {
        pos = i;
        break;
      }
    }
    if (!x.includes("=")) raw.push(word);
    else if (pos < 0) raw.push(x.replaceAll("\\=", "="));
    else {
      const key = x.slice(0, pos);
      if (commandLike && !COMMAND_OPTIONS.has(key)) raw.push(word);
      else args[key.trim()] = unquote(x.slice(pos + 1).trim());
    }
  }
  if (raw.length > 0) args._raw_params = joinArgs(raw);
  return args;
}

/** Ansible's join_args: words rejoined with a space, except after a word that ended its line. */
export function joinArgs(words: string[]): string {
  let out = "";
  for (const w of words) out += out === "" || out.endsWith("\n") ? w : ` ${w}`;
  return out;
}
