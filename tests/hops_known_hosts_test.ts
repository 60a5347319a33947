// known_hosts parsing, host key settings from the ssh arguments and host key verdicts for the in-process
// ssh2 transport; then a matrix that runs OpenSSH's ssh and ssh2 side by side on the same known_hosts files
// and options and requires the same outcome (connect or refuse), with one documented exception.
import { Buffer } from "node:buffer";
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { assertEquals, assertStringIncludes, assertThrows } from "./_assert.ts";
import { hopsEnv } from "./hops_env.ts";
import { startPrivateSshd } from "./hops_sshd.ts";
import { type SshOptions, sshSpawn } from "../transports/ssh.ts";
import { type Ssh2Options, ssh2Spawn } from "../transports/ssh2.ts";
import { hostKeyAction, type HostKeyPolicy, hostKeySettings } from "../transports/_ssh_host_keys.ts";
import { parseSshArgs, SshArgsError } from "../transports/_ssh_args.ts";
import {
  checkHostKey,
  entryMatches,
  hostToken,
  keyTypeOf,
  knownHostsLine,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
} from "../transports/_ssh_known_hosts.ts";

const KEY_A = "AAAAC3NzaC1lZDI1NTE5AAAAIOGyzAuUb7Ghf+ViF1fZt7vIDCojiLX7a4LcOgkaEqSX";
const KEY_B = "AAAAC3NzaC1lZDI1NTE5AAAAIAPMl0jooRPGEna4SxVKFQ3cuvGiUIQt954HbbmJlUB9";
const blob = (b64: string) => new Uint8Array(Buffer.from(b64, "base64"));

Deno.test("host tokens use [host]:port except on port 22", () => {
  assertEquals(hostToken("web1"), "web1");
  assertEquals(hostToken("127.0.0.1", 2222), "[127.0.0.1]:2222");
});

Deno.test("patterns: lists, wildcards, negation and hashed entries (ssh-keygen -H output)", () => {
  assertEquals(entryMatches("web1,web2", "web2"), true);
  assertEquals(entryMatches("*.example.com,!bad.example.com", "a.example.com"), true);
  assertEquals(entryMatches("*.example.com,!bad.example.com", "bad.example.com"), false);
  assertEquals(entryMatches("web?", "web10"), false);
  assertEquals(entryMatches("[127.0.0.1]:42222", "127.0.0.1", 42222), true);
  assertEquals(entryMatches("127.0.0.1", "127.0.0.1", 42222), false);
  const hashed = "|1|gl/DDPp/IAaB+AJ8gp48tJlJN9s=|QbUVSxd/WO9k7r4HVfqqepvJ0BM=";
  assertEquals(entryMatches(hashed, "127.0.0.1", 42222), true);
  assertEquals(entryMatches(hashed, "127.0.0.1", 22), false);
});

Deno.test("verdicts: known, changed, unknown and revoked", () => {
  const entries = parseKnownHosts([
    "# comment",
    `[127.0.0.1]:42222 ssh-ed25519 ${KEY_A} root@vm`,
    `@cert-authority *.corp ssh-ed25519 ${KEY_B}`,
    `@revoked * ssh-ed25519 ${KEY_B}`,
    "garbage",
    "",
  ].join("\n"));
  assertEquals(entries.map((e) => [e.marker, e.patterns, e.line]), [
    [undefined, "[127.0.0.1]:42222", 2],
    ["cert-authority", "*.corp", 3],
    ["revoked", "*", 4],
  ]);
  assertEquals(checkHostKey(entries, "127.0.0.1", 42222, blob(KEY_A)), {
    status: "known",
    file: "known_hosts",
    line: 2,
  });
  assertEquals(checkHostKey(entries, "127.0.0.1", 42223, blob(KEY_A)), { status: "unknown" });
  assertEquals(checkHostKey(entries, "127.0.0.1", 42222, blob(KEY_B)), {
    status: "revoked",
    file: "known_hosts",
    line: 4,
  });
  const noRevoked = entries.filter((e) => e.marker !== "revoked");
  assertEquals(checkHostKey(noRevoked, "127.0.0.1", 42222, blob(KEY_B)), {
    status: "changed",
    file: "known_hosts",
    line: 2,
  });
});

