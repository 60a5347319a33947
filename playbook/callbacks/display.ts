// Where output goes and how it looks: banners padded with stars to the terminal width, ANSI colours
// only on a TTY (or when forced), warnings on stderr, and every control character a target could have
// put into the text rendered as an escape instead of reaching the terminal.
import process from "node:process";

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
    // The newline is added before escaping so that a line ending in CR keeps it (CR LF).
    const nl = msg.endsWith("\n") ? "" : "\n";
    const text = escapeControls(msg + nl);
    (stderr ? this.#err : this.#out)(this.#paint(nl ? text.slice(0, -1) : text, color) + nl);
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

  /** "[WARNING]: ..." wrapped to the terminal width like Python's textwrap.wrap, on stderr. */
  warning(msg: string): void {
    this.display(`${wrap(`[WARNING]: ${msg.trim()}`, this.columns).join("\n")}\n`, "warn", true);
  }

  error(msg: string): void {
    this.display(`ERROR! ${msg}`, "error", true);
  }

  /** Like Display.vvv etc: shown only at that verbosity. */
  verbose(msg: string, level: number): void {
    if (this.verbosity >= level) this.display(msg, "verbose");
  }
}

/** Greedy word wrap at `width` columns (whitespace collapsed, over-long words split), as textwrap.wrap. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let cur = "";
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.length > width) {
      if (cur) {
        lines.push(cur);
        cur = "";
      }
      lines.push(word.slice(0, width));
      word = word.slice(width);
    }
    if (!cur) cur = word;
    else if (cur.length + 1 + word.length <= width) cur += " " + word;
    else {
      lines.push(cur);
      cur = word;
    }
  }
  if (cur) lines.push(cur);
  return lines;
}

/** Display width: East Asian wide characters count two columns, combining marks none. */
function textWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x300 && c <= 0x36f) continue;
    w += (c >= 0x1100 && (c <= 0x115f || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
        (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
        (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff) || (c >= 0x20000 && c <= 0x3fffd)))
      ? 2
      : 1;
  }
  return w;
}
