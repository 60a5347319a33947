// The early login's bookkeeping, with a stand-in for ssh: /bin/cat (it waits for its input like the first
// stage does, and echoes what it is sent). The login end to end is tests/remote_ssh_early_login_test.ts.
import { assert, assertEquals } from "../tests/_assert.ts";
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { type EarlyLoginOptions, EarlyLogins, KEPT_LOGINS } from "./ssh_early_login.ts";

const CAT = ["/bin/cat", "-u"];

function setup(): { dir: string; opts: EarlyLoginOptions; done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-early-login-"));
  const opts = {
    command: "run",
    argv: ["-i", "hosts", "site.yml"],
    cwd: "/srv",
    env: { A: "1" },
    cacheDir: dir,
  };
  return { dir, opts, done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** What a run that logged in with `argv` leaves for the next run with the same options. */
function remember(opts: EarlyLoginOptions, argv: string[]): void {
  const run = new EarlyLogins();
  run.start(opts);
  assertEquals(run.adopt(argv, false), undefined);
  run.loggedIn(argv, false);
}

function hintFiles(dir: string): string[] {
  const logins = path.join(dir, "logins");
  return fs.existsSync(logins) ? fs.readdirSync(logins) : [];
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

/** Kills the early process of `run` if it still waits (a failed assertion must not leave it behind). */
function stop(run: EarlyLogins): void {
  if (run.waiting !== undefined) process.kill(run.waiting, "SIGKILL");
}

Deno.test("a run's first login is remembered, private to the user, and started at once by the next identical run", async () => {
  const { dir, opts, done } = setup();
  const next = new EarlyLogins();
  try {
    remember(opts, [...CAT]);
    const files = hintFiles(dir);
    assertEquals(files.length, 1);
    const file = path.join(dir, "logins", files[0]);
    assertEquals(JSON.parse(fs.readFileSync(file, "utf8")), { argv: CAT });
    assertEquals(fs.statSync(file).mode & 0o777, 0o600);
    assertEquals(fs.statSync(path.join(dir, "logins")).mode & 0o777, 0o700);

    next.start(opts);
    const pid = next.waiting;
    assert(pid !== undefined, "the remembered login is started");
    const child = next.adopt([...CAT], false);
    assertEquals(child?.pid, pid);
    assertEquals(next.waiting, undefined);
    // Adopted, its pipes are the spawn's: what is written reaches it, what it writes comes back.
    const echoed = new Promise<string>((resolve) => child!.stdout!.once("data", (d) => resolve(String(d))));
    child!.stdin!.write("payload");
    assertEquals(await echoed, "payload");
    child!.stdin!.end();
    assertEquals(await exited(child!), { code: 0, signal: null });
  } finally {
    stop(next);
    done();
  }
});

Deno.test("a first spawn with another argv kills the early login unused and spawns its own", async () => {
  const { opts, done } = setup();
  const run = new EarlyLogins();
  try {
    remember(opts, [...CAT]);
    run.start(opts);
    const pid = run.waiting!;
    const other = [...CAT, "-"];
    assertEquals(run.adopt(other, false), undefined);
    assertEquals(run.waiting, undefined);
    // the process is gone (signal 0 probes it; a zombie is reaped by the runtime soon after the kill)
    for (let i = 0; i < 500; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    assertEquals(alive, false);
    // what this run logged in with is what the next one starts
    run.loggedIn(other, false);
    const next = new EarlyLogins();
    next.start(opts);
    const again = next.adopt([...other], false);
    assert(again !== undefined, "the new argv is remembered and adopted");
    again!.stdin!.end();
    assertEquals(await exited(again!), { code: 0, signal: null });
  } finally {
    stop(run);
    done();
  }
});

Deno.test("only the run's first ssh spawn adopts, and a later spawn's login is not remembered", () => {
  const { dir, opts, done } = setup();
  const run = new EarlyLogins();
  try {
    run.start(opts);
    const first = [...CAT];
    assertEquals(run.adopt(first, false), undefined);
    const second = [...CAT, "-"];
    assertEquals(run.adopt(second, false), undefined);
    run.loggedIn(second, false);
    assertEquals(hintFiles(dir), []);
    run.loggedIn(first, false);
    assertEquals(hintFiles(dir).length, 1);
  } finally {
    done();
  }
});

Deno.test("a login with a password is neither remembered nor adopted", async () => {
  const { dir, opts, done } = setup();
  const run = new EarlyLogins();
  try {
    const pw = new EarlyLogins();
    pw.start(opts);
    const argv = [...CAT];
    pw.adopt(argv, true);
    pw.loggedIn(argv, true);
    assertEquals(hintFiles(dir), []);

    remember(opts, [...CAT]);
    run.start(opts);
    const early = run.waiting;
    assert(early !== undefined);
    assertEquals(run.adopt([...CAT], true), undefined);
    assertEquals(run.waiting, undefined);
  } finally {
    stop(run);
    await new Promise((r) => setTimeout(r, 0));
    done();
  }
});

Deno.test("another executable, command line, directory or environment starts nothing", () => {
  const { opts, done } = setup();
  try {
    remember(opts, [...CAT]);
    for (
      const changed of [
        { ...opts, argv: [...opts.argv, "--check"] },
        { ...opts, cwd: "/srv/other" },
        { ...opts, env: { A: "2" } },
        { ...opts, command: "adhoc" },
        { ...opts, executable: "/opt/other/mito" },
      ]
    ) {
      const run = new EarlyLogins();
      run.start(changed);
      assertEquals(run.waiting, undefined, JSON.stringify(changed));
    }
  } finally {
    done();
  }
});

Deno.test("MITO_EARLY_LOGIN=0 neither starts nor remembers a login", () => {
  const { dir, opts, done } = setup();
  try {
    remember(opts, [...CAT]);
    const off = { ...opts, env: { ...opts.env, MITO_EARLY_LOGIN: "0" } };
    const run = new EarlyLogins();
    run.start(off);
    assertEquals(run.waiting, undefined);
    const argv = [...CAT, "-"];
    run.adopt(argv, false);
    run.loggedIn(argv, false);
    assertEquals(hintFiles(dir).length, 1);
  } finally {
    done();
  }
});

Deno.test("a remembered login writable by others, or not an argv, is ignored", () => {
  const { dir, opts, done } = setup();
  try {
    remember(opts, [...CAT]);
    const file = path.join(dir, "logins", hintFiles(dir)[0]);
    fs.chmodSync(file, 0o620);
    const writable = new EarlyLogins();
    writable.start(opts);
    assertEquals(writable.waiting, undefined);
    fs.chmodSync(file, 0o600);
    for (
      const text of ["not json", JSON.stringify({ argv: ["/bin/cat"] }), JSON.stringify({ argv: [1, 2] })]
    ) {
      fs.writeFileSync(file, text);
      const run = new EarlyLogins();
      run.start(opts);
      assertEquals(run.waiting, undefined, text);
    }
  } finally {
    done();
  }
});

Deno.test("the cache keeps the most recently written logins", () => {
  const { dir, opts, done } = setup();
  try {
    const logins = path.join(dir, "logins");
    fs.mkdirSync(logins, { recursive: true });
    const old = Date.now() / 1000 - 3600;
    for (let i = 0; i < KEPT_LOGINS; i++) {
      const f = path.join(logins, `old${i}.json`);
      fs.writeFileSync(f, JSON.stringify({ argv: CAT }), { mode: 0o600 });
      fs.utimesSync(f, old + i, old + i);
    }
    remember(opts, [...CAT]);
    const kept = hintFiles(dir);
    assertEquals(kept.length, KEPT_LOGINS);
    assertEquals(kept.includes("old0.json"), false);
    assertEquals(kept.includes("old1.json"), true);
    const again = new EarlyLogins();
    again.start(opts);
    assert(again.waiting !== undefined, "the new login is kept");
    stop(again);
  } finally {
    done();
  }
});
