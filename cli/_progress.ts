// The one status line on stderr, drawn only when stderr is a terminal: the running task's progress
// (playbook/callbacks/progress.ts) and, over it while they last, large file transfers (copy, template,
// fetch over 4 MiB). One owner for both, so they never draw over each other; redrawn at most every
// PROGRESS_INTERVAL_MS, erased before any output line is printed (see around()) and when nothing is left
// to show, so the play's own output is left as it was. The transfer line is a pure function of bytes and
// time.
import { escapeControls } from "../playbook/callbacks/display.ts";

/** Transfers smaller than this never show a bar (they are over before one would help). */
export const PROGRESS_MIN_BYTES = 4 * 1024 * 1024;
export const PROGRESS_INTERVAL_MS = 100;

const MIB = 1024 * 1024;

function mib(n: number): string {
  return `${(n / MIB).toFixed(1)} MiB`;
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}

export interface ProgressState {
  /** What moves where, e.g. "copy web1:/srv/big.iso" or "2 transfers". */
  label: string;
  done: number;
  total: number;
  elapsedMs: number;
}

/**
 * One line: label, bar, percentage, bytes, rate and time left, e.g.
 * `copy web1:/srv/big.iso [#####-------]  45%  28.8/64.0 MiB  14.4 MiB/s  0:02`.
 * The label (a path a target may have named) is shown with control characters escaped and shortened
 * from the left to fit `width` columns.
 */
export function progressLine(s: ProgressState, width = 80): string {
  const total = Math.max(s.total, 1);
  const done = Math.min(Math.max(s.done, 0), total);
  const frac = done / total;
  const cells = 12;
  const filled = Math.floor(frac * cells);
  const bar = `[${"#".repeat(filled)}${"-".repeat(cells - filled)}]`;
  const pct = `${String(Math.floor(frac * 100)).padStart(3)}%`;
  const bytes = `${(done / MIB).toFixed(1)}/${mib(total)}`;
  const secs = s.elapsedMs / 1000;
  const rate = secs > 0 ? done / secs : 0;
  const tail = rate > 0 ? `  ${mib(rate)}/s  ${clock((total - done) / rate)}` : "";
  const right = ` ${bar} ${pct}  ${bytes}${tail}`;
  const room = Math.max(width - 1 - right.length, 8);
  const whole = escapeControls(s.label);
  const label = whole.length > room ? `…${whole.slice(whole.length - room + 1)}` : whole;
  return `${label}${right}`;
}

interface Active {
  label: string;
  done: number;
  total: number;
  started: number;
}

/** Something the display writes to: a TTY's stream, or a test's collector. */
export interface ProgressOutput {
  write(text: string): unknown;
  columns?: number;
}

export interface TransferHandle {
  progress(done: number): void;
  end(): void;
}

/** The live display: any number of concurrent transfers shown as one line (summed when several). */
export class ProgressDisplay {
  readonly #out: ProgressOutput;
  readonly #now: () => number;
  readonly #active = new Set<Active>();
  #lastDraw = -Infinity;
  #shown = false;
  /** The task line, as wide as the terminal: shown whenever no transfer is. */
  #status: ((columns: number) => string) | undefined;
  /** Questions waiting for an answer on the terminal: nothing is drawn meanwhile. */
  #held = 0;

  constructor(out: ProgressOutput, now: () => number = () => performance.now()) {
    this.#out = out;
    this.#now = now;
  }

  /** Starts showing a transfer of `total` bytes; small ones get a handle that draws nothing. */
  start(label: string, total: number): TransferHandle {
    if (total <= PROGRESS_MIN_BYTES) return { progress() {}, end() {} };
    const a: Active = { label, done: 0, total, started: this.#now() };
    this.#active.add(a);
    return {
      progress: (done) => {
        a.done = done;
        this.#draw(false);
      },
      end: () => {
        if (!this.#active.delete(a)) return;
        if (this.#active.size === 0 && !this.#status) this.#clear();
        else this.#draw(true);
      },
    };
  }

  #draw(force: boolean): void {
    if (this.#held) return;
    const now = this.#now();
    if (!force && now - this.#lastDraw < PROGRESS_INTERVAL_MS) return;
    this.#lastDraw = now;
    const list = [...this.#active];
    const columns = this.#out.columns || 80;
    if (!list.length) {
      if (this.#status) this.#put(this.#status(columns));
      else this.#clear();
      return;
    }
    const state: ProgressState = list.length === 1
      ? { label: list[0].label, done: list[0].done, total: list[0].total, elapsedMs: now - list[0].started }
      : {
        label: `${list.length} transfers`,
        done: list.reduce((n, a) => n + a.done, 0),
        total: list.reduce((n, a) => n + a.total, 0),
        elapsedMs: now - Math.min(...list.map((a) => a.started)),
      };
    this.#put(progressLine(state, columns));
  }

  #put(line: string): void {
    // Erase the line, draw, and go back to its start: output printed meanwhile overwrites the line.
    this.#out.write(`\r\x1b[2K${line}\r`);
    this.#shown = true;
  }

  /** Shows (or, undefined, removes) the running task's line; drawn now unless drawn very recently. */
  setStatus(status: ((columns: number) => string) | undefined): void {
    this.#status = status;
    if (!status && !this.#active.size) this.#clear();
    else this.#draw(false);
  }

  /** Redraws what is shown (a clock's tick: the elapsed times move on). */
  tick(): void {
    if (this.#status || this.#active.size) this.#draw(false);
  }

  /** Runs `ask` (a question on the terminal) with the line erased, and draws it again once answered. */
  async hold<T>(ask: () => Promise<T>): Promise<T> {
    this.#held++;
    this.#clear();
    try {
      return await ask();
    } finally {
      this.#held--;
      this.tick();
    }
  }

  /**
   * A writer that prints through the status line: the line is erased before the text and drawn again
   * after it, so output lines and the status line never share a row.
   */
  around(write: (text: string) => unknown): (text: string) => void {
    return (text) => {
      if (this.#shown) {
        this.#out.write("\r\x1b[2K");
        this.#shown = false;
      }
      write(text);
      this.#lastDraw = -Infinity;
      this.tick();
    };
  }

  #clear(): void {
    if (this.#shown) this.#out.write("\r\x1b[2K");
    this.#shown = false;
    this.#lastDraw = -Infinity;
  }
}

/** Why a terminal gets no status line: --no-progress, or the environment of a log rather than a person. */
export function progressOff(env: Record<string, string | undefined>, noProgress = false): boolean {
  // MITO_NO_PROGRESS is the switch for scripts that run on a terminal; CI is set by every common CI
  // service (whose logs may be a pseudo-terminal); TERM=dumb terminals cannot move the cursor back.
  return noProgress || Boolean(env.MITO_NO_PROGRESS) || Boolean(env.CI) || env.TERM === "dumb";
}

/** The display for `mito run`: on stderr when it is a terminal and progress is not off, else none. */
export function stderrProgress(
  stream: { isTTY?: boolean; columns?: number; write(s: string): unknown },
  opts: { env?: Record<string, string | undefined>; noProgress?: boolean } = {},
): ProgressDisplay | undefined {
  if (!stream.isTTY || progressOff(opts.env ?? {}, opts.noProgress)) return undefined;
  return new ProgressDisplay({
    write: (s) => stream.write(s),
    get columns() {
      return stream.columns;
    },
  });
}
