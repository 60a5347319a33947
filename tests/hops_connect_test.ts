// Hops end to end against the test environment's sshd and accounts: OpenSSH and ssh2 logins with keys and
// passwords, sudo/su with and without passwords, requiretty, chains through several hops, and the exact
// errors for wrong passwords and unknown host keys. Every assertion looks at the far end itself (its uid,
// user name, parent process), not at what mito believes.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertEquals, assertRejects, assertStringIncludes } from "./_assert.ts";
import { Broker, ConnectError, type Context } from "../transports/broker.ts";
import { ContextGoneError } from "../core/calls.ts";
import { SshConnectError } from "../transports/ssh.ts";
import "../transports/ssh2.ts";
import { hopFailure } from "../transports/become.ts";
import { hopsEnv } from "./hops_env.ts";

const PY = "/usr/bin/python3";
const env = await hopsEnv();
const sshBase = { hostname: env.host, port: env.port, knownHostsFile: env.knownHosts, python: PY };

async function withBroker(fn: (b: Broker) => Promise<void>): Promise<void> {
  const b = new Broker({ onLog: () => {} });
  try {
    await fn(b);
  } finally {
    await b.shutdown();
  }
}

/** [uid, user name from the password database] as the context sees them. */
async function whoami(ctx: Context): Promise<[number, string]> {
  const uid = await ctx.call<number>("os", "getuid");
  const pw = await ctx.call<unknown[]>("pwd", "getpwuid", [uid]);
  return [uid, pw[0] as string];
}

function uidOf(user: string): number {
  const line = Deno.readTextFileSync("/etc/passwd").split("\n").find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`test account ${user} does not exist`);
  return Number(line.split(":")[2]);
}

function askpassDirs(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith("mito-askpass-")).sort();
}

Deno.test("OpenSSH with a key: the context runs as the login user", async () => {
  await withBroker(async (b) => {
    const ctx = await b.connect({
      method: "ssh",
      ...sshBase,
      username: env.key.user,
      identityFile: env.clientKey,
    });
    assertEquals(await whoami(ctx), [uidOf(env.key.user), env.key.user]);
    assertEquals(ctx.info!.user, env.key.user);
  });
});

Deno.test("OpenSSH with a password through mito's askpass; no askpass dir is left behind", async () => {
  const before = askpassDirs();
  await withBroker(async (b) => {
    const ctx = await b.connect({
      method: "ssh",
      ...sshBase,
      username: env.password.user,
      password: env.password.password,
      identityFile: "/dev/null", // no key: only the password can log in
      identitiesOnly: true,
    });
    assertEquals(await whoami(ctx), [uidOf(env.password.user), env.password.user]);
  });
  assertEquals(askpassDirs(), before);
});

Deno.test("OpenSSH with a wrong password fails as an authentication failure", async () => {
  await withBroker(async (b) => {
    const err = await assertRejects(
      () =>
        b.connect({
          method: "ssh",
          ...sshBase,
          username: env.password.user,
          password: "not-the-password",
          identityFile: "/dev/null",
          identitiesOnly: true,
        }),
      ConnectError,
    );
    const cause = err.cause as SshConnectError;
    assertEquals(cause instanceof SshConnectError, true);
    assertEquals(cause.kind, "auth");
    assertStringIncludes(err.message, `ssh to ${env.host}: authentication failed (`);
    assertStringIncludes(err.message, "Permission denied");
  });
});

Deno.test("OpenSSH refuses an unknown host key when checking is enforced, naming the cause", async () => {
  await withBroker(async (b) => {
    const err = await assertRejects(() =>
      b.connect({
        method: "ssh",
        ...sshBase,
        knownHostsFile: "/dev/null",
        checkHostKeys: "enforce",
        username: env.key.user,
        identityFile: env.clientKey,
      })
    );
    assertEquals(hopFailure(err)?.kind, "hostkey-unknown");
    assertStringIncludes(
      err.message,
      `ssh to ${env.host}: the host key is not in known_hosts and host key checking is enforced (No `,
    );
    assertStringIncludes(err.message, `host key is known for [${env.host}]:${env.port}`);
  });
});

