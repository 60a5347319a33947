// Account and system-configuration modules. user/group need root and create uniquely named
// accounts that each test removes again.
import { assert, assertEquals } from "./_assert.ts";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostname, userInfo } from "node:os";
import { callMany, type Json, run, runTwice, sh, tempDir } from "./modules_harness.ts";

const runModule = run;
const runModuleTwice = runTwice;

function requireRoot() {
  if (userInfo().uid !== 0) throw new Error("this test needs root (it creates local users and groups)");
}
const unique = (p: string) => `${p}${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 1000)}`;
const getent = (db: string, key: string) => {
  try {
    return sh(`getent ${db} ${key}`).trim();
  } catch {
    return "";
  }
};

Deno.test("group: create with gid, change gid, remove", () => {
  requireRoot();
  const name = unique("mitog");
  try {
    const [a, b] = runTwice("group", { name, gid: 45123 });
    assertEquals([a.changed, b.changed], [true, false]);
    assertEquals(a.gid, 45123);
    assertEquals(a.state, "present");
    assertEquals(getent("group", name).split(":")[2], "45123");
    const mod = run("group", { name, gid: 45124 });
    assertEquals(mod.changed, true);
    assertEquals(getent("group", name).split(":")[2], "45124");
    const chk = run("group", { name, state: "absent" }, { check_mode: true });
    assertEquals(chk.changed, true);
    assert(getent("group", name) !== "");
    const [r1, r2] = runTwice("group", { name, state: "absent" });
    assertEquals([r1.changed, r2.changed], [true, false]);
    assertEquals(getent("group", name), "");
  } finally {
    sh(`groupdel ${name} 2>/dev/null || true`);
  }
});

Deno.test("user: create, modify shell/groups/comment idempotently, remove with home", () => {
  requireRoot();
  const name = unique("mitou");
  const grp = unique("mitog");
  const home = join(tempDir(), "home", name);
  try {
    sh(`groupadd ${grp}`);
    const args = { name, shell: "/bin/sh", comment: "Mito Test", home, groups: [grp] };
    const [a, b] = runTwice("user", args);
    assertEquals([a.changed, b.changed], [true, false]);
    assertEquals(a.create_home, true);
    assertEquals(b.shell, "/bin/sh");
    assertEquals(b.home, home);
    assertEquals(b.comment, "Mito Test");
    assertEquals(typeof b.uid, "number");
    assert(statSync(home).isDirectory());
    assertEquals(statSync(home).uid, b.uid);
    assert(getent("group", grp).endsWith(name));
    const [c, d] = runTwice("user", { name, shell: "/bin/bash" });
    assertEquals([c.changed, d.changed], [true, false]);
    assertEquals(getent("passwd", name).split(":")[6], "/bin/bash");
    const lock = run("user", { name, password: "$6$salt$abc", update_password: "always" });
    assertEquals(lock.changed, true);
    assertEquals(lock.password, "NOT_LOGGING_PASSWORD");
    assertEquals(run("user", { name, password: "$6$salt$abc" }).changed, false);
    const [r1, r2] = runTwice("user", { name, state: "absent", remove: true });
    assertEquals([r1.changed, r2.changed], [true, false]);
    assertEquals(getent("passwd", name), "");
    assertEquals(existsSync(home), false);
  } finally {
    sh(
      `userdel -r ${name} 2>/dev/null || true; groupdel ${grp} 2>/dev/null || true; groupdel ${name} 2>/dev/null || true`,
    );
  }
});

