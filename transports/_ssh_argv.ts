// Pure parts of the OpenSSH transport: the ssh(1) command line for a connection's settings, POSIX shell
// quoting of the remote command, and classification of ssh's failure output into a clear cause.
import { parseSshArgs, type SshArgProblem, SshArgsError } from "./_ssh_args.ts";
import { type HostKeyPolicy, policyOptions } from "./_ssh_host_keys.ts";

export type { HostKeyPolicy };

/** Settings of one ssh hop, named after ansible's connection variables. */
export interface SshOptions {
  hostname: string;
  port?: number;
  username?: string;
  /** ansible_ssh_private_key_file. */
  identityFile?: string;
  /** Offer only the given identity file (IdentitiesOnly=yes). */
  identitiesOnly?: boolean;
  /** Login password, typed through mito's one-shot askpass (never in argv or env). */
  password?: string;
  /** ansible_ssh_executable; default "ssh". */
  sshPath?: string;
  /** ssh_args, ssh_common_args, ssh_extra_args: shell-quoted strings or argv words. */
  sshArgs?: string | string[];
  sshCommonArgs?: string | string[];
  sshExtraArgs?: string | string[];
  /**
   * mitogen_ssh_compression; default unset: ssh_config decides, and OpenSSH's default is off (Mitogen's is
   * on). zlib in both ssh processes costs more CPU than it saves on any link faster than a few MB/s, and
   * halves the speed of transfers of compressed data; slow links turn it on with the variable or `-C`.
   */
  compression?: boolean;
  /** mitogen_ssh_keepalive_interval in seconds; default 30. */
  keepaliveInterval?: number;
  /** mitogen_ssh_keepalive_count; default 10. */
  keepaliveCount?: number;
  /** ansible_ssh_timeout / ansible.cfg timeout, seconds; default 10. */
  connectTimeout?: number;
  /** enforce: only known keys; accept: add unknown keys, refuse changed ones; ignore: no checking. */
  checkHostKeys?: HostKeyPolicy;
  /** Known hosts file to use instead of ssh's default (enforce/accept). */
  knownHostsFile?: string;
  /** mitogen_ssh_debug_level 0..3: number of -v flags. */
  debugLevel?: number;
}

export class SshConfigError extends Error {
  override name = "SshConfigError";
  constructor(readonly problems: SshArgProblem[]) {
    super(`invalid ssh arguments: ${problems.map((p) => p.message).join("; ")}`);
  }
}

/** Quotes one word for a POSIX shell (the remote login shell runs ssh's command string). */
export function shellQuote(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return "'" + word.replaceAll("'", `'"'"'`) + "'";
}

/**
 * The ssh argv for a connection running `command` (the remote side's argv, or one string the remote shell
 * runs verbatim). Throws SshConfigError if the user's ssh flags cannot work with mito. ssh takes the first
 * value it sees for an option, so the user's flags come first and override mito's defaults; settings mito
 * depends on (no TTY, BatchMode without a password, one password prompt) are checked for conflicts instead.
 */
export function buildSshArgv(opts: SshOptions, command: string[] | string): string[] {
  const parsed = parseSshArgs(opts.sshArgs, opts.sshCommonArgs, opts.sshExtraArgs);
  const problems = parsed.problems.filter((p) => p.severity === "error");
  const conflict = (flag: string, message: string) => problems.push({ severity: "error", flag, message });
  if (parsed.port !== undefined && opts.port !== undefined && parsed.port !== opts.port) {
    conflict(
      `-p ${parsed.port}`,
      `ssh arguments set port ${parsed.port} but the connection uses port ${opts.port}`,
    );
  }
  if (parsed.user !== undefined && opts.username !== undefined && parsed.user !== opts.username) {
    conflict(
      `-l ${parsed.user}`,
      `ssh arguments set user ${parsed.user} but the connection logs in as ${opts.username}`,
    );
  }
  const batch = parsed.options.get("batchmode");
  if (opts.password !== undefined && batch !== undefined && /^yes$/i.test(batch)) {
    conflict(
      "-o BatchMode=yes",
      "BatchMode=yes in ssh arguments forbids the password given for this connection",
    );
  }
  if (problems.length) throw new SshConfigError(problems);

  const argv = [opts.sshPath ?? "ssh", ...parsed.forward];
  const o = (key: string, value: string | number) => {
    if (!parsed.options.has(key.toLowerCase())) argv.push("-o", `${key}=${value}`);
  };
  const debug = Math.max(0, Math.min(3, opts.debugLevel ?? 0)) - parsed.verbosity;
  for (let i = 0; i < debug; i++) argv.push("-v");
  const port = opts.port ?? parsed.port;
  if (port !== undefined) argv.push("-p", String(port));
  const user = opts.username ?? parsed.user;
  if (user !== undefined) argv.push("-l", user);
  for (const id of [...(opts.identityFile ? [opts.identityFile] : []), ...parsed.identityFiles]) {
    argv.push("-i", id);
  }
  if (opts.identitiesOnly) o("IdentitiesOnly", "yes");
  // Unset: no option, so the user's ssh_config (or OpenSSH's default, off) decides.
  if (opts.compression !== undefined) o("Compression", opts.compression ? "yes" : "no");
  o("ServerAliveInterval", opts.keepaliveInterval ?? 30);
  o("ServerAliveCountMax", opts.keepaliveCount ?? 10);
  o("ConnectTimeout", opts.connectTimeout ?? 10);
  // Quiet by default so stderr holds only the causes classifySshFailure looks for; -v raises it.
  if (debug <= 0 && parsed.verbosity === 0) o("LogLevel", "ERROR");
  for (const [key, value] of policyOptions(opts.checkHostKeys ?? "enforce", opts.knownHostsFile)) {
    o(key, value);
  }
  if (opts.password === undefined) {
    o("BatchMode", "yes");
  } else {
    // One prompt: mito's askpass answers exactly once, so a wrong password fails fast and clearly.
    o("NumberOfPasswordPrompts", 1);
    o("PreferredAuthentications", "publickey,keyboard-interactive,password");
  }
  argv.push("-T", "--", opts.hostname);
  argv.push(typeof command === "string" ? command : command.map(shellQuote).join(" "));
  return argv;
}