Deno.test("OpenSSH failures name their cause: changed host key, refused port, missing remote python", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mito-hops-kh-"));
  try {
    // A different ed25519 key recorded for the sshd's [host]:port.
    const other = "AAAAC3NzaC1lZDI1NTE5AAAAIAPMl0jooRPGEna4SxVKFQ3cuvGiUIQt954HbbmJlUB9";
    const wrongKnownHosts = join(dir, "known_hosts");
    Deno.writeTextFileSync(wrongKnownHosts, `[${env.host}]:${env.port} ssh-ed25519 ${other}\n`);
    await withBroker(async (b) => {
      const login = { username: env.key.user, identityFile: env.clientKey };
      const changed = await assertRejects(() =>
        b.connect({ method: "ssh", ...sshBase, ...login, knownHostsFile: wrongKnownHosts })
      );
      assertEquals(hopFailure(changed)?.kind, "hostkey-changed");
      assertStringIncludes(
        changed.message,
        `ssh to ${env.host}: the host key has changed since it was recorded in known_hosts (Host key for [${env.host}]:${env.port} has changed`,
      );
      const ssh2Changed = await assertRejects(() =>
        b.connect({ method: "ssh2", ...sshBase, ...login, knownHostsFile: wrongKnownHosts, agent: false })
      );
      assertEquals(hopFailure(ssh2Changed)?.kind, "hostkey-changed");

      const refused = await assertRejects(() => b.connect({ method: "ssh", ...sshBase, ...login, port: 1 }));
      assertEquals(hopFailure(refused)?.kind, "refused");
      assertStringIncludes(refused.message, `ssh to ${env.host}: connection refused (ssh: connect to host`);

      const noPython = await assertRejects(() =>
        b.connect({ method: "ssh", ...sshBase, ...login, python: "/nonexistent/python3" })
      );
      assertEquals(hopFailure(noPython)?.kind, "python-missing");
      assertStringIncludes(
        noPython.message,
        `ssh to ${env.host}: the remote interpreter /nonexistent/python3 was not found (`,
      );
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("ssh2 (in-process) with a key and with a password", async () => {
  await withBroker(async (b) => {
    const byKey = await b.connect({
      method: "ssh2",
      ...sshBase,
      username: env.key.user,
      identityFile: env.clientKey,
      agent: false,
    });
    assertEquals(await whoami(byKey), [uidOf(env.key.user), env.key.user]);
    const byPassword = await b.connect({
      method: "ssh2",
      ...sshBase,
      username: env.password.user,
      password: env.password.password,
      privateKey: undefined,
      identityFile: undefined,
      agent: false,
    });
    assertEquals(await whoami(byPassword), [uidOf(env.password.user), env.password.user]);
  });
});

Deno.test("ssh2 refuses an unknown host key and a wrong password with the exact cause", async () => {
  await withBroker(async (b) => {
    const unknown = await assertRejects(() =>
      b.connect({
        method: "ssh2",
        ...sshBase,
        knownHostsFile: "/dev/null",
        username: env.key.user,
        identityFile: env.clientKey,
        agent: false,
      })
    );
    assertEquals(hopFailure(unknown)?.kind, "hostkey-unknown");
    assertStringIncludes(
      unknown.message,
      `the host key of [${env.host}]:${env.port} is not in /dev/null and host key checking is enforced`,
    );
    const wrong = await assertRejects(() =>
      b.connect({ method: "ssh2", ...sshBase, username: env.password.user, password: "nope", agent: false })
    );
    assertEquals(hopFailure(wrong)?.kind, "auth");
    assertStringIncludes(wrong.message, `authentication failed as ${env.password.user}`);
  });
});

Deno.test("ssh2 and OpenSSH authenticate with a key held only by an ssh-agent", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mito-hops-agent-"));
  const sock = join(dir, "agent.sock");
  const agent = spawn("ssh-agent", ["-D", "-a", sock], { stdio: "ignore" });
  try {
    for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 10));
    const added = spawnSync("ssh-add", [env.clientKey], {
      env: { SSH_AUTH_SOCK: sock, PATH: "/usr/bin:/bin" },
      encoding: "utf8",
      timeout: 10_000,
    });
    assertEquals(added.status, 0, added.stderr);
    await withBroker(async (b) => {
      const viaSsh2 = await b.connect({ method: "ssh2", ...sshBase, username: env.key.user, agent: sock });
      assertEquals(await whoami(viaSsh2), [uidOf(env.key.user), env.key.user]);
      const viaOpenSsh = await b.connect({
        method: "ssh",
        ...sshBase,
        username: env.key.user,
        sshExtraArgs: ["-o", `IdentityAgent=${sock}`],
      });
      assertEquals(await whoami(viaOpenSsh), [uidOf(env.key.user), env.key.user]);
    });
  } finally {
    agent.kill("SIGTERM");
    await new Promise((r) =>
      agent.exitCode !== null || agent.signalCode !== null ? r(null) : agent.once("exit", r)
    );
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("a target killed mid-call over OpenSSH or ssh2 fails the call; the broker carries on", async () => {
  await withBroker(async (b) => {
    for (const method of ["ssh", "ssh2"] as const) {
      const ctx = await b.connect({
        method,
        ...sshBase,
        username: env.key.user,
        identityFile: env.clientKey,
        agent: false,
      });
      const pid = ctx.info!.pid;
      const err = await assertRejects(() => ctx.call("os", "kill", [pid, 9]), ContextGoneError);
      assertStringIncludes(err.message, `context ${ctx.id} is gone`);
      assertEquals(ctx.alive, false);
    }
    const again = await b.connect({
      method: "ssh2",
      ...sshBase,
      username: env.key.user,
      identityFile: env.clientKey,
    });
    assertEquals(await again.call("operator", "add", [2, 3]), 5);
  });
});

async function loginAs(b: Broker, user: string, password?: string): Promise<Context> {
  return await b.connect({
    method: "ssh",
    ...sshBase,
    username: user,
    ...(password === undefined ? { identityFile: env.clientKey } : { password }),
  });
}

Deno.test("sudo without a password (NOPASSWD) from an ssh context becomes root", async () => {
  await withBroker(async (b) => {
    const login = await loginAs(b, env.sudoNoPassword.user);
    const root = await b.connect({ method: "sudo", user: "root", python: PY, via: login });
    assertEquals(await whoami(root), [0, "root"]);
  });
});

Deno.test("sudo with a password types it at the prompt; a wrong or missing one fails exactly", async () => {
  await withBroker(async (b) => {
    const login = await loginAs(b, env.password.user, env.password.password);
    const root = await b.connect({
      method: "sudo",
      user: "root",
      password: env.password.password,
      python: PY,
      via: login,
    });
    assertEquals(await whoami(root), [0, "root"]);

    const wrong = await assertRejects(() =>
      b.connect({ method: "sudo", user: "root", password: "wrong-password", python: PY, via: login })
    );
    assertEquals(hopFailure(wrong)?.kind, "wrong-password");
    assertStringIncludes(wrong.message, "BecomeError: sudo rejected the password (wrong password)");

    const missing = await assertRejects(() =>
      b.connect({ method: "sudo", user: "nobody", python: PY, via: login })
    );
    assertEquals(hopFailure(missing)?.kind, "password-required");
    assertStringIncludes(missing.message, "BecomeError: sudo needs a password and none was given");
    // The login context survives its failed hops.
    assertEquals(await whoami(login), [uidOf(env.password.user), env.password.user]);
  });
});

Deno.test("su with a password; a wrong one is reported as such", async () => {
  await withBroker(async (b) => {
    const login = await loginAs(b, env.key.user);
    const other = await b.connect({
      method: "su",
      user: env.su.user,
      password: env.su.password,
      python: PY,
      via: login,
    });
    assertEquals(await whoami(other), [uidOf(env.su.user), env.su.user]);
    const wrong = await assertRejects(() =>
      b.connect({ method: "su", user: env.su.user, password: "wrong-password", python: PY, via: login })
    );
    assertEquals(hopFailure(wrong)?.kind, "wrong-password");
    assertStringIncludes(wrong.message, "BecomeError: su rejected the password (wrong password)");
  });
});

Deno.test("sudo under `Defaults requiretty` works: the hop runs on a PTY the parent context owns", async () => {
  await withBroker(async (b) => {
    const login = await loginAs(b, env.requiretty.user);
    // Without a terminal sudo refuses outright; this is the situation the PTY solves.
    const [status, output] = await login.call<[number, string]>("subprocess", "getstatusoutput", [
      "sudo -n true </dev/null",
    ]);
    assertEquals([status, output], [1, "sudo: sorry, you must have a tty to run sudo"]);
    const root = await b.connect({ method: "sudo", user: "root", python: PY, via: login });
    assertEquals(await whoami(root), [0, "root"]);
    const tty = await root.call<boolean>("os", "isatty", [0]);
    assertEquals(tty, false); // the protocol itself never runs over the PTY
  });
});

Deno.test("a 3-hop chain ssh → sudo → local child: each hop is the previous one's child process", async () => {
  await withBroker(async (b) => {
    const login = await loginAs(b, env.password.user, env.password.password);
    const root = await b.connect({
      method: "sudo",
      user: "root",
      password: env.password.password,
      python: PY,
      via: login,
    });
    const child = await b.connect({ method: "local", python: PY, via: root });
    assertEquals(await whoami(child), [0, "root"]);
    assertEquals(child.parentIds, [0, login.id, root.id]);
    // The local child's parent is the root context; the root context's parent is sudo.
    assertEquals(await child.call("os", "getppid"), root.info!.pid);
    const sudoPid = await root.call<number>("os", "getppid");
    assertEquals(await root.call("subprocess", "getoutput", [`cat /proc/${sudoPid}/comm`]), "sudo");
  });
});

Deno.test("ssh as a hop from a context (bastion → next host), with a password typed on the PTY", async () => {
  await withBroker(async (b) => {
    const bastion = await loginAs(b, env.key.user);
    const next = await b.connect({
      method: "ssh",
      ...sshBase,
      username: env.password.user,
      password: env.password.password,
      checkHostKeys: "ignore",
      via: bastion,
    });
    assertEquals(await whoami(next), [uidOf(env.password.user), env.password.user]);
    assertEquals(next.parentIds, [0, bastion.id]);
    const refused = await assertRejects(() =>
      b.connect({
        method: "ssh",
        ...sshBase,
        username: env.password.user,
        password: env.password.password,
        knownHostsFile: "/dev/null",
        via: bastion,
      })
    );
    assertEquals(hopFailure(refused)?.kind, "hostkey-unknown");
  });
});

Deno.test("local sudo goes via a local context; without one the error says how", async () => {
  await withBroker(async (b) => {
    const err = await assertRejects(() => b.connect({ method: "sudo", user: "root", python: PY }));
    assertStringIncludes(err.message, "sudo runs inside a context (it needs a PTY for the password prompt)");
    const local = await b.connect({ method: "local", python: PY });
    const me = await local.call<number>("os", "getuid");
    if (me === 0) {
      const other = await b.connect({ method: "sudo", user: env.key.user, python: PY, via: local });
      assertEquals(await whoami(other), [uidOf(env.key.user), env.key.user]);
    } else {
      // Not root: sudo to another account without a password is either allowed or refused exactly.
      const other = await b.connect({ method: "sudo", user: env.key.user, python: PY, via: local }).catch((
        e,
      ) => e);
      if (other instanceof Error) assertEquals(hopFailure(other)?.kind, "password-required");
      else assertEquals(await whoami(other), [uidOf(env.key.user), env.key.user]);
    }
  });
});
