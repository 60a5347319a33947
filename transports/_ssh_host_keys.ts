// Host key settings as OpenSSH derives them (pure): StrictHostKeyChecking, UserKnownHostsFile,
// GlobalKnownHostsFile and HashKnownHosts from the user's -o options (first value wins), then mito's own
// policy (ansible's host_key_checking), then OpenSSH's defaults; and what ssh(1) does with a host key
// verdict under those settings. The OpenSSH transport passes the same options to ssh; the in-process
// ssh2 transport applies them here, so both connect or refuse alike (tests/hops_known_hosts_test.ts runs
// both side by side). One deliberate difference: ssh(1) goes on past a key marked @revoked when
// StrictHostKeyChecking=no (keys only, as with a changed key); mito refuses a revoked key always.
// StrictHostKeyChecking=ask cannot ask (no terminal): an unknown key is refused, as ssh does in batch mode.
import { createHash } from "node:crypto";
import type { HostKeyVerdict } from "./_ssh_known_hosts.ts";
import { SshArgsError } from "./_ssh_args.ts";

/** mito's own policy: enforce (ansible's host_key_checking=True), accept (accept-new), ignore (False). */
export type HostKeyPolicy = "enforce" | "accept" | "ignore";

/** ssh_config's StrictHostKeyChecking, with its synonyms folded ("off"/"false" → no, "true" → yes). */
export type StrictHostKeyChecking = "yes" | "no" | "accept-new" | "ask";

export interface HostKeySettings {
  strict: StrictHostKeyChecking;
  /** Expanded paths; a new key is recorded in the first. */
  userFiles: string[];
  globalFiles: string[];
  /** HashKnownHosts: record new keys as "|1|salt|hash" entries. */
  hash: boolean;
}

/** What ssh(1) does after judging the presented key. */
export type HostKeyAction =
  | { action: "connect" }
  /** An unknown key under accept-new or no: recorded in `file`, then connect. */
  | { action: "record"; file: string }
  /** A changed key under StrictHostKeyChecking=no: ssh connects but offers no password or
   * keyboard-interactive answer, since the server may be a man in the middle. */
  | { action: "connect-keys-only"; file: string; line: number }
  | { action: "refuse"; kind: "hostkey-unknown" | "hostkey-changed"; why: string };

/** The ssh -o options mito adds for its policy; the user's own options come first and win. */
export function policyOptions(policy: HostKeyPolicy, knownHostsFile?: string): [string, string][] {
  switch (policy) {
    case "enforce":
      return [["StrictHostKeyChecking", "yes"], ...userFile(knownHostsFile)];
    case "accept":
      return [["StrictHostKeyChecking", "accept-new"], ...userFile(knownHostsFile)];
    case "ignore":
      return [
        ["StrictHostKeyChecking", "no"],
        ["UserKnownHostsFile", "/dev/null"],
        ["GlobalKnownHostsFile", "/dev/null"],
      ];
  }
}

function userFile(file: string | undefined): [string, string][] {
  return file ? [["UserKnownHostsFile", file]] : [];
}

const STRICT: Record<string, StrictHostKeyChecking> = {
  yes: "yes",
  true: "yes",
  no: "no",
  off: "no",
  false: "no",
  "accept-new": "accept-new",
  ask: "ask",
};

// OpenSSH's compiled-in defaults (readconf.c, pathnames.h).
const DEFAULT_USER_FILES = "~/.ssh/known_hosts ~/.ssh/known_hosts2";
const DEFAULT_GLOBAL_FILES = "/etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2";

/** What the %-tokens and "~" in a known_hosts path stand for (ssh_config(5) TOKENS). */
export interface PathContext {
  /** The local user's home directory from the password database, as ssh uses (not $HOME). */
  home: string;
  localUser: string;
  uid: number;
  localHostname: string;
  /** The host name connected to (%h) and as given (%n). */
  host: string;
  port: number;
  remoteUser: string;
  env: Record<string, string | undefined>;
}

/**
 * The settings ssh(1) would use given the user's -o options (lower-case keys, first value kept, as
 * parseSshArgs collects them) and mito's policy. Throws SshArgsError for a value ssh would reject.
 */
