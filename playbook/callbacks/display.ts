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
  #deprecations = new Set<string>();
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

  /**
   * "[DEPRECATION WARNING]: ..." with Ansible's closing sentences, wrapped keeping whitespace (as
   * Ansible's display.deprecated does), on stderr, once per message.
   */
  deprecated(msg: string, version: string): void {
    msg = msg.trim();
    if (msg && !"!?.".includes(msg[msg.length - 1])) msg += ".";
    const text = `[DEPRECATION WARNING]: ${msg} This feature will be removed in version ${version}. ` +
      "Deprecation warnings can be disabled by setting deprecation_warnings=False in ansible.cfg.";
    const shown = wrap(text, this.columns, false).join("\n").trim();
    if (this.#deprecations.has(shown)) return;
    this.#deprecations.add(shown);
    this.display(shown, "deprecate", true);
  }

  error(msg: string): void {
    this.display(`ERROR! ${msg}`, "error", true);
  }

  /** Like Display.vvv etc: shown only at that verbosity. */
  verbose(msg: string, level: number): void {
    if (this.verbosity >= level) this.display(msg, "verbose");
  }
}

/**
 * Python's textwrap chunks: runs of whitespace; words, split after a hyphen between letters
 * ("argsplat-" "unsafe"); em-dashes between words.
 */
const CHUNK =
  /(\s+|(?<=[\w!"'&.,?])-{2,}(?=\w)|\S+?(?:-(?:(?<=[^\d\W]{2}-)|(?<=[^\d\W]-[^\d\W]-))(?=[^\d\W]-?[^\d\W])|(?=\s|$)|(?<=[\w!"'&.,?])(?=-{2,}\w)))/;

/**
 * Word wrap at `width` columns as Python's textwrap.wrap: whitespace characters become spaces (runs
 * inside a line are kept), lines start and end without whitespace, a word too long for a line is cut,
 * after a hyphen when there is one.
 */
export function wrap(text: string, width: number, dropWhitespace = true): string[] {
  const chunks = expandTabs(text).replace(/\s/g, " ").split(CHUNK).filter(Boolean).reverse();
  const lines: string[] = [];
  while (chunks.length) {
    const line: string[] = [];
    let len = 0;
    if (dropWhitespace && chunks[chunks.length - 1].trim() === "" && lines.length) chunks.pop();
    while (chunks.length && len + chunks[chunks.length - 1].length <= width) {
      const c = chunks.pop()!;
      line.push(c);
      len += c.length;
    }
    if (chunks.length && chunks[chunks.length - 1].length > width) {
      const chunk = chunks[chunks.length - 1];
      const room = width < 1 ? 1 : width - len;
      let end = room;
      const hyphen = chunk.lastIndexOf("-", room - 1);
      if (hyphen > 0 && /[^-]/.test(chunk.slice(0, hyphen))) end = hyphen + 1;
      line.push(chunk.slice(0, end));
      chunks[chunks.length - 1] = chunk.slice(end);
    }
    if (dropWhitespace && line.length && line[line.length - 1].trim() === "") line.pop();
    if (line.length) lines.push(line.join(""));
  }
  return lines;
}

/** Python's str.expandtabs(): each tab pads to the next multiple of 8 columns of its line. */
function expandTabs(text: string): string {
  let out = "", col = 0;
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
    w += (c >= 0x1100 && (c <= 0x115f || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
        (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
        (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff) || (c >= 0x20000 && c <= 0x3fffd)))
      ? 2
      : 1;
  }
  return w;
}
