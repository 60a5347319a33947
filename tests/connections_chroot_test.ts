// chroot into real Debian roots built by scripts/testenv-roots: bullseye (Python 3.9) and trixie
// (Python 3.13), from the controller and from a context, as root and as another user.
import { readFileSync } from "node:fs";
import process from "node:process";
import { join } from "node:path";
import { assertEquals, assertRejects, assertStringIncludes } from "./_assert.ts";
import type { Context } from "../transports/broker.ts";
import { withBroker } from "./_broker.ts";
import { hopFailure } from "../transports/become.ts";
import { debianRoots, debianVersion, PY } from "./connections_env.ts";

const roots = debianRoots();
const SUITES: [string, string, number[]][] = [
  ["bullseye", roots.bullseye, [3, 9]],
  ["trixie", roots.trixie, [3, 13]],
];

async function checkRoot(ctx: Context, root: string, python: number[]): Promise<void> {
  assertEquals(ctx.info?.python.slice(0, 2), python);
  assertEquals(await ctx.call("os", "getpid"), ctx.info?.pid);
  const r = await ctx.call<Record<string, unknown>>("mito.runner", "run_module", [
    "command",
    { _raw_params: "cat /etc/debian_version" },
  ]);
  assertEquals([r.rc, r.stdout], [0, debianVersion(root)]);
  // A module's files land inside the root.
  const dest = `/tmp/mito-chroot-${process.pid}-${Date.now()}.txt`;
  const copied = await ctx.call<Record<string, unknown>>("mito.runner", "run_module", [
    "copy",
    { content: "in the root\n", dest, mode: "0640" },
  ]);
  assertEquals(copied.changed, true);
  assertEquals(readFileSync(join(root, dest), "utf8"), "in the root\n");
  await ctx.call("os", "unlink", [dest]);
}

for (const [suite, root, python] of SUITES) {
  Deno.test(`chroot ${suite} from the controller: Python ${python.join(".")} and the root's files`, async () => {
    await withBroker(async (b) => {
      const ctx = await b.connect({ method: "chroot", container: root, python: "/usr/bin/python3" });
      assertEquals(await ctx.call("os", "getcwd"), "/");
      await checkRoot(ctx, root, python);
    });
  });

  Deno.test(`chroot ${suite} via a context, with the interpreter discovered by the shell`, async () => {
    await withBroker(async (b) => {
      const local = await b.connect({ method: "local", python: PY });
      const ctx = await b.connect({
        method: "chroot",
        container: root,
        python: '"$(command -v /usr/bin/python3 || command -v python3)"',
        via: local,
      });
      assertEquals(ctx.parentIds, [0, local.id]);
      await checkRoot(ctx, root, python);
    });
  });
}

Deno.test("chroot as another user (--userspec): the root's account", async () => {
  await withBroker(async (b) => {
    const local = await b.connect({ method: "local", python: PY });
    const ctx = await b.connect({
      method: "chroot",
      container: roots.trixie,
      username: "nobody",
      via: local,
    });
    assertEquals([await ctx.call("os", "getuid"), await ctx.call("os", "getgid")], [65534, 65534]);
    assertEquals(ctx.info?.user, "nobody");
  });
});

Deno.test("chroot: a missing directory fails with chroot's own message", async () => {
  await withBroker(async (b) => {
    const direct = await assertRejects(() => b.connect({ method: "chroot", container: "/nonexistent/root" }));
    assertStringIncludes(direct.message, "cannot change root directory to '/nonexistent/root'");
    const local = await b.connect({ method: "local", python: PY });
    const err = await assertRejects(() =>
      b.connect({ method: "chroot", container: "/nonexistent/root", via: local })
    );
    assertEquals(hopFailure(err)?.kind, "not-found");
    assertStringIncludes(err.message, "cannot change root directory to '/nonexistent/root'");
  });
});
