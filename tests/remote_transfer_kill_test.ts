// Killing the target side of the connection while `mito run` streams a 64 MiB copy: the destination keeps
// its previous content, the host is reported unreachable with the cause, and the next run (a new
// connection) completes the copy. The bytes stream into a hidden partial file beside the destination; a
// killed interpreter cannot remove it, so the next one does (the dead one's journal names it). The target-side process is found by a
// marker (a python3 symlink only this test uses, as ansible_python_interpreter) and killed by its pid.
import { spawn } from "node:child_process";
import { randomFillSync } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { testEnv } from "./_testenv.ts";
import { DENO, mitoIn, ROOT } from "./_run.ts";

const SIZE = 64 * 1024 * 1024;
const OLD = "previous content\n";

interface Setup {
  dir: string;
  /** Destination directory and the target's remote_tmp, on the same machine as the test. */
  dest: string;
  rtmp: string;
  marker: string;
}

function setUp(): Setup {
  const env = testEnv();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-kill-"));
  const dest = fs.mkdtempSync(path.join("/var/tmp", "mito-kill-dest-"));
  const rtmp = fs.mkdtempSync(path.join("/var/tmp", "mito-kill-rtmp-"));
  fs.chmodSync(rtmp, 0o1777);
  // The marker: the interpreter runs as this path, which no other process on the machine uses.
  const marker = path.join(dir, "marked-python3");
  fs.symlinkSync("/usr/bin/python3", marker);
  fs.mkdirSync(path.join(dir, "files"));
  const big = Buffer.alloc(SIZE);
  randomFillSync(big);
  fs.writeFileSync(path.join(dir, "files/big.bin"), big);
  fs.writeFileSync(path.join(dest, "big.bin"), OLD, { mode: 0o640 });
  fs.writeFileSync(
    path.join(dir, "ansible.cfg"),
    `[defaults]\nretry_files_enabled = false\nremote_tmp = ${rtmp}\n`,
  );
  fs.writeFileSync(
    path.join(dir, "hosts"),
    `target ansible_host=${env.sshd.host} ansible_port=${env.sshd.port} ansible_user=root ` +
      `ansible_ssh_private_key_file=${env.clientKey} ansible_python_interpreter=${marker} ` +
      `ansible_ssh_common_args='-o UserKnownHostsFile=${env.sshd.knownHosts} -o StrictHostKeyChecking=yes'\n`,
  );
  fs.writeFileSync(
    path.join(dir, "play.yml"),
    `- hosts: target\n  gather_facts: false\n  tasks:\n` +
      `    - copy: {src: big.bin, dest: "${dest}/big.bin", mode: "0644"}\n`,
  );
  return { dir, dest, rtmp, marker };
}

/** Pids whose command line starts with `marker` (the target-side interpreters of this test only). */
function markedPids(marker: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      if (argv[0] === marker) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function parentOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

/** Bytes of the largest file under `dir` (the streamed file growing in the interpreter's temp dir). */
function largestFile(dir: string): number {
  let max = 0;
  const walk = (d: string) => {
    let names: string[] = [];
    try {
      names = fs.readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(d, n);
      try {
        const st = fs.lstatSync(p);
        if (st.isDirectory()) walk(p);
        else if (st.isFile()) max = Math.max(max, st.size);
      } catch {
        // renamed or removed meanwhile
      }
    }
  };
  walk(dir);
  return max;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the play, kills `pick(interpreter pid)` once 8 MiB have arrived; returns mito's output. */
async function runAndKill(
  s: Setup,
  pick: (interpreter: number) => number,
): Promise<{ code: number; stdout: string; killed: number; arrived: number }> {
  const child = spawn(DENO, ["run", "-A", path.join(ROOT, "cli/main.ts"), "run", "-i", "hosts", "play.yml"], {
    cwd: s.dir,
    env: {
      PATH: "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      ANSIBLE_CONFIG: path.join(s.dir, "ansible.cfg"),
      ANSIBLE_NOCOLOR: "1",
      MITO_MODULES: "builtin",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => (stdout += b.toString()));
  const exited = new Promise<number>((r) => child.once("close", (code) => r(code ?? -1)));
  let killed = 0;
  let arrived = 0;
  try {
    const deadline = Date.now() + 60_000;
    while (!killed && Date.now() < deadline) {
      const pids = markedPids(s.marker);
      arrived = largestFile(s.dest);
      if (pids.length === 1 && arrived >= 8 * 1024 * 1024 && arrived < SIZE) {
        killed = pick(pids[0]);
        process.kill(killed, "SIGKILL");
      } else await sleep(2);
    }
    return { code: await exited, stdout, killed, arrived };
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}

function checkAfterKill(
  s: Setup,
  r: { code: number; stdout: string; killed: number; arrived: number },
): void {
  assert(r.killed > 0, `the transfer was never caught in flight:\n${r.stdout}`);
  assert(r.arrived < SIZE);
  assertEquals(r.code, 4, r.stdout);
  assertMatch(r.stdout, /fatal: \[target\]: UNREACHABLE! => .*the connection to target was lost/);
  assertMatch(r.stdout, /target +: ok=0 +changed=0 +unreachable=1 +failed=0/);
  // The destination is as it was; beside it at most the hidden partial upload.
  const beside = fs.readdirSync(s.dest).filter((n) => n !== "big.bin");
  for (const n of beside) assertMatch(n, /^\.\.big\.bin\.mito-upload-[0-9a-f]{16}\..+\.mito-part$/);
  assertEquals(fs.readFileSync(path.join(s.dest, "big.bin"), "utf8"), OLD);
  assertEquals(fs.statSync(path.join(s.dest, "big.bin")).mode & 0o777, 0o640);
  // The next run reconnects and completes the copy.
  const again = mitoIn(s.dir, ["-i", "hosts", "play.yml"], { MITO_MODULES: "builtin" });
  assertEquals(again.code, 0, again.stdout);
  assertMatch(again.stdout, /target +: ok=1 +changed=1 +unreachable=0 +failed=0/);
  assertEquals(fs.readdirSync(s.dest), ["big.bin"]);
  assertEquals(
    fs.readFileSync(path.join(s.dest, "big.bin")).equals(fs.readFileSync(path.join(s.dir, "files/big.bin"))),
    true,
  );
  // The partial is gone, and so is the killed interpreter's private temp dir (swept by the new one, whose
  // own dir went at its shutdown).
  assertEquals(fs.readdirSync(s.rtmp), []);
}

function tearDown(s: Setup): void {
  for (const pid of markedPids(s.marker)) process.kill(pid, "SIGKILL");
  for (const d of [s.dir, s.dest, s.rtmp]) fs.rmSync(d, { recursive: true, force: true });
}

Deno.test("killing the target's interpreter mid-copy leaves the destination as it was", async () => {
  const s = setUp();
  try {
    checkAfterKill(s, await runAndKill(s, (pid) => pid));
  } finally {
    tearDown(s);
  }
});

Deno.test("killing the target's sshd session mid-copy leaves the destination as it was", async () => {
  const s = setUp();
  try {
    checkAfterKill(
      s,
      await runAndKill(s, (pid) => {
        // The interpreter's parent is the login shell or the session's sshd child; kill the sshd one.
        let p = parentOf(pid);
        while (p > 1 && !fs.readFileSync(`/proc/${p}/cmdline`, "utf8").startsWith("sshd")) p = parentOf(p);
        assert(p > 1, "no sshd process above the interpreter");
        return p;
      }),
    );
  } finally {
    tearDown(s);
  }
});
