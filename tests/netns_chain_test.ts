// A 3-level chain through two hosts that are really apart: the controller logs in over ssh to the bastion
// (its own network namespace and sshd, 10.199.1.2), that context logs in over ssh to the inner host (another
// namespace and sshd, 10.199.2.2, which the controller cannot reach), which becomes root with sudo. Every
// assertion looks at the far end: its network namespace, addresses, the address its login came from, uid.
import * as fs from "node:fs";
import { readlinkSync } from "node:fs";
import * as path from "node:path";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./_assert.ts";
import { Broker, ConnectError, type Context } from "../transports/broker.ts";
import { withBroker } from "./_broker.ts";
import { hopFailure } from "../transports/become.ts";
import { netnsEnv, testEnv } from "./_testenv.ts";
import { inventory, nsSsh, recap, runPlay, uidOf, withOut } from "./netns_env.ts";

const PY = "/usr/bin/python3";
const env = testEnv();
const ns = netnsEnv();

/** The namespace a context runs in: the same inode as the one of that host's sshd. */
async function netnsOf(ctx: Context): Promise<string> {
  return await ctx.call<string>("os", "readlink", ["/proc/self/ns/net"]);
}

/** The IPv4 addresses of the context's network namespace, from `ip -o -4 addr`. */
async function addresses(ctx: Context): Promise<string[]> {
  const out = await ctx.call<string>("subprocess", "check_output", [["ip", "-o", "-4", "addr", "show"]], {
    universal_newlines: true,
  });
  return out.split("\n").filter(Boolean).map((l) => l.split(/\s+/)[3]).sort();
}

/** "client-address server-address server-port" of the ssh login that started the context. */
async function loginFrom(ctx: Context): Promise<string> {
  const c = await ctx.call<string>("os", "getenv", ["SSH_CONNECTION"]);
  const [from, , to, port] = c.split(" ");
  return `${from} ${to} ${port}`;
}

/** controller → ssh mito-user@bastion (key) → ssh `user`@inner (that account's copy of the key). */
async function chain(b: Broker, user: string): Promise<{ bastion: Context; inner: Context }> {
  const bastion = await b.connect(nsSsh("bastion", env.accounts.login.user, env.clientKey));
  // The ssh client runs as mito-user on the bastion: root's key file is not readable there.
  const inner = await b.connect(nsSsh("inner", user, ns.keys[env.accounts.login.user], bastion));
  return { bastion, inner };
}

for (
  const [role, sudo] of [
    ["sudo_nopassword", { method: "sudo" as const, user: "root" }],
    ["sudo_password", {
      method: "sudo" as const,
      user: "root",
      password: env.accounts.sudo_password.password,
    }],
  ] as const
) {
  const user = env.accounts[role].user;
  Deno.test(`controller → ssh bastion → ssh ${user}@inner → sudo root: each hop in its own place`, async () => {
    await withBroker(async (b) => {
      const { bastion, inner } = await chain(b, user);
      const root = await b.connect({ ...sudo, python: PY, via: inner });

      assertEquals(await netnsOf(bastion), readlinkSync(`/proc/${ns.bastion.pid}/ns/net`));
      assertEquals(await addresses(bastion), ["10.199.1.2/24", "10.199.2.1/24", "127.0.0.1/8"]);
      assertEquals(await loginFrom(bastion), "10.199.1.1 10.199.1.2 22");
      assertEquals(await bastion.call("os", "getuid"), uidOf(env.accounts.login.user));

      assertEquals(await netnsOf(inner), readlinkSync(`/proc/${ns.inner.pid}/ns/net`));
      assertEquals(await addresses(inner), ["10.199.2.2/24", "127.0.0.1/8"]);
      // The inner login came from the bastion's side of the inner link, not from the controller.
      assertEquals(await loginFrom(inner), "10.199.2.1 10.199.2.2 22");
      assertEquals(await inner.call("os", "getuid"), uidOf(user));

      assertEquals(await netnsOf(root), readlinkSync(`/proc/${ns.inner.pid}/ns/net`));
      assertEquals(await addresses(root), ["10.199.2.2/24", "127.0.0.1/8"]);
      assertEquals([await root.call("os", "getuid"), await root.call("getpass", "getuser")], [0, "root"]);
      // The hops nest: root's interpreter descends from the inner account's through sudo only.
      const up = await root.call<string>("subprocess", "getoutput", [
        `p=$(awk '{print $4}' /proc/${root.info!.pid}/stat); while [ "$p" -gt 1 ] && [ "$p" != ${
          inner.info!.pid
        } ]; ` +
        `do cat /proc/$p/comm; p=$(awk '{print $4}' /proc/$p/stat); done; echo "$p"`,
      ]);
      // (sudo with a pty runs as a monitor and its child: one step here)
      assertEquals([...new Set(up.split("\n"))], ["sudo", String(inner.info!.pid)]);
      assertEquals(root.parentIds, [0, bastion.id, inner.id]);
    });
  });
}

Deno.test("the controller cannot reach the inner host directly; the bastion can", async () => {
  await withBroker(async (b) => {
    const direct = await assertRejects(
      () => b.connect({ ...nsSsh("inner", env.accounts.login.user, env.clientKey), connectTimeout: 5 }),
      ConnectError,
    );
    assertEquals(hopFailure(direct)?.kind, "unreachable");
    assertStringIncludes(
      direct.message,
      "ssh to 10.199.2.2: the host is unreachable (ssh: connect to host 10.199.2.2 port 22: No route to host)",
    );
    const { inner } = await chain(b, env.accounts.login.user);
    assert(inner.alive);
  });
});

Deno.test("mito run: inner hosts with mitogen_via=bastion and become run as root in the inner namespace", () => {
  withOut((out) => {
    const r = runPlay(out, inventory(), "chain.yml");
    assertEquals(r.stderr, "");
    assertEquals(recap(r.stdout), [
      "inner_nopw : ok=4 changed=4 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
      "inner_pw : ok=4 changed=4 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
    ]);
    assertEquals(r.code, 0);
    const innerNet = readlinkSync(`/proc/${ns.inner.pid}/ns/net`);
    for (const host of ["inner_nopw", "inner_pw"]) {
      const result = JSON.parse(fs.readFileSync(path.join(out, `${host}.json`), "utf8"));
      // SSH_CONNECTION: client address and port, server address and port. The login came from the
      // bastion's side of the inner link.
      result.login = result.login.replace(/^(\S+) \d+ /, "$1 PORT ");
      assertEquals(result, {
        who: "root",
        net: [innerNet, "10.199.2.2/24", "127.0.0.1/8"],
        login: "10.199.2.1 PORT 10.199.2.2 22",
      });
    }
  });
});
