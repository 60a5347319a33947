// Become hops from a local context, with stand-in programs where a real account is not needed: a prompt that
// never ends (timeout), a su that checks the typed password, and real sudo/su naming an unknown user.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertEquals, assertRejects, assertStringIncludes } from "./_assert.ts";
import { Broker } from "../transports/broker.ts";
import { defaultMethods } from "../transports/methods.ts";
import { hopFailure } from "../transports/become.ts";
import { requireRoot } from "./_testenv.ts";

const PY = "/usr/bin/python3";

async function withLocal(fn: (b: Broker, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "mito-hops-become-"));
  const b = new Broker({ methods: defaultMethods(), onLog: () => {} });
  try {
    await fn(b, dir);
  } finally {
    await b.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

function script(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

Deno.test("a hop that never starts fails with a timeout naming what it printed, and is killed", async () => {
  await withLocal(async (b, dir) => {
    const pidFile = join(dir, "pid");
    const hang = script(dir, "sudo", `echo $$ > ${pidFile}; printf 'Please wait...' >&2; exec sleep 30`);
    const local = await b.connect({ method: "local", python: PY });
    const err = await assertRejects(() =>
      b.connect({ method: "sudo", user: "root", path: hang, becomeTimeout: 1, python: PY, via: local })
    );
    assertEquals(hopFailure(err)?.kind, "timeout");
    assertStringIncludes(
      err.message,
      "sudo did not start the child within 1s (last output: 'Please wait...')",
    );
    const pid = readFileSync(pidFile, "utf8").trim();
    assertEquals(existsSync(`/proc/${pid}`), false);
  });
});

Deno.test("su types the password into its PAM conversation; a wrong one is refused", async () => {
  await withLocal(async (b, dir) => {
    // argv: su USER -c COMMAND, as become.py builds it; the password arrives on stdin, as with util-linux su.
    const fakeSu = script(
      dir,
      "su",
      [
        'printf "Password: " >&2',
        "IFS= read -r pw",
        'if [ "$pw" != "s3cret word" ]; then echo "su: Authentication failure" >&2; exit 1; fi',
        `echo "$1" > ${join(dir, "user")}`,
        'exec /bin/sh -c "$3"',
      ].join("\n"),
    );
    const local = await b.connect({ method: "local", python: PY });
    const ok = await b.connect({
      method: "su",
      user: "alice",
      password: "s3cret word",
      path: fakeSu,
      python: PY,
      via: local,
    });
    assertEquals(await ok.call("os", "getuid"), Deno.uid()); // a stand-in: no change of account
    assertEquals(readFileSync(join(dir, "user"), "utf8"), "alice\n");
    const bad = await assertRejects(() =>
      b.connect({ method: "su", user: "bob", password: "guess", path: fakeSu, python: PY, via: local })
    );
    assertEquals(hopFailure(bad), {
      kind: "wrong-password",
      message: "su rejected the password (wrong password)",
      output: "Password: su: Authentication failure\r\n",
    });
  });
});

Deno.test("doas: the password is typed on the PTY at its prompt; -u and -- frame the command", async () => {
  await withLocal(async (b, dir) => {
    // OpenBSD-style doas: prompt and password on the controlling terminal, argv `doas -u USER -- CMD...`;
    // -n (no password given) refuses instead of prompting.
    const fakeDoas = script(
      dir,
      "doas",
      [
        `echo "$@" > ${join(dir, "argv")}`,
        'if [ "$1" = -n ]; then echo "doas: Authorization required" >&2; exit 1; fi',
        "printf 'doas (me@host) password: ' > /dev/tty",
        "IFS= read -r pw < /dev/tty",
        'if [ "$pw" != "pa55" ]; then echo "doas: Authentication failed" >&2; exit 1; fi',
        '[ "$1" = -u ] && shift 2; [ "$1" = -- ] && shift',
        'exec "$@"',
      ].join("\n"),
    );
    const local = await b.connect({ method: "local", python: PY });
    const ctx = await b.connect({
      method: "doas",
      user: "www",
      password: "pa55",
      path: fakeDoas,
      python: PY,
      via: local,
    });
    assertEquals(await ctx.call("operator", "add", [20, 22]), 42);
    assertEquals(readFileSync(join(dir, "argv"), "utf8").split(" ").slice(0, 4), ["-u", "www", "--", PY]);
    // The protocol's stdin is not the terminal: the password never reached the context.
    assertEquals(await ctx.call("os", "isatty", [0]), false);
    // doas exec'd the child, so it leads the PTY's session; once nothing holds the slave open the parent
    // closes the master (a hangup). The child must outlive that.
    const ptys = () => local.call<string>("subprocess", "getoutput", [`ls -l /proc/${local.info!.pid}/fd`]);
    for (let i = 0; i < 500 && (await ptys()).includes("ptmx"); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assertEquals((await ptys()).includes("ptmx"), false);
    assertEquals(await ctx.call("operator", "add", [1, 1]), 2);
    const bad = await assertRejects(() =>
      b.connect({ method: "doas", user: "www", password: "nope", path: fakeDoas, python: PY, via: local })
    );
    assertEquals(hopFailure(bad)?.kind, "wrong-password");
    assertStringIncludes(bad.message, "BecomeError: doas rejected the password (wrong password)");
    const none = await assertRejects(() =>
      b.connect({ method: "doas", user: "www", path: fakeDoas, python: PY, via: local })
    );
    assertEquals(hopFailure(none)?.kind, "password-required");
  });
});

Deno.test({
  name: "sudo and su name an unknown become user exactly",
  fn: async () => {
    requireRoot("as root neither sudo nor su asks for a password first");
    await withLocal(async (b) => {
      const local = await b.connect({ method: "local", python: PY });
      const sudo = await assertRejects(() =>
        b.connect({ method: "sudo", user: "mito-no-such-user", python: PY, via: local })
      );
      assertEquals(hopFailure(sudo)?.kind, "unknown-user");
      assertStringIncludes(sudo.message, "BecomeError: the become user does not exist");
      assertStringIncludes(hopFailure(sudo)!.output, "unknown user mito-no-such-user");
      const su = await assertRejects(() =>
        b.connect({ method: "su", user: "mito-no-such-user", python: PY, via: local })
      );
      assertEquals(hopFailure(su)?.kind, "unknown-user");
    });
  },
});

Deno.test("become flags that cannot work are refused before anything runs", async () => {
  await withLocal(async (b) => {
    const local = await b.connect({ method: "local", python: PY });
    const err = await assertRejects(() =>
      b.connect({ method: "sudo", user: "root", flags: "-H -b", python: PY, via: local })
    );
    assertEquals(hopFailure(err), {
      kind: "bad-flags",
      message: "sudo flag -b runs the command in the background, detached from the protocol",
      output: "",
    });
  });
});
