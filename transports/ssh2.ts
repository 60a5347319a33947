// In-process SSH with the ssh2 npm package: no ssh(1) process per target. Keys (files or the agent),
// passwords (password and keyboard-interactive), OpenSSH known_hosts checking under the host key options
// of the user's ssh arguments (transports/_ssh_host_keys.ts), and an exec channel handed
// to the router as a ByteChannel. The TCP socket is ours so Nagle can be turned off: under Deno ssh2 waits
// ~44 ms per round trip otherwise.
import { Buffer } from "node:buffer";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { connect as tcpConnect, type Socket } from "node:net";
import { homedir, hostname as localHostname, userInfo } from "node:os";
import process from "node:process";
import { dirname, join } from "node:path";
// Types only: the package itself is loaded on the first ssh2 connection (loading it costs ~180 ms of
// startup, which every other run would pay for nothing).
import type { AnyAuthMethod, AuthenticationType, Client, ClientChannel, ServerHostKeyAlgorithm } from "ssh2";
import type { ByteChannel, ExitStatus } from "./stream.ts";
import { type ConnectMethod, type ConnectSpec } from "./broker.ts";
import type { FirstStage } from "./_bootstrap.ts";
import { type HostKeyPolicy, shellQuote, SshConnectError } from "./_ssh_argv.ts";
import { parseSshArgs, SshArgsError } from "./_ssh_args.ts";
import { hostKeyAction, type HostKeySettings, hostKeySettings } from "./_ssh_host_keys.ts";
import {
  checkHostKey,
  hostToken,
  type KnownHost,
  knownHostsLine,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
} from "./_ssh_known_hosts.ts";
import { nodeWriter, webReadable } from "./_ssh_streams.ts";

export interface Ssh2Options {
  hostname: string;
  port?: number;
  /** Default: the controller's user name, as ssh(1). */
  username?: string;
  password?: string;
  /** Private key file (ansible_ssh_private_key_file); "~/" is expanded. */
  identityFile?: string;
  /** Private key text, instead of a file. */
  privateKey?: string | Uint8Array;
  passphrase?: string;
  /** ssh-agent socket; default $SSH_AUTH_SOCK; false disables the agent. */
  agent?: string | false;
  /** mito's policy; StrictHostKeyChecking in the ssh arguments overrides it, as with ssh(1). */
  checkHostKeys?: HostKeyPolicy;
  /** The user known hosts file when the ssh arguments name none; default OpenSSH's. */
  knownHostsFile?: string;
  /**
   * ansible's ssh_args, ssh_common_args, ssh_extra_args: only the host key options (StrictHostKeyChecking,
   * UserKnownHostsFile, GlobalKnownHostsFile, HashKnownHosts) apply in-process; they are read exactly as
   * ssh(1) reads them, so both transports accept and refuse the same hosts.
   */
  sshArgs?: string | string[];
  sshCommonArgs?: string | string[];
  sshExtraArgs?: string | string[];
  /** Seconds for TCP connect plus SSH handshake and authentication; default 10. */
  connectTimeout?: number;
  keepaliveInterval?: number;
  keepaliveCount?: number;
  /** zlib on the wire; default false (it costs more CPU than a LAN saves). */
  compression?: boolean;
}

function expandHome(path: string): string {
  return path === "~" ? homedir() : path.startsWith("~/") ? join(homedir(), path.slice(2)) : path;
}

const DEFAULT_KEYS = ["id_ed25519", "id_ecdsa", "id_rsa"];