Deno.test("key type and the line accept mode appends", () => {
  assertEquals(keyTypeOf(blob(KEY_A)), "ssh-ed25519");
  assertEquals(knownHostsLine("h", 2200, blob(KEY_A)), `[h]:2200 ssh-ed25519 ${KEY_A}\n`);
});

Deno.test("host key algorithms put the types known_hosts records for the host first", () => {
  const entries = parseKnownHosts(`[h]:2222 ssh-rsa AAAA\nother ecdsa-sha2-nistp256 AAAA\n`);
  assertEquals(preferredHostKeyAlgorithms(entries, "h", 2222), [
    "rsa-sha2-512",
    "rsa-sha2-256",
    "ssh-rsa",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
  ]);
  assertEquals(preferredHostKeyAlgorithms(entries, "nobody", 22), undefined);
});

// The matrix: each case runs the OpenSSH transport (the real ssh(1)) and the in-process ssh2 transport
// against a private sshd, each with its own fresh copy of the case's known_hosts files, and both must
// connect or both refuse, as the case says; cases that record a new key check the file afterwards.

interface MatrixCase {
  name: string;
  /** File name (inside the case directory) → lines; K is the server's key, W another ed25519 key. */
  files?: Record<string, string[]>;
  /** ansible_ssh_args; "{d}" is the case directory, "{~d}" the same written as "~/…". */
  args?: string;
  extraArgs?: string;
  policy?: HostKeyPolicy;
  /** mito's knownHostsFile, relative to the case directory. */
  knownHostsFile?: string;
  expect: "connect" | "refuse";
  /** OpenSSH's outcome where mito is deliberately stricter (default: `expect`). */
  openssh?: "connect" | "refuse";
  /** Files that must know the host's key afterwards / must be unchanged. */
  recordedIn?: string[];
  unchanged?: string[];
}

