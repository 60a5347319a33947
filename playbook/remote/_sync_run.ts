// Runs a planned synchronize's rsync on the controller: in its own session, so ssh under it can never
// prompt on the user's terminal; a login password goes through mito's one-shot askpass.
import { spawn } from "node:child_process";
import os from "node:os";
import process from "node:process";
import { Askpass } from "../../transports/_ssh_askpass.ts";
import { errorText } from "./_results.ts";

export interface RsyncOutput {
  rc: number;
  stdout: string;
  stderr: string;
}

export async function rsyncHere(plan: { argv: string[]; password?: string }): Promise<RsyncOutput> {
  let askpass: Askpass | undefined;
  try {
    askpass = plan.password === undefined ? undefined : Askpass.create(plan.password);
  } catch (err) {
    return { rc: 255, stdout: "", stderr: errorText(err) };
  }
  try {
    const child = spawn(plan.argv[0], plan.argv.slice(1), {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      env: { ...process.env, ...(askpass?.env ?? {}) },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const rc = await new Promise<number>((resolve) => {
      child.once("error", (e) => {
        err.push(Buffer.from(`cannot run ${plan.argv[0]}: ${e.message}`));
        resolve(127);
      });
      child.once(
        "close",
        (code, signal) => resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 127)),
      );
    });
    return { rc, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
  } finally {
    askpass?.dispose();
  }
}