export function hostKeySettings(
  options: Map<string, string>,
  policy: HostKeyPolicy,
  knownHostsFile: string | undefined,
  ctx: PathContext,
): HostKeySettings {
  const own = new Map(policyOptions(policy, knownHostsFile).map(([k, v]) => [k.toLowerCase(), v]));
  const get = (key: string) => options.get(key) ?? own.get(key);
  const strictText = get("stricthostkeychecking") ?? "ask";
  const strict = STRICT[strictText.toLowerCase()];
  if (!strict) {
    throw new SshArgsError(`-o StrictHostKeyChecking=${strictText}: expected yes, no, accept-new or ask`);
  }
  const hashText = options.get("hashknownhosts") ?? "no";
  if (!/^(yes|no|true|false)$/i.test(hashText)) {
    throw new SshArgsError(`-o HashKnownHosts=${hashText}: expected yes or no`);
  }
  const files = (key: string, fallback: string) =>
    splitFileList(key, get(key) ?? fallback).map((p) => expandPath(p, ctx));
  return {
    strict,
    userFiles: files("userknownhostsfile", DEFAULT_USER_FILES),
    globalFiles: files("globalknownhostsfile", DEFAULT_GLOBAL_FILES),
    hash: /^(yes|true)$/i.test(hashText),
  };
}

/** Splits a file list as ssh_config does: words separated by blanks, "double quotes" keep blanks. */
function splitFileList(key: string, text: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (const m of text.matchAll(re)) words.push(m[1] ?? m[2]);
  const name = key === "userknownhostsfile" ? "UserKnownHostsFile" : "GlobalKnownHostsFile";
  if (!words.length || words.some((w) => w === "")) throw new SshArgsError(`-o ${name}: expected file names`);
  // "none" stands alone and means no file at all.
  if (words.some((w) => w.toLowerCase() === "none")) {
    if (words.length > 1) throw new SshArgsError(`-o ${name}: "none" must appear alone`);
    return [];
  }
  return words;
}

/** "~/" and the %-tokens and ${VAR} references ssh(1) expands in known_hosts paths. */
export function expandPath(path: string, ctx: PathContext): string {
  let p = path;
  if (p === "~" || p.startsWith("~/")) p = ctx.home + p.slice(1);
  else if (p.startsWith("~")) {
    throw new SshArgsError(`known hosts file ${path}: only "~/" (the current user's home) is supported`);
  }
  const tokens: Record<string, string> = {
    "%": "%",
    d: ctx.home,
    h: ctx.host,
    n: ctx.host,
    k: ctx.host,
    p: String(ctx.port),
    r: ctx.remoteUser,
    u: ctx.localUser,
    i: String(ctx.uid),
    l: ctx.localHostname,
    L: ctx.localHostname.split(".")[0],
    // ProxyJump is not an ssh2 option: empty, as ssh has it without one.
    j: "",
    C: createHash("sha1").update(`${ctx.localHostname}${ctx.host}${ctx.port}${ctx.remoteUser}`).digest("hex"),
  };
  return p.replace(/%(.?)|\$\{([^}]*)\}/g, (whole, token: string | undefined, env: string | undefined) => {
    if (env !== undefined) {
      const value = ctx.env[env];
      if (value === undefined) throw new SshArgsError(`known hosts file ${path}: \${${env}} is not set`);
      return value;
    }
    if (token === undefined || !(token in tokens)) {
      throw new SshArgsError(`known hosts file ${path}: unknown token ${whole}`);
    }
    return tokens[token];
  });
}

/** ssh(1)'s decision for a verdict (sshconnect.c check_host_key), with the message a refusal gives. */
export function hostKeyAction(
  verdict: HostKeyVerdict,
  settings: HostKeySettings,
  where: string,
): HostKeyAction {
  const files = [...settings.userFiles, ...settings.globalFiles];
  switch (verdict.status) {
    case "known":
      return { action: "connect" };
    case "revoked":
      return {
        action: "refuse",
        kind: "hostkey-changed",
        why: `the host key of ${where} is marked @revoked in ${verdict.file}:${verdict.line}`,
      };
    case "changed":
      if (settings.strict === "no") {
        return { action: "connect-keys-only", file: verdict.file, line: verdict.line };
      }
      return {
        action: "refuse",
        kind: "hostkey-changed",
        why:
          `the host key of ${where} has changed since it was recorded in ${verdict.file}:${verdict.line} ` +
          `(StrictHostKeyChecking=${settings.strict})`,
      };
    case "unknown":
      if ((settings.strict === "no" || settings.strict === "accept-new") && settings.userFiles.length) {
        return { action: "record", file: settings.userFiles[0] };
      }
      if (settings.strict === "no" || settings.strict === "accept-new") return { action: "connect" };
      return {
        action: "refuse",
        kind: "hostkey-unknown",
        why:
          `the host key of ${where} is not in ${files.length ? files.join(", ") : "any known hosts file"} ` +
          (settings.strict === "ask"
            ? "and StrictHostKeyChecking=ask cannot ask without a terminal"
            : "and host key checking is enforced"),
      };
  }
}
