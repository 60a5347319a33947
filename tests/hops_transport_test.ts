// The ssh transports against a private sshd started here (the current user, a generated key): OpenSSH and
// ssh2 key logins, host key policies (enforce, accept, ignore) and their exact errors, ssh-agent keys,
// ssh as a hop from a context, a target dying mid-call, and unusable ssh flags. Every assertion looks at
// the far end (its uid, its process tree, the known_hosts file), not at what mito believes.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./_assert.ts";
import { Broker, type Context } from "../transports/broker.ts";
import { defaultMethods } from "../transports/methods.ts";
import { ContextGoneError } from "../core/calls.ts";
import { hopFailure } from "../transports/become.ts";
import { type SshOptions, sshSpawn } from "../transports/ssh.ts";
import { type PrivateSshd, privateSshdDirs, type PrivateSshdOptions, startPrivateSshd } from "./hops_sshd.ts";
import { requireRoot } from "./_testenv.ts";

const PY = "/usr/bin/python3";
const ME = Deno.uid();

async function withSshd(
  fn: (b: Broker, sshd: PrivateSshd, base: Record<string, unknown>) => Promise<void>,
  opts: PrivateSshdOptions = {},
) {
  const sshd = await startPrivateSshd(opts);
  const b = new Broker({ methods: defaultMethods(), onLog: () => {} });
  try {
    const base = {
      hostname: sshd.host,
      port: sshd.port,
      knownHostsFile: sshd.knownHosts,
      username: sshd.user,
      identityFile: sshd.clientKey,
      identitiesOnly: true,
      agent: false,
      python: PY,
    };
    await fn(b, sshd, base);
  } finally {
    await b.shutdown();
    await sshd.stop();
  }
}

async function uid(ctx: Context): Promise<number> {
  return await ctx.call<number>("os", "getuid");
}

Deno.test("OpenSSH and ssh2 log in with a key; each context is a child of its own sshd session", async () => {
  await withSshd(async (b, sshd, base) => {
    for (const method of ["ssh", "ssh2"]) {
      const ctx = await b.connect({ method, ...base });
      assertEquals(await uid(ctx), ME);
      assertEquals(ctx.info!.user, sshd.user);
      // The remote runtime runs under sshd (through the login shell or directly), not under the controller.
      const ppid = await ctx.call<number>("os", "getppid");
      const parent = await ctx.call<string>("subprocess", "getoutput", [`cat /proc/${ppid}/comm`]);
      assertEquals(["sshd", "bash", "sh", "dash"].includes(parent), true, parent);
    }
  });
});

Deno.test("host key policies: enforce refuses unknown and changed keys, accept records, ignore skips", async () => {
  await withSshd(async (b, sshd, base) => {
    const where = `[${sshd.host}]:${sshd.port}`;
    for (const method of ["ssh", "ssh2"]) {
      const unknown = await assertRejects(() => b.connect({ method, ...base, knownHostsFile: "/dev/null" }));
      assertEquals(hopFailure(unknown)?.kind, "hostkey-unknown", unknown.message);
      assertStringIncludes(
        unknown.message,
        method === "ssh"
          ? `ssh to ${sshd.host}: the host key is not in known_hosts and host key checking is enforced (No ED25519 host key is known for ${where}`
          : `ssh to ${sshd.host}: the host key of ${where} is not in /dev/null, /etc/ssh/ssh_known_hosts, /etc/ssh/ssh_known_hosts2 and host key checking is enforced`,
      );
      const wrong = join(sshd.dir, `wrong_${method}`);
      const other = "AAAAC3NzaC1lZDI1NTE5AAAAIAPMl0jooRPGEna4SxVKFQ3cuvGiUIQt954HbbmJlUB9";
      writeFileSync(wrong, `${where} ssh-ed25519 ${other}\n`);
      const changed = await assertRejects(() => b.connect({ method, ...base, knownHostsFile: wrong }));
      assertEquals(hopFailure(changed)?.kind, "hostkey-changed", changed.message);
      // accept-new never replaces a recorded key
      const stillChanged = await assertRejects(() =>
        b.connect({ method, ...base, knownHostsFile: wrong, checkHostKeys: "accept" })
      );
      assertEquals(hopFailure(stillChanged)?.kind, "hostkey-changed");

      const fresh = join(sshd.dir, `fresh_${method}`);
      writeFileSync(fresh, "");
      const accepted = await b.connect({ method, ...base, knownHostsFile: fresh, checkHostKeys: "accept" });
      assertEquals(await uid(accepted), ME);
      const hostKey = readFileSync(join(sshd.dir, "host_key.pub"), "utf8").split(/\s+/)[1];
      assertEquals(readFileSync(fresh, "utf8").includes(hostKey), true);

      const ignored = await b.connect({
        method,
        ...base,
        knownHostsFile: "/dev/null",
        checkHostKeys: "ignore",
      });
      assertEquals(await uid(ignored), ME);
    }
  });
});