export type SshFailureKind =
  | "auth"
  | "hostkey-changed"
  | "hostkey-unknown"
  | "refused"
  | "timeout"
  | "unreachable"
  | "dns"
  | "python-missing"
  | "config"
  | "other";

export class SshConnectError extends Error {
  override name = "SshConnectError";
  constructor(
    readonly kind: SshFailureKind,
    readonly host: string,
    message: string,
    /** ssh's diagnostic output, for -vvv logs. */
    readonly stderr: string,
  ) {
    super(message);
  }
}

// Checked in order; the first rule whose pattern matches a line of ssh's stderr names the cause.
const RULES: [SshFailureKind, RegExp, string][] = [
  // StrictHostKeyChecking=no with a changed key: ssh warns, goes on, and then fails to log in.
  [
    "auth",
    /Password authentication is disabled to avoid man-in-the-middle attacks/,
    "authentication failed: passwords are not sent since the host key has changed",
  ],
  [
    "hostkey-changed",
    /Host key for .* has changed/,
    "the host key has changed since it was recorded in known_hosts",
  ],
  [
    "hostkey-changed",
    /REMOTE HOST IDENTIFICATION HAS CHANGED/,
    "the host key has changed since it was recorded in known_hosts",
  ],
  [
    "hostkey-unknown",
    /No \S+ host key is known for/,
    "the host key is not in known_hosts and host key checking is enforced",
  ],
  ["hostkey-unknown", /Host key verification failed/, "the host key could not be verified"],
  [
    "auth",
    /Permission denied \(|Too many authentication failures|Authentication failed/,
    "authentication failed",
  ],
  ["refused", /Connection refused/, "connection refused"],
  ["timeout", /timed out/, "connection timed out"],
  ["dns", /Could not resolve hostname|Name or service not known/, "the host name could not be resolved"],
  [
    "unreachable",
    /No route to host|Network is unreachable|Connection reset|Connection closed by/,
    "the host is unreachable",
  ],
  [
    "config",
    /Bad configuration option|command-line line|Bad .* specification|[Bb]ad port/,
    "ssh rejected its configuration",
  ],
];

/** Turns what ssh wrote to stderr, and how it exited, into a classified error naming the cause. */
export function classifySshFailure(
  host: string,
  stderr: string,
  exitCode: number | null,
  python = "python3",
): SshConnectError {
  const lines = stderr.replace(/\r/g, "").split("\n").filter((l) => l.trim() && !/^debug\d:/.test(l));
  const make = (kind: SshFailureKind, what: string, line: string | undefined) =>
    new SshConnectError(kind, host, `ssh to ${host}: ${what}${line ? ` (${line.trim()})` : ""}`, stderr);
  for (const [kind, re, what] of RULES) {
    const line = lines.find((l) => re.test(l));
    if (line !== undefined) return make(kind, what, line);
  }
  if (exitCode === 127) {
    return make("python-missing", `the remote interpreter ${python} was not found`, lines.at(-1));
  }
  return make("other", `ssh exited with status ${exitCode} before the remote runtime started`, lines.at(-1));
}

export { SshArgsError };
