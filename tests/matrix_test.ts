// The module matrix (issue 5): self-checking playbooks in tests/matrix/ run on three targets at once —
// `local`, ssh to the test sshd as root, and ssh as the NOPASSWD sudo account with become — by
// ansible-playbook and by `mito run` (with mito's built-in modules and with ansible-core's), twice each:
// the first run changes things, the second must not. Every mito run must give ansible-playbook's exit
// code, recap, screen output (normalised below) and resulting files (mode, owner, content, links).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertEquals, assertStringIncludes } from "./_assert.ts";
import { type TestEnv, testEnv } from "./_testenv.ts";
import { DENO, httpServer, ROOT, runInAsync } from "./_run.ts";
import { normalise, recapLines } from "./_compare.ts";

const DIR = path.join(ROOT, "tests/matrix");
const HOSTS = ["local", "root_ssh", "sudo_ssh"];

function inventory(env: TestEnv): string {
  const ssh = `ansible_host=${env.sshd.host} ansible_port=${env.sshd.port}`;
  return [
    "[matrix]",
    "local ansible_connection=local",
    `root_ssh ${ssh} ansible_user=root`,
    `sudo_ssh ${ssh} ansible_user=${env.accounts.sudo_nopassword.user} ansible_become=true`,
    "[all:vars]",
    `ansible_ssh_private_key_file=${env.clientKey}`,
    `ansible_ssh_common_args='-o UserKnownHostsFile=${env.sshd.knownHosts} -o StrictHostKeyChecking=yes'`,
    "ansible_python_interpreter=/usr/bin/python3",
    "",
  ].join("\n");
}

/** Each runner has its own tag in the names of the accounts it creates (`mito-matrix-<tag>-<host>`). */
const TAGS = { ansible: "a", builtin: "b", mitoansible: "c" } as const;
const untag = (s: string) => s.replace(/mito-matrix-[abc]-/g, "mito-matrix-T-");

/** Removes the accounts and groups system.yml creates, whichever runs got that far. */
function removeAccounts(): void {
  for (const tag of Object.values(TAGS)) {
    for (const h of HOSTS) {
      const name = `mito-matrix-${tag}-${h.replace("_", "")}`;
      spawnSync("/usr/sbin/userdel", [name], { stdio: "ignore" });
      spawnSync("/usr/sbin/groupdel", [name], { stdio: "ignore" });
      spawnSync("/usr/sbin/groupdel", [`${name}-x`], { stdio: "ignore" });
    }
  }
}

/** The name of a uid (in /etc/passwd) or gid (in /etc/group), read afresh: the runs add accounts. */
function nameOf(file: "/etc/passwd" | "/etc/group", id: number): string {
  const line = fs.readFileSync(file, "utf8").split("\n").find((l) => l.split(":")[2] === String(id));
  return line?.split(":")[0] ?? String(id);
}

/**
 * Every path under `dir` with its mode, owner and group, and a file's content or a link's target; `base`
 * (the run's own directory, which fetch puts into paths) reads as WORK.
 */
export function tree(dir: string, base: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = path.join(rel, name);
      const full = path.join(dir, r);
      const key = r.replaceAll(base.slice(1), "WORK");
      const st = fs.lstatSync(full);
      const meta = untag(
        `${(st.mode & 0o7777).toString(8)} ${nameOf("/etc/passwd", st.uid)}:${nameOf("/etc/group", st.gid)}`,
      );
      if (st.isSymbolicLink()) out[key] = `-> ${fs.readlinkSync(full)}`;
      else if (st.isDirectory()) {
        out[key + "/"] = meta;
        // git's own bookkeeping holds times and inode data; and mito's git leaves out the reset --hard
        // origin/<branch> Ansible's runs after a fresh clone (which adds only ORIG_HEAD and a reflog
        // line): the checked-out tree is what is compared.
        if (name !== ".git") walk(r);
      } else out[key] = `${meta} nlink=${st.nlink} ${fs.readFileSync(full, "utf8").replaceAll(base, "WORK")}`;
    }
  };
  walk("");
  return out;
}

