// Where output goes and how it looks: banners padded with stars to the terminal width, ANSI colours
// only on a TTY (or when forced), warnings on stderr, and every control character a target could have
// put into the text rendered as an escape instead of reaching the terminal.
import process from "node:process";
import type { WarningSource } from "./types.ts";

/**
 * Control characters that act on a terminal (C0 but newline and tab, DEL, C1 such as U+009B CSI) as
 * JSON spells them (`\u001b`, `\r`), so text reads the same inside a result dump and outside it and a
 * dump stays valid JSON. Bytes from a target must never drive the operator's terminal (window titles,
 * screen clearing, OSC 52 clipboard writes); ansible-playbook escapes C0 only inside its JSON dumps and
 * prints item labels, warnings, diffs and C1 raw. A CR that ends a line (CRLF text, a redraw before the
 * newline) moves nothing the next line would not, so it is kept.
 */
export function escapeControls(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c, at: number) => {
    if (c === "\r" && text[at + 1] === "\n") return c;
    return CONTROL_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

const CONTROL_ESCAPES: Record<string, string> = { "\b": "\\b", "\f": "\\f", "\r": "\\r" };

export const COLORS = {
  ok: "0;32",
  changed: "0;33",
  error: "0;31",
  skip: "0;36",
  unreachable: "1;31",
  warn: "1;35",
  debug: "1;30",
  verbose: "0;34",
  diffAdd: "0;32",
  diffRemove: "0;31",
  diffLines: "0;36",
  deprecate: "0;35",
} as const;
export type Color = keyof typeof COLORS;

export interface DisplayOptions {
  verbosity: number;
  color: boolean;
  /** Terminal width; banners use max(79, width - 1) like Ansible. */
  columns: number;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

export class Display {
  readonly verbosity: number;
  readonly color: boolean;
  readonly columns: number;
  #out: (text: string) => void;
  #err: (text: string) => void;
  /** Warnings already shown: Ansible shows each text once per run. */
  #warned = new Set<string>();
  /** Warnings already shown by the running task's worker (see beginTask). */
  #taskWarned: Set<string> | undefined;
  #deprecations = new Set<string>();
  constructor(opts: DisplayOptions) {
    this.verbosity = opts.verbosity;
    this.color = opts.color;
    this.columns = Math.max(79, opts.columns - 1);
    this.#out = opts.out ?? ((t) => process.stdout.write(t));
    this.#err = opts.err ?? ((t) => process.stderr.write(t));
  }

  /** The text with its control characters escaped, in that colour when colours are on. */
  colorize(text: string, color?: Color): string {
    return this.#paint(escapeControls(text), color);
  }

  #paint(text: string, color?: Color): string {
    if (!this.color || !color) return text;
    return text.split("\n").map((line) => `\x1b[${COLORS[color]}m${line}\x1b[0m`).join("\n");
  }

  /** A human-readable line (a newline is added unless it ends in one), control characters escaped. */
  display(msg: string, color?: Color, stderr = false): void {
    // The newline is added before escaping so that a line ending in CR keeps it (CR LF); as in Ansible,
    // the colour goes around the text without its final newline.
    const text = escapeControls(msg.endsWith("\n") ? msg : msg + "\n");
    (stderr ? this.#err : this.#out)(this.#paint(text.slice(0, -1), color) + "\n");
  }

  /** A line assembled from colorize() pieces and escaped text, written as it is (plus a newline). */
  displayStyled(line: string): void {
    this.#out(line.endsWith("\n") ? line : line + "\n");
  }

  /** Machine-readable output (the json callback's document), written exactly as given. */
  write(text: string, stderr = false): void {
    (stderr ? this.#err : this.#out)(text);
  }

  banner(msg: string, color?: Color): void {
    msg = escapeControls(msg.trim());
    let stars = this.columns - textWidth(msg);
    if (stars <= 3) stars = 3;
    this.display(`\n${msg} ${"*".repeat(stars)}`, color);
  }

  /**
   * A task begins. ansible-playbook runs it in a worker process forked from the main one, whose display
   * remembers its own warnings: what the task warns of while it runs (a lookup's, a templated `args`) is
   * shown unless the main process had shown it before, once per task however often the task warns.
   */
  beginTask(): void {
    this.#taskWarned = new Set(this.#warned);
  }

  /**
   * "[WARNING]: ..." wrapped to the terminal width as textwrap.wrap does, on stderr, each text once: once
   * per run for the main process's warnings (`from: "main"`, and any outside a task), once per task for
   * those a task gives while it runs (see beginTask).
   */
  warning(msg: string, from: WarningSource = "task"): void {
    const text = `${wrap(`[WARNING]: ${msg}`, this.columns).join("\n")}\n`;
    const seen = from === "task" && this.#taskWarned ? this.#taskWarned : this.#warned;
    if (seen.has(text)) return;
    seen.add(text);
    this.display(text, "warn", true);
  }

  /**
   * "[DEPRECATION WARNING]: ..." with Ansible's closing sentences, wrapped keeping whitespace (as
   * Ansible's display.deprecated does), on stderr, once per message.
   */
  deprecated(msg: string, version?: string, opts: { date?: string; collection?: string } = {}): void {
    const text = deprecationMessage(msg, { ...opts, version });
    const shown = wrap(text, this.columns, false).join("\n").trim();
    if (this.#deprecations.has(shown)) return;
    this.#deprecations.add(shown);
    this.display(shown, "deprecate", true);
  }

  /** Ansible's display.error for errors met during a run: " [ERROR]: ..." wrapped, on stderr, once each. */
  runError(msg: string): void {
    const text = `${wrap(` [ERROR]: ${msg}`, this.columns).join("\n")}\n`;
    if (this.#warned.has(text)) return;
    this.#warned.add(text);
    this.display(text, "error", true);
  }

  /** Ansible's display.error without wrapping: "ERROR! ..." on stderr, once per message like runError. */
  error(msg: string): void {
    const text = `ERROR! ${msg}`;
    if (this.#warned.has(text)) return;
    this.#warned.add(text);
    this.display(text, "error", true);
  }

  /** Like Display.vvv etc: shown only at that verbosity. */
  verbose(msg: string, level: number): void {
    if (this.verbosity >= level) this.display(msg, "verbose");
  }
}

/**
 * Ansible's get_deprecation_message: a deprecation ("[DEPRECATION WARNING]: … will be removed …") or, with
 * `removed`, a removal ("[DEPRECATED]: … was removed …"), naming the collection and the release.
 */
export function deprecationMessage(
  msg: string,
  opts: { removed?: boolean; version?: string; date?: string; collection?: string } = {},
): string {
  msg = msg.trim();
  if (msg && !"!?.".includes(msg[msg.length - 1])) msg += ".";
  const from = opts.collection
    ? ` from ${opts.collection === "ansible.builtin" ? "ansible-core" : opts.collection}`
    : "";
  const when = opts.date
    ? `in a release after ${opts.date}.`
    : opts.version
    ? `in version ${opts.version}.`
    : "in a future release.";
  return opts.removed
    ? `[DEPRECATED]: ${msg} This feature was removed${from} ${when} Please update your playbooks.`
    : `[DEPRECATION WARNING]: ${msg} This feature will be removed${from} ${when} ` +
      "Deprecation warnings can be disabled by setting deprecation_warnings=False in ansible.cfg.";
}

/** Warnings of the commands without play output (mito inventory, mito stack), shown as Ansible's are. */
export function stderrWarnings(): (message: string) => void {
  const display = new Display({ verbosity: 0, color: false, columns: 80 });
  return (m) => display.warning(m);
}

// Python's textwrap chunks: runs of whitespace, and words split after the hyphens of hyphenated words.
const WS = "[\\t\\n\\x0b\\x0c\\r ]";
const WORD_PUNCT = `[\\p{L}\\p{N}_!"'&.,?]`;
const LETTER = "[\\p{L}_]";
const WORD = "[\\p{L}\\p{N}_]";
const CHUNK = new RegExp(
  `(${WS}+|(?<=${WORD_PUNCT})-{2,}(?=${WORD})|[^\\t\\n\\x0b\\x0c\\r ]+?(?:-(?:(?<=${LETTER}{2}-)|` +
    `(?<=${LETTER}-${LETTER}-))(?=${LETTER}-?${LETTER})|(?=${WS}|$)|(?<=${WORD_PUNCT})(?=-{2,}${WORD})))`,
  "u",
);

/**
 * Python's textwrap.wrap(text, width) with its defaults: every whitespace character becomes a space,
 * runs of spaces inside a line are kept, those where a line breaks are dropped, hyphenated words may
 * break after a hyphen, and a word longer than a line is split to fill the line it starts on.
 */
export function wrap(text: string, width: number, dropWhitespace = true): string[] {
  return wrapIndented(text, width, "", "", dropWhitespace);
}

/** textwrap.wrap with initial_indent and subsequent_indent: each line's indent counts in its width. */
export function wrapIndented(
  text: string,
  fullWidth: number,
  initial: string,
  subsequent: string,
  dropWhitespace = true,
): string[] {
  const chunks = expandTabs(text).replace(/[\t\n\v\f\r]/g, " ").split(CHUNK).filter(Boolean).reverse();
  const lines: string[] = [];
  while (chunks.length) {
    const line: string[] = [];
    const indent = lines.length ? subsequent : initial;
    const width = fullWidth - indent.length;
    let len = 0;
    if (dropWhitespace && chunks.at(-1)!.trim() === "" && lines.length) chunks.pop();
    while (chunks.length && len + chunks.at(-1)!.length <= width) {
      len += chunks.at(-1)!.length;
      line.push(chunks.pop()!);
    }
    if (chunks.length && chunks.at(-1)!.length > width) {
      const chunk = chunks.at(-1)!;
      const room = width < 1 ? 1 : width - len;
      let end = room;
      const hyphen = chunk.lastIndexOf("-", room - 1);
      if (hyphen > 0 && /[^-]/.test(chunk.slice(0, hyphen))) end = hyphen + 1;
      line.push(chunk.slice(0, end));
      chunks[chunks.length - 1] = chunk.slice(end);
    }
    if (dropWhitespace && line.length && line.at(-1)!.trim() === "") line.pop();
    if (line.length) lines.push(indent + line.join(""));
  }
  return lines;
}

/** str.expandtabs(): tab stops every 8 columns, counted from the last newline. */
export function expandTabs(text: string): string {
  if (!text.includes("\t")) return text;
  let col = 0;
  let out = "";
  for (const c of text) {
    if (c === "\t") {
      const n = 8 - (col % 8);
      out += " ".repeat(n);
      col += n;
    } else {
      out += c;
      col = c === "\n" || c === "\r" ? 0 : col + 1;
    }
  }
  return out;
}

/** Display width: East Asian wide characters count two columns, combining marks none. */
function textWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x300 && c <= 0x36f) continue;
    // Ansible's get_text_width: BS, DEL, CCH and ESC take a column back, other control characters none
    if (c === 0x08 || c === 0x7f || c === 0x94 || c === 0x1b) {
      w--;
      continue;
    }
    if (c < 0x20 || (c >= 0x80 && c < 0xa0)) continue;
    w += (c >= 0x1100 && (c <= 0x115f || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
        (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
        (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff) || (c >= 0x20000 && c <= 0x3fffd)))
      ? 2
      : 1;
  }
  return w;
}
