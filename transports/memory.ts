// Returning the memory of big transient buffers promptly. V8 collects when its heap has grown by a factor
// of what survived the last collection, and counts buffers outside its heap loosely: after a 100 MB reply
// (its frame bytes and the JSON text it was parsed from are garbage once the value is decoded) the next
// task's allocations would land on top of that garbage, and the controller's peak would be several times
// the largest value it holds. A full collection costs milliseconds; it runs only after big garbage.
import process from "node:process";
import v8 from "node:v8";
import vm from "node:vm";

/** A message this big is followed by a collection; so is this much growth of the process over a task. */
export const BIG_BYTES = 16 * 1024 * 1024;

let gc: (() => void) | null | undefined;
/** The resident size right after the last collection (0: not measured yet). */
let floor = 0;

/** V8's full collection: exposed through a flag, reached from a fresh context (Deno and Node alike). */
function collect(): void {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString("--expose-gc");
      gc = vm.runInNewContext("gc") as () => void;
    } catch {
      gc = null; // a runtime that refuses: its own heuristics decide
    }
  }
  if (!gc) return;
  gc();
  floor = process.memoryUsage.rss();
}

/**
 * Collects now when `bytes` (what just became garbage) is big; says whether it did. The caller must hold
 * no reference to the garbage any more, not even in a local of a function still running.
 */
export function releaseBig(bytes: number): boolean {
  if (bytes < BIG_BYTES) return false;
  collect();
  return true;
}

/**
 * Frees a buffer nothing will read again at once, rather than at V8's next collection: a 100 MB reply
 * arrives as thousands of 64 KiB read chunks, and freed together they stay with the C allocator (25 MB of
 * them were still resident when the next task read a 100 MB file). Only a view spanning its whole
 * ArrayBuffer is freed, which a pooled or shared buffer never is; where the runtime cannot detach it, the
 * collector frees it as before.
 */
export function freeBuffer(view: Uint8Array): void {
  const b = view.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (view.byteOffset !== 0 || view.byteLength !== b.byteLength || typeof b.transfer !== "function") return;
  try {
    b.transfer(0);
  } catch {
    // not detachable (a WebAssembly memory, a buffer some API pinned): the collector's job
  }
}

/** At the end of a unit of work (a task on a host): collects when the process grew by BIG_BYTES since. */
export function releaseGrowth(): void {
  const rss = process.memoryUsage.rss();
  if (floor === 0) floor = rss;
  else if (rss - floor >= BIG_BYTES) collect();
  else if (rss < floor) floor = rss;
}