interface Case {
  playbook: string;
  /** Set up before the runs (and torn down after), e.g. a local HTTP server. */
  around?: () => Promise<{ vars: Record<string, string>; stop: () => Promise<void> }>;
  /** mito still differs here (the reason is at the case): the test is listed but ignored. */
  knownDifferent?: boolean;
}

const CASES: Case[] = [
  { playbook: "files.yml" },
  { playbook: "system.yml" },
  { playbook: "misc.yml", around: () => httpServer(path.join(DIR, "files")) },
  // Once known differences, now equal: add_host and pause bypass the host loop (first host only), pause
  // prints Ansible's lines, and package with Ansible's modules runs the target's package manager.
  { playbook: "known.yml" },
];

/** One playbook: each runner twice, each mito run compared with ansible-playbook's of the same round. */
async function runCase(c: Case): Promise<void> {
  const env = testEnv();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "mito-matrix-"));
  fs.chmodSync(base, 0o755);
  const setup = c.around ? await c.around() : { vars: {}, stop: () => Promise.resolve() };
  try {
    const inv = path.join(base, "hosts.ini");
    fs.writeFileSync(inv, inventory(env));
    const runners = ["ansible", "builtin", "mitoansible"] as const;
    const work = Object.fromEntries(runners.map((r) => [r, path.join(base, r)]));
    for (const w of Object.values(work)) fs.mkdirSync(w);
    const extra = Object.entries(setup.vars).map(([k, v]) => ["-e", `${k}=${v}`]).flat();
    for (const round of ["first", "second"]) {
      const args = (r: keyof typeof TAGS) => [
        ...["-i", inv, c.playbook, "-e", `base=${work[r]}`, "-e", `tag=${TAGS[r]}`],
        ...extra,
      ];
      const mito = (r: "builtin" | "mitoansible", modules: string) =>
        runInAsync(DIR, DENO, ["run", "-A", path.join(ROOT, "cli/main.ts"), "run", ...args(r)], {
          MITO_MODULES: modules,
        });
      const [a, mb, ma] = await Promise.all([
        runInAsync(DIR, "/usr/bin/ansible-playbook", args("ansible")),
        mito("builtin", "builtin"),
        mito("mitoansible", "ansible"),
      ]);
      // The playbooks assert their own changed flags (changes on the first run only); a failed
      // assertion is a failed task.
      assertEquals(recapLines(a.stdout).length, HOSTS.length, a.stdout);
      for (const line of recapLines(a.stdout)) assertStringIncludes(line, "failed=0", a.stdout);
      const want = normalise(untag(a.stdout.replaceAll(work.ansible, "WORK")));
      for (
        const [label, m, w] of [["builtin", mb, work.builtin], ["ansible", ma, work.mitoansible]] as const
      ) {
        const what = `${c.playbook}, ${round} run, ${label} modules`;
        assertEquals(m.stderr, "", `${what}: mito wrote errors`);
        assertEquals(
          normalise(untag(m.stdout.replaceAll(w, "WORK"))).split("\n"),
          want.split("\n"),
          `${what}: output`,
        );
        assertEquals(recapLines(m.stdout), recapLines(a.stdout), `${what}: recap`);
        assertEquals(m.code, a.code, `${what}: exit code`);
        for (const h of HOSTS) {
          assertEquals(
            tree(path.join(w, h), w),
            tree(path.join(work.ansible, h), work.ansible),
            `${what}: files of ${h}`,
          );
        }
      }
    }
  } finally {
    await setup.stop();
    fs.rmSync(base, { recursive: true, force: true });
  }
}

// One test per playbook, one after the other: run side by side, the three ansible-playbook runs
// slow each other down more than they gain (tried: over four minutes, against about 1.5 each).
for (const c of CASES) {
  Deno.test({
    name: c.knownDifferent
      ? `matrix ${c.playbook}: known differences from ansible-playbook (see CASES)`
      : `matrix ${c.playbook}: mito (builtin and ansible modules) = ansible-playbook on local, root ssh ` +
        "and sudo, twice",
    ignore: c.knownDifferent === true,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      try {
        await runCase(c);
      } finally {
        removeAccounts();
      }
    },
  });
}
