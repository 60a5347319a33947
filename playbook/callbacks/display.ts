// Where output goes and how it looks: banners padded with stars to the terminal width, ANSI colours
// only on a TTY (or when forced), warnings on stderr.
import process from "node:process";

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

  colorize(text: string, color?: Color): string {
    if (!this.color || !color) return text;
    return text.split("\n").map((line) => `\x1b[${COLORS[color]}m${line}\x1b[0m`).join("\n");
  }

  display(msg: string, color?: Color, stderr = false): void {
    const text = this.colorize(msg, color) + (msg.endsWith("\n") ? "" : "\n");
    (stderr ? this.#err : this.#out)(text);
  }

  banner(msg: string, color?: Color): void {
    msg = msg.trim();
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
