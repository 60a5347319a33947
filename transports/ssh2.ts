// In-process SSH with the ssh2 npm package: no ssh(1) process per target. Keys (files or the agent),
// passwords (password and keyboard-interactive), OpenSSH known_hosts checking, and an exec channel handed
// to the router as a ByteChannel. The TCP socket is ours so Nagle can be turned off: under Deno ssh2 waits
// ~44 ms per round trip otherwise.
import { Buffer } from "node:buffer";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { connect as tcpConnect, type Socket } from "node:net";
import { homedir, userInfo } from "node:os";
import process from "node:process";
import { dirname, join } from "node:path";
// Types only: the package itself is loaded on the first ssh2 connection (loading it costs ~180 ms of
// startup, which every other run would pay for nothing).
import type { AnyAuthMethod, AuthenticationType, Client, ClientChannel, ServerHostKeyAlgorithm } from "ssh2";
import type { ByteChannel, ExitStatus } from "./stream.ts";
import { type ConnectMethod, type ConnectSpec, registerMethod } from "./broker.ts";
import type { FirstStage } from "./_bootstrap.ts";
import { type HostKeyPolicy, shellQuote, SshConnectError } from "./_ssh_argv.ts";
import {
  checkHostKey,
  hostToken,
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
  checkHostKeys?: HostKeyPolicy;
  /** Default ~/.ssh/known_hosts. */
  knownHostsFile?: string;
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
    const policy = opts.checkHostKeys ?? "enforce";
    const knownHostsFile = expandHome(opts.knownHostsFile ?? "~/.ssh/known_hosts");

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
    const known = policy === "ignore" || !existsSync(knownHostsFile)
      ? []
      : parseKnownHosts(readFileSync(knownHostsFile, "utf8"));
    const verify = (key: Buffer): boolean => {
      if (policy === "ignore") return true;
      const verdict = checkHostKey(known, host, port, key);
      switch (verdict.status) {
        case "known":
          return true;
        case "unknown":
          if (policy === "accept") {
            mkdirSync(dirname(knownHostsFile), { recursive: true, mode: 0o700 });
            appendFileSync(knownHostsFile, knownHostsLine(host, port, key));
            return true;
          }
          hostKeyProblem = fail(
            "hostkey-unknown",
            `the host key of ${
              hostToken(host, port)
            } is not in ${knownHostsFile} and host key checking is enforced`,
          );
          return false;
        case "changed":
          hostKeyProblem = fail(
            "hostkey-changed",
            `the host key of ${
              hostToken(host, port)
            } has changed since it was recorded in ${knownHostsFile}:${verdict.line}`,
          );
          return false;
        case "revoked":
          hostKeyProblem = fail(
            "hostkey-changed",
            `the host key of ${hostToken(host, port)} is revoked in ${knownHostsFile}:${verdict.line}`,
          );
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
            })`,
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

registerMethod("ssh2", ssh2Method);
