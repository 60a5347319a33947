// Host entries as inventory files write them: `name`, `name:port`, `[v6]:port`, and ranges
// `web[01:20].x`, `db-[a:c]`, `[1:9:2]` expanded the way Ansible's inventory plugins expand them.
import { strRepr } from "../py/repr.ts";

export class HostPatternError extends Error {
  override name = "HostPatternError";
  /**
   * Whether the reader names the file and line. Ansible's INI reader names none for the two host entries
   * it refuses itself (ending in ':' and '---'), and mito prints those as it does; for the others (ranges,
   * a stray '['), where Ansible passes on a Python error or names nothing, mito names the line.
   */
  readonly located: boolean;
  /**
   * Whether Ansible refuses the entry with this same message, its own error (a range without an end …),
   * rather than failing in Python (a bound that is no number, a zero step) where mito words it its own way.
   */
  readonly ansibleError: boolean;
  /** What Python says where Ansible's code fails in Python (`invalid literal for int() …`). */
  readonly python?: string;
  constructor(message: string, opts: { located?: boolean; ansibleError?: boolean; python?: string } = {}) {
    super(message);
    this.located = opts.located ?? true;
    this.ansibleError = opts.ansibleError ?? false;
    this.python = opts.python;
  }
}

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** As Ansible: any `[…]` is a range, so `web[1]` is a malformed one rather than a host of that name. */
function hasRange(s: string): boolean {
  const open = s.indexOf("[");
  return open >= 0 && s.indexOf("]", open) > open;
}

/** Expands the first `[beg:end(:step)]` and recurses on the result. */
export function expandRanges(pattern: string): string[] {
  if (!hasRange(pattern)) return [pattern];
  const open = pattern.indexOf("[");
  const close = pattern.indexOf("]", open);
  const head = pattern.slice(0, open);
  const range = pattern.slice(open + 1, close);
  const tail = pattern.slice(close + 1);
  const bounds = range.split(":");
  if (bounds.length !== 2 && bounds.length !== 3) {
    throw new HostPatternError("host range must be begin:end or begin:end:step", { ansibleError: true });
  }
  const beg = bounds[0] || "0";
  const end = bounds[1];
  const stepText = bounds.length === 3 ? bounds[2] : "1";
  const step = parseInt(stepText, 10);
  if (!end) throw new HostPatternError("host range must specify end value", { ansibleError: true });
  let fill = (x: string | number) => String(x);
  if (beg[0] === "0" && beg.length > 1) {
    const width = beg.length;
    if (width !== end.length) {
      throw new HostPatternError("host range must specify equal-length begin and end formats", {
        ansibleError: true,
      });
    }
    fill = (x) => String(x).padStart(width, "0");
  }
  const isInt = (x: string) => /^[0-9]+$/.test(x);
  // Ansible's Python reads the bounds, then the step, with int(): the first that is no number fails it
  const notInt = (x: string) => `invalid literal for int() with base 10: ${strRepr(x)}`;
  const seq: (string | number)[] = [];
  const ib = beg.length === 1 ? LETTERS.indexOf(beg) : -1;
  const ie = end.length === 1 ? LETTERS.indexOf(end) : -1;
  if (ib >= 0 && ie >= 0 && isInt(stepText)) {
    if (ib > ie) throw new HostPatternError("host range must have begin <= end", { ansibleError: true });
    if (!(step > 0)) {
      throw new HostPatternError(`host range step must be a positive integer, got '${stepText}'`, {
        python: "slice step cannot be zero",
      });
    }
    for (let i = ib; i <= ie; i += step) seq.push(LETTERS[i]);
  } else {
    const bad = [beg, end, stepText].find((x) => !isInt(x));
    if (bad !== undefined) {
      throw new HostPatternError(
        bad === stepText && isInt(beg) && isInt(end)
          ? `host range step must be a positive integer, got '${stepText}'`
          : `invalid host range [${range}]: begin and end must be numbers or letters`,
        { python: notInt(bad) },
      );
    }
    if (!(step > 0)) {
      throw new HostPatternError(`host range step must be a positive integer, got '${stepText}'`, {
        python: "range() arg 3 must not be zero",
      });
    }
    const b = parseInt(beg, 10), e = parseInt(end, 10);
    for (let i = b; i <= e; i += step) seq.push(i);
  }
  const out: string[] = [];
  for (const x of seq) out.push(...expandRanges(head + fill(x) + tail));
  return out;
}

/** Splits `host:port` (ranges may hold colons inside brackets; bare IPv6 addresses have no port). */
export function splitPort(entry: string): { host: string; port?: number } {
  const v6 = /^\[([0-9a-fA-F:.%\w-]+)\](?::(\d+))?$/.exec(entry);
  if (v6 && v6[1].includes(":")) return { host: v6[1], port: v6[2] ? parseInt(v6[2], 10) : undefined };
  let depth = 0;
  const colons: number[] = [];
  for (let i = 0; i < entry.length; i++) {
    const c = entry[i];
    if (c === "[") depth++;
    else if (c === "]") depth--;
    else if (c === ":" && depth === 0) colons.push(i);
  }
  if (colons.length === 1) {
    const port = entry.slice(colons[0] + 1);
    if (/^\d+$/.test(port)) return { host: entry.slice(0, colons[0]), port: parseInt(port, 10) };
  }
  return { host: entry };
}

/** An inventory host entry → host names and optional port. */
export function expandHostEntry(entry: string): { hosts: string[]; port?: number } {
  const { host, port } = splitPort(entry.trim());
  if (entry.trim().endsWith(":") && port === undefined) {
    throw new HostPatternError(
      `Invalid host pattern '${entry}' supplied, ending in ':' is not allowed, this character is reserved to provide a port.`,
      { located: false, ansibleError: true },
    );
  }
  const hosts = expandRanges(host);
  // A '[' left over after ranges and IPv6 is a typo (an unclosed `[web` section header): Ansible reads any
  // '[' as the start of a range and fails on such a source; it must never become a host.
  if (hosts.some((h) => h.includes("["))) {
    throw new HostPatternError(
      `Invalid host pattern '${entry}' supplied, '[' only opens a range such as web[1:3] (or encloses ` +
        "an IPv6 address)",
    );
  }
  if (hosts.some((h) => h.trim() === "---")) {
    throw new HostPatternError(
      `Invalid host pattern '${entry}' supplied, '---' is normally a sign this is a YAML file.`,
      { located: false, ansibleError: true },
    );
  }
  return { hosts, port };
}
