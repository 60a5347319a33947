// What starts this program again: the single executable itself, or, from a checkout, the `mito` script.
import * as path from "node:path";
import process from "node:process";

let standalone = false;

/** Called by the bundled entry (cli/bin.ts): this process is the single executable. */
export function markStandalone(): void {
  standalone = true;
}

/** The file a link named `ansible` should point at to run this program. */
export function selfCommand(): string {
  if (standalone) return process.execPath;
  // From source the script is cli/main.ts (or cli/task_entry.ts); the checkout's launcher sits above it.
  return path.resolve(path.dirname(process.argv[1] ?? "."), "..", "mito");
}
