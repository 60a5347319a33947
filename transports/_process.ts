// A local process as a ByteChannel: its stdin/stdout carry the bytes, stderr is passed on for diagnostics.
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import type { ByteChannel, ExitStatus, SpawnRequest } from "./stream.ts";
import { nodeWriter, webReadable } from "./_ssh_streams.ts";

export class SpawnFailedError extends Error {
  constructor(readonly argv: string[], cause: string) {
    super(`cannot start ${argv[0]}: ${cause}`);
    this.name = "SpawnFailedError";
  }
}

export interface ProcessChannel extends ByteChannel {
  readonly pid: number | undefined;
  /** Why the process could not be started (ENOENT, EACCES), once known. */
  readonly startError: SpawnFailedError | undefined;
}

/** Lets this process exit while `child` still runs: neither it nor its pipes hold the event loop. */
export function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as { unref?: () => void } | null)?.unref?.();
}

/** Undoes unrefChild: the child and its pipes hold the event loop again. */
export function refChild(child: ChildProcess): void {
  child.ref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as { ref?: () => void } | null)?.ref?.();
}

/** Starts argv with piped stdio; a failure to exec ends it with status 127 and sets startError. */
export function spawnProcess(req: SpawnRequest & { cwd?: string }): ProcessChannel {
  const child = spawn(req.argv[0], req.argv.slice(1), {
    stdio: ["pipe", "pipe", "pipe"],
    // Its own session: a Ctrl-C on the controller's terminal reaches the controller only, which then
    // shuts its contexts down cleanly (temp dirs removed) instead of killing them mid-call.
    detached: true,
    env: req.env ? { ...process.env, ...req.env } : process.env,
    cwd: req.cwd,
  });
  let spawnError: Error | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once("close", (code, signal) => resolve({ code, signal }));
    child.once("error", (err) => {
      spawnError = err;
      resolve({ code: 127, signal: null });
    });
  });
  child.stdin!.on("error", () => {}); // EPIPE after the far end died: reported through `exited`
  const readable = webReadable(child.stdout!);
  const stderr = webReadable(child.stderr!);
  return {
    pid: child.pid,
    get startError() {
      return spawnError && new SpawnFailedError(req.argv, spawnError.message);
    },
    readable,
    stderr,
    ownedChunks: true,
    ...nodeWriter(child.stdin!, `stdin of ${req.argv[0]}`),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
    detach: () => unrefChild(child),
    exited,
  };
}