Deno.test("cron: named jobs and variables in a cron file", () => {
  const d = tempDir();
  const file = join(d, "mito-cron");
  // Ansible's cron needs the crontab command even for a cron file it writes itself (this machine may
  // have none): without it the task fails, with a stand-in it works.
  const missing = runModule("cron", { name: "x", job: "/bin/true", cron_file: file, user: "root" }, {
    environment: { PATH: d },
  });
  assertEquals(missing.failed, true);
  assertEquals(
    String(missing.msg).startsWith('Failed to find required executable "crontab" in paths: '),
    true,
  );
  writeFileSync(join(d, "crontab"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  const withCrontab = { environment: { PATH: `${d}:/usr/bin:/bin` } };
  const run = (name: string, args: Record<string, Json>) => runModule(name, args, withCrontab);
  const runTwice = (name: string, args: Record<string, Json>) => runModuleTwice(name, args, withCrontab);
  const job = {
    name: "backup",
    minute: "5",
    hour: "2",
    job: "/usr/local/bin/backup",
    cron_file: file,
    user: "root",
  };
  const [a, b] = runTwice("cron", job);
  assertEquals([a.changed, b.changed], [true, false]);
  assertEquals(readFileSync(file, "utf-8"), "#Ansible: backup\n5 2 * * * root /usr/local/bin/backup\n");
  assertEquals(a.jobs, ["backup"]);
  assertEquals(a.cron_file, file);
  run("cron", { name: "PATH", env: true, job: "/usr/bin:/bin", cron_file: file, user: "root" });
  const upd = run("cron", { ...job, hour: "3", disabled: true });
  assertEquals(upd.changed, true);
  assertEquals(
    readFileSync(file, "utf-8"),
    "PATH=/usr/bin:/bin\n#Ansible: backup\n#5 3 * * * root /usr/local/bin/backup\n",
  );
  assertEquals(upd.envs, ["PATH"]);
  const [r1, r2] = runTwice("cron", { name: "backup", state: "absent", cron_file: file });
  assertEquals([r1.changed, r2.changed], [true, false]);
  run("cron", { name: "PATH", env: true, state: "absent", cron_file: file });
  assertEquals(existsSync(file), false); // an emptied cron file is removed
});

Deno.test("sysctl: keeps one definition in the file; check mode changes nothing", () => {
  const d = tempDir();
  const file = join(d, "99-mito.conf");
  writeFileSync(file, "# tuned\nvm.swappiness = 10\nvm.swappiness=20\n");
  const args = { name: "vm.swappiness", value: "30", sysctl_file: file, reload: false };
  const chk = run("sysctl", args, { check_mode: true });
  assertEquals(chk.changed, true);
  assertEquals(readFileSync(file, "utf-8"), "# tuned\nvm.swappiness = 10\nvm.swappiness=20\n");
  const [a, b] = runTwice("sysctl", args);
  assertEquals([a.changed, b.changed], [true, false]);
  assertEquals(readFileSync(file, "utf-8"), "# tuned\nvm.swappiness=30\n");
  const [x, y] = runTwice("sysctl", {
    name: "vm.swappiness",
    state: "absent",
    sysctl_file: file,
    reload: false,
  });
  assertEquals([x.changed, y.changed], [true, false]);
  assertEquals(readFileSync(file, "utf-8"), "# tuned\n");
  // As Ansible's sysctl: an unknown key is an error only where the kernel is asked (reload, sysctl_set).
  const unknown = run("sysctl", { name: "no.such.key", value: "1", sysctl_file: file, reload: false });
  assertEquals([unknown.failed ?? false, unknown.changed], [false, true]);
  const bad = run("sysctl", { name: "no.such.key", value: "2", sysctl_file: file });
  assertEquals(bad.failed, true);
});

Deno.test("hostname: same name is ok; a new name is a change (check mode only)", () => {
  const same = run("hostname", { name: hostname() }, { check_mode: true });
  assertEquals(same.changed, false);
  const other = run("hostname", { name: "mito-renamed" }, { check_mode: true });
  assertEquals(other.changed, true);
  assertEquals(other.ansible_facts.ansible_hostname, "mito-renamed");
  assertEquals(hostname() === "mito-renamed", false);
});

Deno.test("hostname: really renames inside a private UTS and mount namespace", () => {
  requireRoot();
  const d = tempDir();
  const fake = join(d, "hostname");
  writeFileSync(fake, "before\n");
  // a new UTS namespace for the name, and /etc/hostname bind-mounted from a temp file
  const prefix = [
    "unshare",
    "--uts",
    "--mount",
    "--",
    "sh",
    "-c",
    `mount --bind ${fake} /etc/hostname && exec "$0" "$@"`,
  ];
  const [a, b] = callMany(
    [
      { fn: "run_module", args: ["hostname", { name: "mito-renamed.example", use: "debian" }] },
      { fn: "run_module", args: ["hostname", { name: "mito-renamed.example", use: "debian" }] },
    ],
    {},
    undefined,
    prefix,
  );
  assertEquals([a.changed, b.changed], [true, false]);
  assertEquals(readFileSync(fake, "utf-8"), "mito-renamed.example\n");
  assertEquals(a.ansible_facts.ansible_hostname, "mito-renamed");
  assertEquals(a.ansible_facts.ansible_domain, "example");
  assert(hostname() !== "mito-renamed.example");
});

Deno.test("known_hosts: add, replace a stale key, remove", () => {
  const d = tempDir();
  const path = join(d, "known_hosts");
  writeFileSync(path, "other.example ssh-ed25519 AAAAOTHER\n");
  const key1 = "git.example ssh-ed25519 AAAAKEYONE";
  const [a, b] = runTwice("known_hosts", { name: "git.example", key: key1, path });
  assertEquals([a.changed, b.changed], [true, false]);
  assertEquals(readFileSync(path, "utf-8"), `other.example ssh-ed25519 AAAAOTHER\n${key1}\n`);
  const key2 = "git.example ssh-ed25519 AAAAKEYTWO";
  assertEquals(run("known_hosts", { name: "git.example", key: key2, path }).changed, true);
  assertEquals(readFileSync(path, "utf-8"), `other.example ssh-ed25519 AAAAOTHER\n${key2}\n`);
  const hashed = run("known_hosts", {
    name: "h.example",
    key: "h.example ssh-rsa AAAAH",
    path,
    hash_host: true,
  });
  assertEquals(hashed.changed, true);
  assert(readFileSync(path, "utf-8").includes("|1|"));
  assertEquals(
    run("known_hosts", { name: "h.example", key: "h.example ssh-rsa AAAAH", path }).changed,
    false,
  );
  const [r1, r2] = runTwice("known_hosts", { name: "git.example", path, state: "absent" });
  assertEquals([r1.changed, r2.changed], [true, false]);
  assert(!readFileSync(path, "utf-8").includes("git.example"));
});

Deno.test("authorized_key: add with options, exclusive, absent", () => {
  const d = tempDir();
  const path = join(d, "ssh", "authorized_keys");
  const me = userInfo().username;
  const k1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIONE one@example";
  const k2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITWO two@example";
  const [a, b] = runTwice("authorized_key", { user: me, key: k1, path });
  assertEquals([a.changed, b.changed], [true, false]);
  assertEquals(readFileSync(path, "utf-8"), k1 + "\n");
  assertEquals((statSync(path).mode & 0o777).toString(8), "600");
  assertEquals((statSync(join(d, "ssh")).mode & 0o777).toString(8), "700");
  assertEquals(a.keyfile, path);
  const opt = run("authorized_key", { user: me, key: k1, path, key_options: 'from="10.0.0.1",no-pty' });
  assertEquals(opt.changed, true);
  assertEquals(readFileSync(path, "utf-8"), `from="10.0.0.1",no-pty ${k1}\n`);
  run("authorized_key", { user: me, key: k2, path });
  const ex = run("authorized_key", { user: me, key: k2, path, exclusive: true });
  assertEquals(ex.changed, true);
  assertEquals(readFileSync(path, "utf-8"), k2 + "\n");
  const [r1, r2] = runTwice("authorized_key", { user: me, key: k2, path, state: "absent" });
  assertEquals([r1.changed, r2.changed], [true, false]);
  assertEquals(readFileSync(path, "utf-8"), "");
});

Deno.test("parity with ansible-core: group and user results", () => {
  requireRoot();
  const src = (n: string) => readFileSync(`/usr/lib/python3/dist-packages/ansible/modules/${n}.py`, "utf-8");
  const ours = unique("mitop");
  const theirs = unique("ansp");
  const home = tempDir();
  const seq = (name: string, ansible: boolean) => {
    const mk = (mod: string, args: Record<string, unknown>) =>
      ansible
        ? { fn: "run_ansible_module", args: [src(mod), args], kwargs: { name: mod } }
        : { fn: "run_module", args: [mod, args] };
    return [
      mk("group", { name, system: true }),
      mk("group", { name, system: true }),
      mk("user", { name, group: name, shell: "/bin/sh", comment: "c", home: join(home, name) }),
      mk("user", { name, group: name, shell: "/bin/sh", comment: "c", home: join(home, name) }),
      mk("user", { name, shell: "/bin/bash" }),
      mk("user", { name, state: "absent", remove: true }),
      mk("group", { name, state: "absent" }),
    ];
  };
  try {
    const a = callMany(seq(ours, false));
    const b = callMany(seq(theirs, true));
    const norm = (r: any, name: string) => {
      const o = JSON.parse(JSON.stringify(r).replaceAll(name, "NAME"));
      for (
        const k of ["invocation", "uid", "gid", "group", "stdout", "stderr", "stdout_lines", "stderr_lines"]
      ) {
        delete o[k];
      }
      return o;
    };
    for (let i = 0; i < a.length; i++) assertEquals(norm(a[i], ours), norm(b[i], theirs), `step ${i}`);
  } finally {
    sh(
      `userdel -r ${ours} 2>/dev/null; userdel -r ${theirs} 2>/dev/null; groupdel ${ours} 2>/dev/null; groupdel ${theirs} 2>/dev/null; true`,
    );
  }
});

Deno.test("user: generate_ssh_key makes a key pair owned by the user, once", () => {
  requireRoot();
  const name = unique("mitok");
  try {
    const [a, b] = runTwice("user", {
      name,
      generate_ssh_key: true,
      ssh_key_type: "ed25519",
      ssh_key_comment: "k@mito",
    });
    assertEquals([a.changed, b.changed], [true, false]);
    const home = a.home;
    assertEquals(a.ssh_key_file, join(home, ".ssh", "id_ed25519"));
    assert(a.ssh_public_key.startsWith("ssh-ed25519 "));
    assert(a.ssh_public_key.endsWith(" k@mito"));
    assertEquals(b.ssh_public_key, a.ssh_public_key);
    assertEquals(statSync(join(home, ".ssh", "id_ed25519")).uid, a.uid);
    assert(a.ssh_fingerprint.includes("SHA256:"));
  } finally {
    sh(`userdel -r ${name} 2>/dev/null; groupdel ${name} 2>/dev/null; true`);
  }
});

Deno.test("cron: a user crontab without the crontab tool fails clearly", () => {
  if (existsSync("/usr/bin/crontab")) return; // hosts with cron installed run the e2e suite
  const r = run("cron", { name: "x", job: "true" });
  assertEquals(r.failed, true);
  assert(r.msg.startsWith('Failed to find required executable "crontab"'));
});
