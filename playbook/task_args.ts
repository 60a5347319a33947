// Which key of a task is its action, and what its arguments are: `debug: msg=x`, `command: ls chdir=/`,
// `action: copy src=a dest=b`, `local_action: ...`, FQCN names. Pure functions, no I/O.

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

/** Modules where `k=v` inside the free-form text stays part of the command (only these few options parse). */
const RAW_COMMAND = new Set(["command", "shell", "raw", "script", "win_command", "win_shell"]);
const COMMAND_OPTIONS = new Set([
  "creates",
  "removes",
  "chdir",
  "executable",
  "warn",
  "stdin",
  "stdin_add_newline",
  "strip_empty_ends",
  "argv",
  "expand_argument_vars",
  "decrypt",
  "cmd",
]);

/** `ansible.builtin.copy`, `ansible.legacy.copy` → `copy`; other collections keep their full name. */
export function shortActionName(name: string): string {
  for (const prefix of ["ansible.builtin.", "ansible.legacy.", "ansible.windows.", "ansible.posix."]) {
    if (name.startsWith(prefix)) return name.slice(prefix.length);
  }
  return name;
}

/**
 * Splits an argument string on whitespace like Ansible's split_args: quotes and Jinja2 blocks
 * (`{{ }}`, `{% %}`, `{# #}`) keep their spaces; quotes stay in the pieces (parseKv strips them).
 */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: string | null = null;
  let depth = 0;
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const two = text.slice(i, i + 2);
    if (quote === null && (two === "{{" || two === "{%" || two === "{#")) {
      depth++;
      cur += two;
      i++;
      started = true;
      continue;
    }
    if (quote === null && depth > 0 && (two === "}}" || two === "%}" || two === "#}")) {
      depth--;
      cur += two;
      i++;
      continue;
    }
    if (c === "\\" && i + 1 < text.length && quote !== null) {
      cur += c + text[i + 1];
      i++;
      continue;
    }
    if (quote !== null) {
      if (c === quote) quote = null;
      cur += c;
      continue;
    }
    if ((c === '"' || c === "'") && depth === 0) {
      quote = c;
      cur += c;
      started = true;
      continue;
    }
    if ((c === " " || c === "\t" || c === "\n") && depth === 0) {
      if (started) out.push(cur);
      // As Ansible's split_args: a line's last word keeps its newline, so the command can be rejoined
      // with the lines it was written in (a multi-line `shell: |` stays a script).
      if (c === "\n" && out.length > 0 && !out[out.length - 1].endsWith("\n")) out[out.length - 1] += "\n";
      cur = "";
      started = false;
      continue;
    }
    cur += c;
    started = true;
  }
  if (quote !== null) throw new Error(`unbalanced quotes in arguments: ${text}`);
  if (depth !== 0) throw new Error(`unbalanced Jinja2 block in arguments: ${text}`);
  if (started) out.push(cur);
  return out;
}

function unquote(s: string): string {
  if (s.length >= 2 && (s[0] === '"' || s[0] === "'") && s[s.length - 1] === s[0]) {
    return s.slice(1, -1).replace(/\\(["'\\])/g, "$1");
  }
  return s;
}

/**
 * Parses `a=1 b="x y" free text` into {a: "1", b: "x y", _raw_params: "free text"}. For command-like
 * modules only their own options are split off, the rest is the command line exactly as written.
 */
export function parseKv(text: string, action: string): Record<string, unknown> {
  const pieces = splitArgs(text.trim());
  const args: Record<string, unknown> = {};
  const raw: string[] = [];
  for (const piece of pieces) {
    const m = /^([A-Za-z_][\w.]*)=(.*)$/s.exec(piece);
    const commandLike = RAW_COMMAND.has(action);
    if (m && (!commandLike || COMMAND_OPTIONS.has(m[1]))) {
      args[m[1]] = unquote(m[2].replace(/\n$/, ""));
    } else {
      raw.push(commandLike ? piece : unquote(piece));
    }
  }
  if (raw.length > 0) {
    // With no options taken out, Ansible's split-and-rejoin gives back the text exactly as written.
    const untouched = RAW_COMMAND.has(action) && Object.keys(args).length === 0;
    args._raw_params = untouched ? text : joinArgs(raw).replace(/\n+$/, "");
  }
  return args;
}

/** Ansible's join_args: words rejoined with a space, except after a word that ended its line. */
export function joinArgs(words: string[]): string {
  let out = "";
  for (const w of words) out += out === "" || out.endsWith("\n") ? w : ` ${w}`;
  return out;
}
