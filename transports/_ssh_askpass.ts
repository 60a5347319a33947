// A one-shot SSH_ASKPASS for password logins without a PTY on the controller. The password travels through
// a FIFO in a private (0700) temp dir: mito holds the FIFO open read-write with the password line buffered
// in it, and the askpass script ssh runs reads that one line and removes the FIFO, so a second prompt (a
// wrong password) gets nothing and fails at once. The password is never in an argv, an environment or a
// file on disk; the script's path and the FIFO's are all ssh's environment holds.
import { spawnSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { shellQuote } from "./_ssh_argv.ts";

export class AskpassError extends Error {
  override name = "AskpassError";
}

/** The askpass script: refuses host key confirmations, answers one password prompt, then nothing. */
export function askpassScript(fifo: string): string {
  const q = shellQuote(fifo);
  return [
    "#!/bin/sh",
    "# mito one-shot askpass: written and removed by the controller for one ssh login.",
    'case "$1" in *yes/no*|*fingerprint*) echo no; exit 1;; esac',
    `[ -p ${q} ] || exit 1`,
    `IFS= read -r pw < ${q} || exit 1`,
    `rm -f ${q}`,
    `printf '%s\\n' "$pw"`,
    "",
  ].join("\n");
}

export class Askpass {
  readonly #dir: string;
  #fd: number | undefined;

  private constructor(dir: string, fd: number) {
    this.#dir = dir;
    this.#fd = fd;
  }

  /** Prepares the script and FIFO holding `password`; dispose() removes them. */
  static create(password: string): Askpass {
    if (/[\n\r\0]/.test(password)) throw new AskpassError("an ssh password cannot contain a newline or NUL");
    const dir = mkdtempSync(join(tmpdir(), "mito-askpass-"));
    try {
      const fifo = join(dir, "password");
      const made = spawnSync("mkfifo", ["-m", "600", fifo], { encoding: "utf8" });
      if (made.status !== 0) {
        throw new AskpassError(
          `cannot create the askpass FIFO with mkfifo: ${made.error?.message ?? made.stderr}`,
        );
      }
      // Read-write: opening does not wait for a reader, and the buffered line survives until it is read.
      const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
      writeSync(fd, new TextEncoder().encode(password + "\n"));
      writeFileSync(join(dir, "askpass"), askpassScript(fifo), { mode: 0o700 });
      return new Askpass(dir, fd);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Environment for the ssh process: SSH_ASKPASS_REQUIRE=force (OpenSSH 8.4+); older clients use askpass
   * only with a DISPLAY and no terminal (ssh runs in its own session), so one is named if none is set.
   */
  get env(): Record<string, string> {
    return {
      SSH_ASKPASS: join(this.#dir, "askpass"),
      SSH_ASKPASS_REQUIRE: "force",
      ...(process.env.DISPLAY ? {} : { DISPLAY: ":0" }),
    };
  }

  dispose(): void {
    if (this.#fd !== undefined) {
      closeSync(this.#fd);
      this.#fd = undefined;
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