/** The authentication attempts, in ssh(1)'s order: agent, key files, keyboard-interactive, password. */
function authMethods(opts: Ssh2Options, username: string): AnyAuthMethod[] {
  const methods: AnyAuthMethod[] = [];
  const agent = opts.agent === undefined ? process.env.SSH_AUTH_SOCK : opts.agent;
  if (agent) methods.push({ type: "agent", username, agent });
  if (opts.privateKey !== undefined) {
    methods.push({
      type: "publickey",
      username,
      key: Buffer.from(opts.privateKey),
      passphrase: opts.passphrase,
    });
  }
  const files = opts.identityFile
    ? [expandHome(opts.identityFile)]
    : opts.privateKey === undefined
    ? DEFAULT_KEYS.map((k) => join(homedir(), ".ssh", k)).filter(existsSync)
    : [];
  for (const file of files) {
    let key: Buffer;
    try {
      key = readFileSync(file);
    } catch (err) {
      throw new SshConnectError(
        "config",
        opts.hostname,
        `ssh to ${opts.hostname}: cannot read identity file ${file}: ${(err as Error).message}`,
        "",
      );
    }
    methods.push({ type: "publickey", username, key, passphrase: opts.passphrase });
  }
  const password = opts.password;
  if (password !== undefined) {
    methods.push({
      type: "keyboard-interactive",
      username,
      prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => password)),
    });
    methods.push({ type: "password", username, password });
  }
  return methods;
}

/** The entries of every known hosts file that exists, in order (ssh(1) skips missing ones). */
function readKnownHosts(files: string[]): KnownHost[] {
  return files.flatMap((file) => {
    try {
      return parseKnownHosts(readFileSync(file, "utf8"), file);
    } catch {
      return [];
    }
  });
}

/** Appends a new host's line; like ssh(1), a file that cannot be written does not stop the connection. */
function recordHostKey(file: string, line: string): void {
  try {
    if (file === join(userInfo().homedir, ".ssh", "known_hosts")) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    }
    appendFileSync(file, line);
  } catch {
    // ssh(1) only logs "Failed to add the host to the list of known hosts".
  }
}

/** One authenticated SSH connection; each exec() opens a channel on it. */
export class Ssh2Connection {
  readonly #client: Client;
  readonly #socket: Socket;
  #channels = 0;
  #closed = false;

  private constructor(client: Client, socket: Socket) {
    this.#client = client;
    this.#socket = socket;
    client.on("close", () => {
      this.#closed = true;
    });
    // After the handshake a dying connection shows as its channels closing; the error itself adds nothing.
    client.on("error", () => {});
    socket.on("error", () => {});
  }

