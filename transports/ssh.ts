// The OpenSSH transport: ssh(1) runs the remote command (the first stage) with the protocol on its stdin and
// stdout and no TTY anywhere. Passwords go through mito's one-shot askpass. The channel is handed over once
// the remote side has written its first byte (the first stage's greeting); if ssh ends before that, its
// stderr is classified into an SshConnectError naming the cause.
import { spawn } from "node:child_process";
import process from "node:process";
import type { ByteChannel, ExitStatus, SpawnInput } from "./stream.ts";
import { type ConnectMethod, type ConnectSpec } from "./broker.ts";
import type { FirstStage } from "./_bootstrap.ts";
import { Askpass } from "./_ssh_askpass.ts";
import { buildSshArgv, classifySshFailure, SshConnectError, type SshOptions } from "./_ssh_argv.ts";
import { firstData, nodeWriter, webReadable } from "./_ssh_streams.ts";
import { unrefChild } from "./_process.ts";
import { earlyLogins } from "./ssh_early_login.ts";

export type { HostKeyPolicy, SshFailureKind, SshOptions } from "./_ssh_argv.ts";
export { buildSshArgv, classifySshFailure, SshConfigError, SshConnectError } from "./_ssh_argv.ts";
export { parseSshArgs, splitShellWords } from "./_ssh_args.ts";

export interface SshSpawnOptions {
  /** Interpreter named in the "not found" error (the remote command's program). */
  python?: string;
  /** Environment additions for ssh itself (e.g. SSH_AUTH_SOCK). */
  env?: Record<string, string>;
  /** Milliseconds from start until the remote command's first byte; default connectTimeout + 30 s, as
   * login scripts, PAM and a slow interpreter start all come after the TCP connect ssh itself bounds. */
  handshakeTimeout?: number;
  /**
   * What the remote command reads first, written to ssh's stdin as soon as ssh runs: ssh forwards it once
   * the session opens, so the command finds it waiting instead of a round trip after its first byte. As
   * Ansible's pipelining writes a module to ssh's stdin at once; ssh itself never reads a prompt's answer
   * from stdin (passwords come through askpass, with no terminal at all).
   */
  input?: SpawnInput;
}

/**
 * Starts ssh for `opts` running `command` remotely and resolves with its ByteChannel once the remote
 * command wrote its first byte (which the channel's readable still yields); rejects with SshConnectError
 * if ssh exits first, and SshConfigError for unusable ssh flags.
 */
export async function sshSpawn(
  opts: SshOptions,
  command: string[] | string,
  extra: SshSpawnOptions = {},
): Promise<ByteChannel> {
  const argv = buildSshArgv(opts, command);
  const askpass = opts.password === undefined ? undefined : Askpass.create(opts.password);
  // The login a run with the same command line made first may already be under way (ssh_early_login.ts).
  const plain = askpass === undefined && extra.env === undefined;
  try {
    const child = earlyLogins.adopt(argv, !plain) ?? spawn(argv[0], argv.slice(1), {
      stdio: ["pipe", "pipe", "pipe"],
      // A new session: no controlling terminal, so ssh can never prompt on the user's TTY.
      detached: true,
      env: { ...process.env, ...extra.env, ...askpass?.env },
    });
    child.stdin!.on("error", () => {}); // EPIPE once ssh is gone: reported through `exited`
    if (extra.input) child.stdin!.write(extra.input());
    let spawnError: Error | undefined;
    const exited = new Promise<ExitStatus>((resolve) => {
      child.once("close", (code, signal) => resolve({ code, signal }));
      child.once("error", (err) => {
        spawnError = err;
        resolve({ code: 127, signal: null });
      });
    });
    // stderr is collected for classification until the handover, and always passed on to the consumer.
    let stderrText = "";
    let handedOver = false;
    const stderrReader = webReadable(child.stderr!).getReader();
    let stderrCtrl!: ReadableStreamDefaultController<Uint8Array>;
    const stderr = new ReadableStream<Uint8Array>({ start: (c) => void (stderrCtrl = c) });
    const stderrDone = (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await stderrReader.read();
        if (done) return stderrCtrl.close();
        if (!handedOver) stderrText += decoder.decode(value, { stream: true });
        stderrCtrl.enqueue(value);
      }
    })();
    const limit = extra.handshakeTimeout ?? ((opts.connectTimeout ?? 10) + 30) * 1000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const started = await Promise.race([
      firstData(child.stdout!),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(
            new SshConnectError(
              "timeout",
              opts.hostname,
              `ssh to ${opts.hostname}: the remote command did not start within ${limit / 1000}s` +
                (stderrText.trim() ? ` (${stderrText.trim().split("\n").at(-1)})` : ""),
              stderrText,
            ),
          );
        }, limit);
      }),
    ]).finally(() => clearTimeout(timer));
    if (!started) {
      const status = await exited;
      if (spawnError) {
        throw classifySshFailure(opts.hostname, `${argv[0]}: ${spawnError.message}\n`, 255);
      }
      await stderrDone;
      throw classifySshFailure(opts.hostname, stderrText, status.code, extra.python ?? programOf(command));
    }
    handedOver = true;
    earlyLogins.loggedIn(argv, !plain);
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    };
    return {
      readable: webReadable(child.stdout!),
      stderr,
      ownedChunks: true,
      inputSent: extra.input !== undefined,
      ...nodeWriter(child.stdin!, "ssh stdin"),
      kill,
      detach: () => unrefChild(child),
      exited,
    };
  } finally {
    // The password has been read by now (or never will be): nothing of it outlives the handshake.
    askpass?.dispose();
  }
}

function programOf(command: string[] | string): string {
  return typeof command === "string" ? command.split(/\s+/)[0] : command[0];
}

/** broker.connect({ method: "ssh", hostname, … }): SshOptions plus the common ConnectSpec fields. */
export interface SshSpec extends ConnectSpec, SshOptions {
  method: "ssh";
}

export const sshMethod: ConnectMethod = {
  spawn(spec: ConnectSpec, stage: FirstStage, input?: SpawnInput) {
    const s = spec as SshSpec;
    return sshSpawn(s, stage.command(s.python ?? "python3"), { python: s.python ?? "python3", input });
  },
  /** ssh to the next bastion from a context: the argv is built here, the PTY prompt is answered there. */
  remote(spec: ConnectSpec, stage: FirstStage) {
    const s = spec as SshSpec;
    const python = s.python ?? "python3";
    const options: Record<string, unknown> = {
      argv: buildSshArgv(s, stage.command(python)),
      host: s.hostname,
      python,
      timeout: (s.connectTimeout ?? 10) + 30,
    };
    if (s.password !== undefined) options.password = s.password;
    return { method: "ssh", options };
  },
};
