// Hops end to end against the test environment's sshd and accounts: OpenSSH and ssh2 password logins,
// sudo/su with and without passwords, requiretty, chains through several hops, and the exact errors for
// wrong passwords. (Key logins, host keys and agents: hops_transport_test.ts, on a private sshd.) Every
// assertion looks at the far end itself (its uid, user name, parent process), not at what mito believes.
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { assertEquals, assertRejects, assertStringIncludes } from "./_assert.ts";
import { Broker, ConnectError, type Context } from "../transports/broker.ts";
import { withBroker } from "./_broker.ts";
import { SshConnectError } from "../transports/ssh.ts";
import { hopFailure } from "../transports/become.ts";
import { hopsEnv } from "./hops_env.ts";

const PY = "/usr/bin/python3";
const env = hopsEnv();
const sshBase = { hostname: env.host, port: env.port, knownHostsFile: env.knownHosts, python: PY };

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

Deno.test("ssh2 (in-process) with a password", async () => {
  await withBroker(async (b) => {
    const byPassword = await b.connect({
      method: "ssh2",
      ...sshBase,
      username: env.password.user,
      password: env.password.password,
      agent: false,
    });
    assertEquals(await whoami(byPassword), [uidOf(env.password.user), env.password.user]);
  });
});
Deno.test("ssh2 with a wrong password fails as an authentication failure", async () => {
  await withBroker(async (b) => {
    const wrong = await assertRejects(() =>
      b.connect({ method: "ssh2", ...sshBase, username: env.password.user, password: "nope", agent: false })
    );
    assertEquals(hopFailure(wrong)?.kind, "auth");
    assertStringIncludes(wrong.message, `authentication failed as ${env.password.user}`);
  });
});
Deno.test("a target's compiled core never reaches another target; the controller machine's own does", async () => {
  await withBroker(async (b) => {
    const spec = { method: "ssh2", ...sshBase, username: env.password.user, password: env.password.password };
    const first = await b.connect({ ...spec, agent: false });
    await first.call("os", "getpid");
    await first.shutdown();
    const second = await b.connect({ ...spec, agent: false });
    await second.shutdown();
    const local = await b.connect({ method: "local", python: PY });
    await local.call("os", "getpid"); // answered after the controller's request for its compiled core
    const third = await b.connect({ ...spec, agent: false });
    assertEquals([first, second, local, third].map((c) => c.info!.bytecode), [false, false, false, true]);
    assertEquals(await whoami(third), [uidOf(env.password.user), env.password.user]);
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

Deno.test("doas with a password and without one (permit / permit nopass)", async () => {
  await withBroker(async (b) => {
    const withPw = await loginAs(b, env.password.user, env.password.password);
    const root = await b.connect({
      method: "doas",
      user: "root",
      password: env.password.password,
      python: PY,
      via: withPw,
    });
    assertEquals(await whoami(root), [0, "root"]);
    const wrong = await assertRejects(() =>
      b.connect({ method: "doas", user: "root", password: "wrong-password", python: PY, via: withPw })
    );
    assertEquals(hopFailure(wrong)?.kind, "wrong-password");
    assertStringIncludes(wrong.message, "BecomeError: doas rejected the password (wrong password)");

    const noPw = await loginAs(b, env.sudoNoPassword.user);
    const root2 = await b.connect({ method: "doas", user: "root", python: PY, via: noPw });
    assertEquals(await whoami(root2), [0, "root"]);
    assertEquals(await root2.call("operator", "add", [40, 2]), 42);
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
