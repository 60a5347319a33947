// Watching processes from the tests: whether one has ended, without timing assertions (bounded waits).
import { readFileSync } from "node:fs";

/** The state letter from /proc/PID/stat ("Z" for a zombie awaiting its parent's wait), or "gone". */
export function processState(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1][0];
  } catch {
    return "gone";
  }
}

/** Whether pid is gone or a zombie, waiting (at most `ms`) for an exit already under way to finish. */
export async function stopped(pid: number, ms = 5000): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 10) {
    const state = processState(pid);
    if (state === "gone" || state === "Z") return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}