const ONLY = "-o GlobalKnownHostsFile=/dev/null";
const MATRIX: MatrixCase[] = [
  {
    name: "known key, yes",
    files: { kh: ["T K"] },
    args: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "connect",
  },
  {
    name: "changed key, yes",
    files: { kh: ["T W"] },
    args: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "refuse",
  },
  {
    name: "changed key, accept-new",
    files: { kh: ["T W"] },
    args: `-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "refuse",
    unchanged: ["kh"],
  },
  {
    name: "changed key, ask",
    files: { kh: ["T W"] },
    args: `-o StrictHostKeyChecking=ask -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "refuse",
  },
  // OpenSSH goes on with a changed key under "no" (keys only, no passwords); so does ssh2.
  {
    name: "changed key, no",
    files: { kh: ["T W"] },
    args: `-o StrictHostKeyChecking=no -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "connect",
    unchanged: ["kh"],
  },
  {
    name: "changed key, off",
    files: { kh: ["T W"] },
    args: `-o StrictHostKeyChecking=off -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "connect",
  },
  {
    name: "changed key, false",
    files: { kh: ["T W"] },
    args: `-o StrictHostKeyChecking=false -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "connect",
  },
  {
    name: "unknown key, yes",
    files: { kh: [] },
    args: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "refuse",
    unchanged: ["kh"],
  },
  {
    name: "unknown key, true",
    files: { kh: [] },
    args: `-o StrictHostKeyChecking=true -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "refuse",
  },
  {
    name: "unknown key, ask (no terminal to ask on)",
    files: { kh: [] },
    args: `-o StrictHostKeyChecking=ask -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "refuse",
    unchanged: ["kh"],
  },
  {
    name: "unknown key, accept-new records it",
    files: { kh: [] },
    args: `-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "connect",
    recordedIn: ["kh"],
  },
  {
    name: "unknown key, no records it",
    files: { kh: [] },
    args: `-o StrictHostKeyChecking=no -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "connect",
    recordedIn: ["kh"],
  },
  {
    name: "accept-new records in the first user file only",
    files: { a: [], b: [] },
    args: `-o StrictHostKeyChecking=accept-new -o "UserKnownHostsFile={d}/a {d}/b" ${ONLY}`,
    expect: "connect",
    recordedIn: ["a"],
    unchanged: ["b"],
  },
  {
    name: "accept-new into a file not yet there",
    args: `-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile={d}/new ${ONLY}`,
    expect: "connect",
    recordedIn: ["new"],
  },
  {
    name: "several user files: the key in the second",
    files: { a: ["other.example K"], b: ["T K"] },
    args: `-o StrictHostKeyChecking=yes -o "UserKnownHostsFile={d}/a {d}/b" ${ONLY}`,
    expect: "connect",
  },
  {
    name: "several user files: a missing one is skipped",
    files: { b: ["T K"] },
    args: `-o StrictHostKeyChecking=yes -o "UserKnownHostsFile={d}/missing {d}/b" ${ONLY}`,
    expect: "connect",
  },
  {
    name: "a key in the global file",
    files: { g: ["T K"] },
    args: "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile={d}/g",
    expect: "connect",
  },
  {
    name: "the right key anywhere wins over a changed one",
    files: { u: ["T W"], g: ["T K"] },
    args: "-o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/u -o GlobalKnownHostsFile={d}/g",
    expect: "connect",
  },
  {
    name: "changed in the global file",
    files: { g: ["T W"] },
    args: "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile={d}/g",
    expect: "refuse",
  },
  {
    name: "/dev/null knows nothing",
    args: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/dev/null ${ONLY}`,
    expect: "refuse",
  },
  {
    name: "~ expands to the home directory",
    files: { kh: ["T K"] },
    args: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile={~d}/kh ${ONLY}`,
    expect: "connect",
  },
  {
    name: "%d expands to the home directory",
    files: { kh: ["T K"] },
    args: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile=%d/{~rel}/kh ${ONLY}`,
    expect: "connect",
  },
  {
    name: "%h and %p name the host",
    files: { "127.0.0.1-P": ["T K"] },
    args: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/%h-%p ${ONLY}`,
    expect: "connect",
  },
  {
    name: "the first StrictHostKeyChecking wins",
    files: { kh: [] },
    args: `-o StrictHostKeyChecking=no -o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "connect",
  },
  {
    name: "the first UserKnownHostsFile wins",
    files: { kh: ["T K"] },
    args: `-o UserKnownHostsFile=/dev/null -o UserKnownHostsFile={d}/kh -o StrictHostKeyChecking=yes ${ONLY}`,
    expect: "refuse",
  },
  {
    name: "ssh_args come before ssh_extra_args",
    files: { kh: [] },
    args: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/kh ${ONLY}`,
    extraArgs: "-o StrictHostKeyChecking=accept-new",
    expect: "refuse",
  },
  {
    name: "-oKey=value glued",
    files: { kh: [] },
    args: `-oStrictHostKeyChecking=accept-new -oUserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "connect",
    recordedIn: ["kh"],
  },
  {
    name: "-o 'Key value'",
    files: { kh: ["T W"] },
    args: `-o "StrictHostKeyChecking no" -o "UserKnownHostsFile {d}/kh" ${ONLY}`,
    expect: "connect",
  },
  {
    name: "-o 'Key = value'",
    files: { kh: ["T W"] },
    args: `-o "StrictHostKeyChecking = yes" -o "UserKnownHostsFile = {d}/kh" ${ONLY}`,
    expect: "refuse",
  },
  {
    name: "a hashed entry with the key",
    files: { kh: ["T K"] },
    args: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/kh.hashed ${ONLY}`,
    expect: "connect",
  },
  {
    name: "a hashed entry with another key",
    files: { kh: ["T W"] },
    args: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/kh.hashed ${ONLY}`,
    expect: "refuse",
  },
  // On a port other than 22 ssh(1) looks an unknown key up once more under the bare host name.
  {
    name: "a bare host name also matches another port",
    files: { kh: ["127.0.0.1 K"] },
    args: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "connect",
  },
  {
    name: "another key under the bare host name is no change on another port",
    files: { kh: ["127.0.0.1 W"] },
    args: `-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "connect",
    recordedIn: ["kh"],
  },
  {
    name: "a wildcard entry",
    files: { kh: ["[127.0.0.*]:* K"] },
    args: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "connect",
  },
  {
    name: "a negated pattern excludes the host",
    files: { kh: ["*,!T,!127.0.0.1 K"] },
    args: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "refuse",
  },
  {
    name: "@revoked beats a known entry",
    files: { kh: ["T K", "@revoked * K"] },
    args: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "refuse",
  },
  // The one deliberate difference: ssh(1) goes on past a revoked key under "no" (keys only, as with a
  // changed key); mito never connects to a key the user has marked revoked.
  {
    name: "@revoked under StrictHostKeyChecking=no",
    files: { kh: ["T K", "@revoked * K"] },
    args: `-o StrictHostKeyChecking=no -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "refuse",
    openssh: "connect",
  },
  {
    name: "@revoked in the global file",
    files: { u: ["T K"], g: ["@revoked T K"] },
    args: "-o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/u -o GlobalKnownHostsFile={d}/g",
    expect: "refuse",
  },
  {
    name: "@revoked for another host",
    files: { kh: ["T K", "@revoked other.example K"] },
    args: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "connect",
  },
  {
    name: "@cert-authority is no plain host key",
    files: { kh: ["@cert-authority * K"] },
    args: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "refuse",
  },
  {
    name: "an invalid StrictHostKeyChecking",
    files: { kh: ["T K"] },
    args: `-o StrictHostKeyChecking=maybe -o UserKnownHostsFile={d}/kh ${ONLY}`,
    expect: "refuse",
  },
  // mito's policy (ansible's host_key_checking) applies where the ssh arguments are silent.
  {
    name: "host_key_checking=False: no files, no checks",
    files: { kh: ["T W"] },
    policy: "ignore",
    knownHostsFile: "kh",
    expect: "connect",
    unchanged: ["kh"],
  },
  {
    name: "host_key_checking=False with the user's file: a changed key still connects",
    files: { kh: ["T W"] },
    policy: "ignore",
    args: "-o UserKnownHostsFile={d}/kh",
    expect: "connect",
  },
  {
    name: "host_key_checking=False and StrictHostKeyChecking=yes: yes wins",
    files: { kh: [] },
    policy: "ignore",
    args: "-o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/kh",
    expect: "refuse",
  },
  {
    name: "host_key_checking=True refuses an unknown key",
    files: { kh: [] },
    policy: "enforce",
    knownHostsFile: "kh",
    args: ONLY,
    expect: "refuse",
  },
  {
    name: "host_key_checking=True, StrictHostKeyChecking=no in the arguments",
    files: { kh: [] },
    policy: "enforce",
    knownHostsFile: "kh",
    args: `-o StrictHostKeyChecking=no ${ONLY}`,
    expect: "connect",
    recordedIn: ["kh"],
  },
  {
    name: "accept policy records in mito's file",
    files: { kh: [] },
    policy: "accept",
    knownHostsFile: "kh",
    args: ONLY,
    expect: "connect",
    recordedIn: ["kh"],
  },
];