Deno.test("a host known only by its RSA key is verified with that key, not refused as unknown", async () => {
  await withSshd(async (b, sshd, base) => {
    const rsa = readFileSync(join(sshd.dir, "host_key_rsa.pub"), "utf8").split(/\s+/).slice(0, 2).join(" ");
    const onlyRsa = join(sshd.dir, "known_rsa");
    writeFileSync(onlyRsa, `[${sshd.host}]:${sshd.port} ${rsa}\n`);
    for (const method of ["ssh", "ssh2"]) {
      const ctx = await b.connect({ method, ...base, knownHostsFile: onlyRsa });
      assertEquals(await uid(ctx), ME);
    }
  }, { rsaHostKey: true });
});

Deno.test("OpenSSH: the spawn's input is written at once, so a command that reads before it writes starts", async () => {
  await withSshd(async (_b, _sshd, base) => {
    // The remote command writes nothing until it has read its input: were the input written only after
    // the command's first byte (how the channel used to be handed over), it would never start.
    const channel = await sshSpawn(base as unknown as SshOptions, "head -c 16", {
      input: () => new TextEncoder().encode("read before said"),
      handshakeTimeout: 30_000,
    });
    assertEquals(channel.inputSent, true);
    assertEquals(await new Response(channel.readable).text(), "read before said");
    assertEquals((await channel.exited).code, 0);
  });
});

Deno.test("OpenSSH failures name their cause: refused port, missing remote python, unusable flags", async () => {
  await withSshd(async (b, sshd, base) => {
    const refused = await assertRejects(() => b.connect({ method: "ssh", ...base, port: 1 }));
    assertEquals(hopFailure(refused)?.kind, "refused");
    assertStringIncludes(refused.message, `ssh to ${sshd.host}: connection refused (ssh: connect to host`);
    const refused2 = await assertRejects(() => b.connect({ method: "ssh2", ...base, port: 1 }));
    assertEquals(hopFailure(refused2)?.kind, "refused");

    const noPython = await assertRejects(() =>
      b.connect({ method: "ssh", ...base, python: "/nonexistent/python3" })
    );
    assertEquals(hopFailure(noPython)?.kind, "python-missing");
    assertStringIncludes(
      noPython.message,
      `ssh to ${sshd.host}: the remote interpreter /nonexistent/python3 was not found (`,
    );

    const flags = await assertRejects(() =>
      b.connect({ method: "ssh", ...base, sshExtraArgs: "-t -o BatchMode=no" })
    );
    assertStringIncludes(flags.message, "invalid ssh arguments: -t forces a remote TTY, which would corrupt");
  });
});

