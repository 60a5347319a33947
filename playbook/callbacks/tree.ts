// The `tree` aggregate callback (`ansible -t DIR`): each host's last result as JSON in DIR/HOST.
import * as fs from "node:fs";
import * as path from "node:path";
import type { ResultEvent } from "./types.ts";
import { IgnoringCallback } from "./_base.ts";
import type { Display } from "./display.ts";
import { dumpResults } from "./_results.ts";

export class TreeCallback extends IgnoringCallback {
  #d: Display;
  #dir: string;

  constructor(display: Display, dir: string) {
    super();
    this.#d = display;
    this.#dir = dir;
  }

  override result(ev: ResultEvent): void {
    if (ev.status === "skipped") return;
    const text = dumpResults(ev.result, this.#d.verbosity);
    try {
      fs.mkdirSync(this.#dir, { recursive: true });
    } catch (err) {
      this.#d.warning(
        `Unable to access or create the configured directory (${this.#dir}): ${(err as Error).message}`,
      );
    }
    try {
      fs.writeFileSync(path.join(this.#dir, ev.host), text);
    } catch (err) {
      this.#d.warning(`Unable to write to ${ev.host}'s file: ${(err as Error).message}`);
    }
  }
}