  static async connect(opts: Ssh2Options): Promise<Ssh2Connection> {
    const host = opts.hostname;
    const port = opts.port ?? 22;
    const username = opts.username ?? userInfo().username;
    const timeoutMs = (opts.connectTimeout ?? 10) * 1000;
    const fail = (kind: ConstructorParameters<typeof SshConnectError>[0], what: string) =>
      new SshConnectError(kind, host, `ssh to ${host}: ${what}`, "");
    const methods = authMethods(opts, username);
    let settings: HostKeySettings;
    try {
      const parsed = parseSshArgs(opts.sshArgs, opts.sshCommonArgs, opts.sshExtraArgs);
      const me = userInfo();
      settings = hostKeySettings(parsed.options, opts.checkHostKeys ?? "enforce", opts.knownHostsFile, {
        home: me.homedir,
        localUser: me.username,
        uid: me.uid,
        localHostname: localHostname(),
        host,
        port,
        remoteUser: username,
        env: process.env,
      });
    } catch (err) {
      if (!(err instanceof SshArgsError)) throw err;
      throw fail("config", err.message);
    }
    const known = readKnownHosts([...settings.userFiles, ...settings.globalFiles]);

    const { Client } = await import("ssh2");
    const started = Date.now();
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = tcpConnect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(fail("timeout", `connection timed out after ${timeoutMs / 1000}s`));
      }, timeoutMs);
      s.once("connect", () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        resolve(s);
      });
      s.once("error", (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const kind = err.code === "ECONNREFUSED"
          ? "refused"
          : err.code === "ENOTFOUND" || err.code === "EAI_AGAIN"
          ? "dns"
          : err.code === "ETIMEDOUT"
          ? "timeout"
          : "unreachable";
        reject(
          fail(kind, `${kind === "refused" ? "connection refused" : err.message} (${hostToken(host, port)})`),
        );
      });
    });

    const client = new Client();
    let hostKeyProblem: SshConnectError | undefined;
    // A changed key under StrictHostKeyChecking=no: ssh(1) goes on, but answers no password prompt.
    let keysOnly = false;
    const verify = (key: Buffer): boolean => {
      const where = hostToken(host, port);
      const decision = hostKeyAction(checkHostKey(known, host, port, key), settings, where);
      switch (decision.action) {
        case "connect":
          return true;
        case "record":
          recordHostKey(decision.file, knownHostsLine(host, port, key, settings.hash));
          return true;
        case "connect-keys-only":
          keysOnly = true;
          return true;
        case "refuse":
          hostKeyProblem = fail(decision.kind, decision.why);
          return false;
      }
    };
    let next = 0;
    const tried: AuthenticationType[] = [];
    await new Promise<void>((resolve, reject) => {
      client.once("ready", () => resolve());
      client.once("error", (err: Error & { level?: string }) => {
        socket.destroy();
        if (hostKeyProblem) return reject(hostKeyProblem);
        if (err.level === "client-authentication") {
          return reject(fail(
            "auth",
            `authentication failed as ${username} (tried ${
              tried.length ? [...new Set(tried)].join(", ") : "nothing"
            })` + (keysOnly ? "; passwords are not sent since the host key has changed" : ""),
          ));
        }
        if (err.level === "client-timeout") {
          return reject(fail("timeout", `no SSH handshake within ${timeoutMs / 1000}s`));
        }
        reject(fail("unreachable", err.message));
      });
      client.connect({
        sock: socket,
        username,
        hostVerifier: verify,
        readyTimeout: Math.max(1, timeoutMs - (Date.now() - started)),
        keepaliveInterval: (opts.keepaliveInterval ?? 30) * 1000,
        keepaliveCountMax: opts.keepaliveCount ?? 10,
        algorithms: {
          serverHostKey: preferredHostKeyAlgorithms(known, host, port) as
            | ServerHostKeyAlgorithm[]
            | undefined,
          compress: opts.compression ? ["zlib@openssh.com", "zlib", "none"] : undefined,
        },
        authHandler: (_left, _partial, cb) => {
          while (keysOnly && /^(password|keyboard-interactive)$/.test(methods[next]?.type ?? "")) next++;
          const m = methods[next++];
          if (m) tried.push(m.type);
          cb(m ?? (false as unknown as AnyAuthMethod));
        },
      });
    });
    return new Ssh2Connection(client, socket);
  }

  /** Runs `command` (argv, quoted for the remote shell, or a verbatim string) on a new exec channel. */
  exec(command: string[] | string): Promise<ByteChannel> {
    const text = typeof command === "string" ? command : command.map(shellQuote).join(" ");
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new Error("ssh2 connection is closed"));
      this.#client.exec(text, (err, ch) => {
        if (err) return reject(err);
        this.#channels++;
        resolve(this.#wrap(ch));
      });
    });
  }

  #wrap(ch: ClientChannel): ByteChannel {
    let status: ExitStatus = { code: null, signal: null };
    ch.on("error", () => {}); // writes after the far end closed: reported through `exited`
    ch.on("exit", (code: number | null, signal?: string) => {
      status = { code: code ?? null, signal: signal ?? null };
    });
    const exited = new Promise<ExitStatus>((resolve) => {
      ch.once("close", () => {
        resolve(status);
        if (--this.#channels === 0) this.close();
      });
    });
    return {
      readable: webReadable(ch),
      stderr: webReadable(ch.stderr),
      ...nodeWriter(ch, "ssh2 channel"),
      kill: () => {
        ch.close();
        this.close();
      },
      exited,
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.end();
    this.#socket.end();
  }
}

/** Connects and execs one command; the connection closes when that channel does. */
export async function ssh2Spawn(opts: Ssh2Options, command: string[] | string): Promise<ByteChannel> {
  const conn = await Ssh2Connection.connect(opts);
  try {
    return await conn.exec(command);
  } catch (err) {
    conn.close();
    throw err;
  }
}

/** broker.connect({ method: "ssh2", hostname, … }): the in-process transport (ansible's paramiko slot). */
export interface Ssh2Spec extends ConnectSpec, Ssh2Options {
  method: "ssh2";
}

export const ssh2Method: ConnectMethod = {
  spawn(spec: ConnectSpec, stage: FirstStage) {
    const s = spec as Ssh2Spec;
    return ssh2Spawn(s, stage.command(s.python ?? "python3"));
  },
};