Deno.test("ssh2 and OpenSSH authenticate with a key held only by an ssh-agent", async () => {
  await withSshd(async (b, sshd, base) => {
    const sock = join(sshd.dir, "agent.sock");
    const agent = spawn("ssh-agent", ["-D", "-a", sock], { stdio: "ignore" });
    try {
      for (let i = 0; i < 500 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 10));
      const added = spawnSync("ssh-add", [sshd.clientKey], {
        env: { SSH_AUTH_SOCK: sock, PATH: "/usr/bin:/bin" },
        encoding: "utf8",
        timeout: 10_000,
      });
      assertEquals(added.status, 0, added.stderr);
      const noKey = { ...base, identityFile: undefined, identitiesOnly: undefined };
      const viaSsh2 = await b.connect({ method: "ssh2", ...noKey, agent: sock });
      assertEquals(await uid(viaSsh2), ME);
      const viaOpenSsh = await b.connect({
        method: "ssh",
        ...noKey,
        sshExtraArgs: ["-o", `IdentityAgent=${sock}`, "-o", "IdentitiesOnly=no"],
      });
      assertEquals(await uid(viaOpenSsh), ME);
      await b.shutdown(); // sessions end before the agent does
    } finally {
      agent.kill("SIGTERM");
      await new Promise((r) =>
        agent.exitCode !== null || agent.signalCode !== null ? r(null) : agent.once("exit", r)
      );
    }
  });
});

Deno.test("a target killed mid-call over OpenSSH or ssh2 fails the call; the broker carries on", async () => {
  await withSshd(async (b, _sshd, base) => {
    for (const method of ["ssh", "ssh2"]) {
      const ctx = await b.connect({ method, ...base });
      const pid = ctx.info!.pid;
      const err = await assertRejects(() => ctx.call("os", "kill", [pid, 9]), ContextGoneError);
      assertStringIncludes(err.message, `context ${ctx.id} is gone`);
      assertEquals(ctx.alive, false);
    }
    const again = await b.connect({ method: "ssh2", ...base });
    assertEquals(await again.call("operator", "add", [2, 3]), 5);
  });
});

Deno.test("ssh from inside a context (bastion → next host), host keys checked there too", async () => {
  await withSshd(async (b, sshd, base) => {
    const bastion = await b.connect({ method: "ssh", ...base });
    const next = await b.connect({ method: "ssh", ...base, via: bastion });
    assertEquals(next.parentIds, [0, bastion.id]);
    assertEquals(await uid(next), ME);
    // The next hop's ssh client is a child of the bastion's runtime.
    const sshPid = await b.connect({ method: "local", python: PY, via: next }).then(async (leaf) => {
      assertEquals(leaf.parentIds, [0, bastion.id, next.id]);
      assertEquals(await leaf.call("os", "getppid"), next.info!.pid);
      return await bastion.call<string>("subprocess", "getoutput", [`pgrep -P ${bastion.info!.pid} -x ssh`]);
    });
    assertEquals(/^\d+$/.test(sshPid.trim()), true, sshPid);
    const refused = await assertRejects(() =>
      b.connect({ method: "ssh", ...base, knownHostsFile: "/dev/null", via: bastion })
    );
    assertEquals(hopFailure(refused)?.kind, "hostkey-unknown");
    assertStringIncludes(
      refused.message,
      `BecomeError: ssh to ${sshd.host}: the host key is not in known_hosts and host key checking is enforced (No ED25519 host key is known for [${sshd.host}]:${sshd.port}`,
    );
  });
});

Deno.test({
  name: "a 3-hop chain over a key login: ssh → sudo → local child",
  fn: async () => {
    // The accounts version (sudo with a password) is in hops_connect_test.
    requireRoot("sudo without a password here needs root");
    await withSshd(async (b, _sshd, base) => {
      const login = await b.connect({ method: "ssh", ...base });
      const root = await b.connect({ method: "sudo", user: "root", python: PY, via: login });
      const leaf = await b.connect({ method: "local", python: PY, via: root });
      assertEquals(leaf.parentIds, [0, login.id, root.id]);
      assertEquals(await uid(leaf), 0);
      assertEquals(await leaf.call("os", "getppid"), root.info!.pid);
      const sudoPid = await root.call<number>("os", "getppid");
      assertEquals(await root.call("subprocess", "getoutput", [`cat /proc/${sudoPid}/comm`]), "sudo");
    });
  },
});

Deno.test("no private sshd directory is left behind", () => {
  // Only this file's own: another process may be running its private sshd at the same time.
  assert(privateSshdDirs.length > 0, "the tests above started private sshds");
  assertEquals(privateSshdDirs.filter((d) => existsSync(d)), []);
});