Deno.test("host key matrix: ssh2 connects or refuses exactly where OpenSSH's ssh does", async () => {
  const sshd = await startPrivateSshd();
  // Under the home directory so that "~/…" cases name it; removed at the end.
  const root = mkdtempSync(join(userInfo().homedir, ".mito-known-hosts-test-"));
  const T = `[${sshd.host}]:${sshd.port}`;
  const K = readFileSync(`${sshd.dir}/host_key.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
  const W = `ssh-ed25519 ${KEY_B}`;
  const serverBlob = blob(K.split(" ")[1]);
  const knows = (file: string) =>
    existsSync(file) &&
    checkHostKey(parseKnownHosts(readFileSync(file, "utf8")), sshd.host, sshd.port, serverBlob).status ===
      "known";
  const failures: string[] = [];
  try {
    for (const [n, c] of MATRIX.entries()) {
      for (const method of ["ssh", "ssh2"] as const) {
        const d = join(root, `${n}-${method}`);
        mkdirSync(d);
        for (const [name, lines] of Object.entries(c.files ?? {})) {
          const file = join(d, name.replace("P", String(sshd.port)));
          writeFileSync(
            file,
            lines.map((l) => l.replace(/\b[TKW]\b/g, (m) => ({ T, K, W })[m]!) + "\n").join(""),
          );
          if (c.args?.includes(`${name}.hashed`)) hashKnownHosts(file, `${file}.hashed`);
        }
        const before = new Map((c.unchanged ?? []).map((f) => [f, readFileSync(join(d, f), "utf8")]));
        const rel = d.slice(userInfo().homedir.length + 1);
        const fill = (s: string | undefined) =>
          s?.replaceAll("{d}", d).replaceAll("{~d}", `~/${rel}`).replaceAll("{~rel}", rel);
        const opts = {
          hostname: sshd.host,
          port: sshd.port,
          username: sshd.user,
          identityFile: sshd.clientKey,
          sshArgs: fill(c.args),
          sshExtraArgs: fill(c.extraArgs),
          checkHostKeys: c.policy,
          knownHostsFile: c.knownHostsFile && join(d, c.knownHostsFile),
        };
        const outcome = await tryConnect(method, opts);
        const problems = [];
        const expect = method === "ssh" ? c.openssh ?? c.expect : c.expect;
        if (outcome.result !== expect) problems.push(`${outcome.result} (${outcome.message})`);
        for (const f of c.recordedIn ?? []) {
          if (!knows(join(d, f))) problems.push(`${f} does not know the host`);
        }
        for (const [f, text] of before) {
          if (readFileSync(join(d, f), "utf8") !== text) problems.push(`${f} changed`);
        }
        if (problems.length) {
          failures.push(`${c.name} [${method}]: expected ${expect}, got ${problems.join("; ")}`);
        }
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
    await sshd.stop();
  }
  assertEquals(failures, []);
});

/** ssh-keygen -H: the same entries with hashed host names, written to `to`. */
function hashKnownHosts(from: string, to: string): void {
  copyFileSync(from, to);
  const r = spawnSync("ssh-keygen", ["-H", "-f", to], { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ssh-keygen -H failed: ${r.stderr}`);
  rmSync(`${to}.old`, { force: true });
}

async function tryConnect(
  method: "ssh" | "ssh2",
  opts: Record<string, unknown>,
): Promise<{ result: "connect" | "refuse"; message: string }> {
  const command = ["echo", "connected"];
  try {
    const channel = method === "ssh"
      ? await sshSpawn({ ...opts, identitiesOnly: true } as SshOptions, command)
      : await ssh2Spawn({ ...opts, agent: false } as Ssh2Options, command);
    const out = await new Response(channel.readable).text();
    await channel.exited;
    return { result: out === "connected\n" ? "connect" : "refuse", message: out };
  } catch (err) {
    return { result: "refuse", message: (err as Error).message };
  }
}

Deno.test("a changed key under StrictHostKeyChecking=no: both transports withhold the password", async () => {
  const env = hopsEnv();
  const dir = mkdtempSync(join(tmpdir(), "mito-known-hosts-pw-"));
  try {
    const wrong = join(dir, "known_hosts");
    writeFileSync(wrong, `${hostToken(env.host, env.port)} ssh-ed25519 ${KEY_B}\n`);
    const opts = {
      hostname: env.host,
      port: env.port,
      username: env.password.user,
      password: env.password.password,
      sshArgs: `-o StrictHostKeyChecking=no -o UserKnownHostsFile=${wrong} -o GlobalKnownHostsFile=/dev/null`,
    };
    // ssh(1) would still offer keys: with none it falls back to nothing and the login fails.
    const viaSsh = await tryConnect("ssh", { ...opts, identityFile: "/dev/null" });
    const viaSsh2 = await tryConnect("ssh2", opts);
    assertEquals([viaSsh.result, viaSsh2.result], ["refuse", "refuse"]);
    assertStringIncludes(
      viaSsh.message,
      "authentication failed: passwords are not sent since the host key has changed",
    );
    assertStringIncludes(
      viaSsh2.message,
      `authentication failed as ${env.password.user} (tried nothing); passwords are not sent since the host key has changed`,
    );
    // The same password logs in once the recorded key is the right one.
    writeFileSync(wrong, readFileSync(env.knownHosts));
    assertEquals((await tryConnect("ssh2", opts)).result, "connect");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("host key settings: the user's options, then mito's policy, then OpenSSH's defaults", () => {
  const ctx = {
    home: "/home/me",
    localUser: "me",
    uid: 1000,
    localHostname: "ctl.example.com",
    host: "web1",
    port: 2222,
    remoteUser: "deploy",
    env: { KH: "/srv/kh" },
  };
  const settings = (args: string, policy: HostKeyPolicy = "enforce", file?: string) =>
    hostKeySettings(parseSshArgs(args).options, policy, file, ctx);
  assertEquals(settings(""), {
    strict: "yes",
    userFiles: ["/home/me/.ssh/known_hosts", "/home/me/.ssh/known_hosts2"],
    globalFiles: ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"],
    hash: false,
  });
  assertEquals(settings("", "ignore"), {
    strict: "no",
    userFiles: ["/dev/null"],
    globalFiles: ["/dev/null"],
    hash: false,
  });
  assertEquals(settings("", "accept", "~/kh").userFiles, ["/home/me/kh"]);
  assertEquals(
    settings(
      `-o "UserKnownHostsFile=~/a \\"/b c\\" %d/%u-%i %h:%p-%r %L %l %% \${KH}" -o HashKnownHosts=yes`,
    ),
    {
      strict: "yes",
      userFiles: [
        "/home/me/a",
        "/b c",
        "/home/me/me-1000",
        "web1:2222-deploy",
        "ctl",
        "ctl.example.com",
        "%",
        "/srv/kh",
      ],
      globalFiles: ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"],
      hash: true,
    },
  );
  assertEquals(settings("-o GlobalKnownHostsFile=none -o StrictHostKeyChecking=off").globalFiles, []);
  assertEquals(settings("-o StrictHostKeyChecking=off").strict, "no");
  for (
    const [args, message] of [
      [
        "-o StrictHostKeyChecking=maybe",
        "-o StrictHostKeyChecking=maybe: expected yes, no, accept-new or ask",
      ],
      [
        "-o UserKnownHostsFile=~root/kh",
        'known hosts file ~root/kh: only "~/" (the current user\'s home) is supported',
      ],
      ["-o UserKnownHostsFile=/a%z", "known hosts file /a%z: unknown token %z"],
      ["-o UserKnownHostsFile=${NOPE}", "known hosts file ${NOPE}: ${NOPE} is not set"],
      ['-o "UserKnownHostsFile=none /a"', '-o UserKnownHostsFile: "none" must appear alone'],
    ]
  ) {
    assertThrows(() => settings(args), SshArgsError, message);
  }
});

Deno.test("what ssh does with each verdict", () => {
  const s = { strict: "yes" as const, userFiles: ["/u"], globalFiles: ["/g"], hash: false };
  const changed = { status: "changed" as const, file: "/u", line: 3 };
  assertEquals(hostKeyAction({ status: "unknown" }, { ...s, strict: "accept-new" }, "h"), {
    action: "record",
    file: "/u",
  });
  assertEquals(hostKeyAction(changed, { ...s, strict: "no" }, "h"), {
    action: "connect-keys-only",
    file: "/u",
    line: 3,
  });
  assertEquals(hostKeyAction(changed, s, "h"), {
    action: "refuse",
    kind: "hostkey-changed",
    why: "the host key of h has changed since it was recorded in /u:3 (StrictHostKeyChecking=yes)",
  });
  assertEquals(hostKeyAction({ status: "revoked", file: "/g", line: 1 }, { ...s, strict: "no" }, "h"), {
    action: "refuse",
    kind: "hostkey-changed",
    why: "the host key of h is marked @revoked in /g:1",
  });
  assertEquals(hostKeyAction({ status: "unknown" }, { ...s, strict: "ask" }, "h"), {
    action: "refuse",
    kind: "hostkey-unknown",
    why: "the host key of h is not in /u, /g and StrictHostKeyChecking=ask cannot ask without a terminal",
  });
});
