// What an intermediary does for the hops behind it, on the namespace bastion: it loads the container code
// only when asked to start a container (chroot into a Debian root from inside the bastion's namespace), and
// it closes each hop's PTY exactly once, so its descriptors stay as they were as hops come and go.
import { readlinkSync } from "node:fs";
import { assertEquals, assertRejects, assertStringIncludes } from "./_assert.ts";
import { Broker, type Context } from "../transports/broker.ts";
import { defaultMethods } from "../transports/methods.ts";
import { netnsEnv, testEnv } from "./_testenv.ts";
import { debianRoots, debianVersion } from "./connections_env.ts";
import { nsSsh, uidOf } from "./netns_env.ts";

const PY = "/usr/bin/python3";
const env = testEnv();
const ns = netnsEnv();

async function withBastion(user: string, fn: (b: Broker, bastion: Context) => Promise<void>): Promise<void> {
  const b = new Broker({ methods: defaultMethods(), onLog: () => {} });
  try {
    await fn(b, await b.connect(nsSsh("bastion", user, env.clientKey)));
  } finally {
    await b.shutdown();
  }
}

const loaded = (ctx: Context, mod: string) => ctx.call<boolean>("sys", "modules.__contains__", [mod]);

Deno.test("a bastion loads the container methods itself, the first time it starts a container", async () => {
  const roots = debianRoots();
  await withBastion("root", async (b, bastion) => {
    const inner = await b.connect(nsSsh("inner", env.accounts.login.user, ns.keys.root, bastion));
    assertEquals(await inner.call("os", "getuid"), uidOf(env.accounts.login.user));
    assertEquals([await loaded(bastion, "mito.become"), await loaded(bastion, "mito.containers")], [
      true,
      false,
    ]);

    const root = await b.connect({ method: "chroot", container: roots.bullseye, python: PY, via: bastion });
    assertEquals(await loaded(bastion, "mito.containers"), true);
    assertEquals(root.info?.python.slice(0, 2), [3, 9]);
    assertEquals(
      await root.call("subprocess", "getoutput", ["cat /etc/debian_version"]),
      debianVersion(roots.bullseye),
    );
    // chroot changes the root, not the network: still the bastion's namespace (seen from outside, as the
    // root has no /proc).
    assertEquals(
      readlinkSync(`/proc/${root.info!.pid}/ns/net`),
      readlinkSync(`/proc/${ns.bastion.pid}/ns/net`),
    );
    assertEquals(root.parentIds, [0, bastion.id]);

    const unknown = await assertRejects(() =>
      bastion.call("mito.parent", "connect_child", [999, "nope", {}, {}])
    );
    assertStringIncludes(unknown.message, "mito: unknown spawn method 'nope'");
  });
});

const fds = async (ctx: Context) =>
  (await ctx.call<string[]>("os", "listdir", ["/proc/self/fd"])).map(Number).sort((a, b) => a - b);

Deno.test("a bastion's descriptors are as they were after password hops behind it end, by shutdown or by dying", async () => {
  await withBastion(env.accounts.login.user, async (b, bastion) => {
    const before = await fds(bastion);
    for (const end of ["shutdown", "exit"]) {
      for (let i = 0; i < 3; i++) {
        // A password login from the bastion: its ssh runs on a PTY the bastion keeps.
        const inner = await b.connect({
          ...nsSsh("inner", env.accounts.sudo_password.user, "/dev/null", bastion),
          password: env.accounts.sudo_password.password,
        });
        assertEquals((await fds(bastion)).length, before.length + 2, "the hop's stream and its PTY");
        const closed = inner.closed();
        if (end === "shutdown") await inner.shutdown();
        else inner.callNoReply("os", "_exit", [0]);
        await closed;
        // The bastion saw the hop's PTY and stream end (in either order) and closed each once.
        for (let t = 0; t < 50 && (await fds(bastion)).length !== before.length; t++) {
          await new Promise((r) => setTimeout(r, 20));
        }
        assertEquals(await fds(bastion), before, `after hop ${i + 1} ended by ${end}`);
      }
    }
  });
});

Deno.test("a hop's PTY is closed once: a descriptor opened between its EOF and the end of its stream survives", async () => {
  await withBastion(env.accounts.login.user, async (_b, bastion) => {
    // The two events the I/O loop handles for a hop, in the order that could close the tty twice; the
    // fd opened in between (by any thread: a new hop being started) gets the tty's number.
    const result = await bastion.call<Record<string, unknown>>("builtins", "exec", [
      `
import os, sys
core = sys.modules["mito.core"]
router = core._router
tty_r, tty_w = os.pipe()
s_r, s_w = os.pipe()
stream = core.Stream(router, s_r, s_w, "test hop", 999, 0, tty_r)
router.ttys[tty_r] = stream
os.close(tty_w)
router.forget_tty(tty_r)
other = os.open(os.devnull, os.O_RDONLY)
stream.close()
try:
    os.fstat(other)
    core._tty_test = {"same_number": other == tty_r, "other_open": True, "tty": stream.tty}
    os.close(other)
except OSError:
    core._tty_test = {"same_number": other == tty_r, "other_open": False, "tty": stream.tty}
`,
      {},
    ]).then(() => bastion.call("mito.core", "_tty_test.copy"));
    assertEquals(result, { same_number: true, other_open: true, tty: null });
  });
});

Deno.test("modules cross to the bastion once: the hosts behind it get them from the bastion's cache", async () => {
  const requests: [number, string][] = [];
  const b = new Broker({
    methods: defaultMethods(),
    onLog: () => {},
    onModuleRequest: (context, name) => requests.push([context, name]),
  });
  try {
    const bastion = await b.connect(nsSsh("bastion", env.accounts.login.user, env.clientKey));
    const behind = (user: string) =>
      b.connect(nsSsh("inner", user, ns.keys[env.accounts.login.user], bastion));
    const command = (ctx: Context) =>
      ctx.call<Record<string, unknown>>("mito.runner", "run_module", ["command", { _raw_params: "id -un" }]);

    const first = await behind(env.accounts.sudo_nopassword.user);
    assertEquals((await command(first)).stdout, env.accounts.sudo_nopassword.user);
    // Asked of the controller by the bastion only (for itself: mito.become, to start the ssh hop; for the
    // host behind it: the runner and the module), each once.
    assertEquals(requests, [
      [bastion.id, "mito.become"],
      [bastion.id, "mito.runner"],
      [bastion.id, "mito.modules.command"],
    ]);

    requests.length = 0;
    const second = await behind(env.accounts.sudo_password.user);
    assertEquals((await command(second)).stdout, env.accounts.sudo_password.user);
    assertEquals(requests, []);
  } finally {
    await b.shutdown();
  }
});
