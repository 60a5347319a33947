// synchronize: the rsync command line planned from a host's connection settings (pure), and `mito run`
// pushing and pulling trees to the test sshd as root and through sudo, idempotent, with delete, check
// mode, delegation and a local connection; connection types rsync cannot use fail with the reason.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import { type TestEnv, testEnv, TestEnvMissingError } from "./_testenv.ts";
import { mitoIn } from "./_run.ts";
import { planSynchronize } from "../playbook/remote/_sync.ts";
import type { ModuleRequest } from "../playbook/runner.ts";

function request(over: Partial<ModuleRequest> & { args: Record<string, unknown> }): ModuleRequest {
  return {
    host: "web",
    targetHost: "web",
    module: "synchronize",
    checkMode: false,
    diff: false,
    noLog: false,
    become: { become: false, method: "sudo", user: "root" },
    environment: {},
    connectionVars: { ansible_host: "10.0.0.5", ansible_user: "deploy" },
    searchPath: ["/play"],
    asyncSeconds: 0,
    poll: 15,
    timeout: 0,
    verbosity: 0,
    ...over,
  };
}

const MARK = "'--out-format=<<CHANGED>>%i %n%L'";

Deno.test("plan: a push from the controller uses the host's key, port, user and ssh arguments", () => {
  const p = planSynchronize(
    request({
      args: { src: "/srv/app/", dest: "/opt/app" },
      connectionVars: {
        ansible_host: "10.0.0.5",
        ansible_user: "deploy",
        ansible_port: 2222,
        ansible_ssh_private_key_file: "/keys/id",
        ansible_ssh_common_args: "-o ProxyJump=bastion",
      },
    }),
    {},
  );
  assert(p.ok);
  assertEquals(p.where, { kind: "controller" });
  assertEquals(
    p.cmd,
    "rsync --delay-updates -F --compress --archive " +
      "'--rsh=ssh -S none -i /keys/id -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null " +
      `-o Port=2222 -o ProxyJump=bastion' ${MARK} /srv/app/ deploy@10.0.0.5:/opt/app`,
  );
});

Deno.test("plan: options map to rsync flags; become is sudo on the far side; pull puts the host first", () => {
  const p = planSynchronize(
    request({
      args: {
        mode: "pull",
        src: "/etc/app",
        dest: "/backup/",
        archive: false,
        links: true,
        times: "yes",
        checksum: true,
        compress: false,
        delete: true,
        recursive: true,
        existing_only: true,
        partial: true,
        rsync_timeout: 30,
        dest_port: 2200,
        private_key: "/other/key",
        verify_host: true,
        set_remote_user: false,
        rsync_opts: ["--exclude=.git", "--no-motd"],
      },
      become: { become: true, method: "sudo", user: "app" },
      checkMode: true,
    }),
    {},
  );
  assert(p.ok);
  assertEquals(
    p.argv,
    [
      "rsync",
      "--delay-updates",
      "-F",
      "--checksum",
      "--recursive",
      "--links",
      "--times",
      "--existing",
      "--delete-after",
      "--partial",
      "--timeout=30",
      "--dry-run",
      "--rsh=ssh -S none -i /other/key -o Port=2200",
      "--rsync-path=sudo -u app rsync",
      "--out-format=<<CHANGED>>%i %n%L",
      "--exclude=.git",
      "--no-motd",
      "10.0.0.5:/etc/app",
      "/backup/",
    ],
  );
});

Deno.test("plan: archive flags can be turned off one by one; rsync_path beats become", () => {
  const p = planSynchronize(
    request({
      args: { src: "/a", dest: "/b", owner: false, group: "no", rsync_path: "su -c rsync" },
      become: { become: true, method: "su", user: "root" },
    }),
    {},
  );
  assert(p.ok);
  assertEquals(p.argv.slice(0, 7), [
    "rsync",
    "--delay-updates",
    "-F",
    "--compress",
    "--archive",
    "--no-owner",
    "--no-group",
  ]);
  assertStringIncludes(p.cmd, "'--rsync-path=su -c rsync'");
});

Deno.test("plan: connections rsync cannot use are refused with the reason", () => {
  const docker = planSynchronize(
    request({ args: { src: "/a", dest: "/b" }, connectionVars: { ansible_connection: "docker" } }),
    {},
  );
  assertEquals(docker, {
    ok: false,
    msg: "synchronize: rsync cannot reach web over its docker connection; it needs ssh or local " +
      "(use copy or fetch instead)",
  });
  const via = planSynchronize(
    request({
      args: { src: "/a", dest: "/b" },
      connectionVars: { ansible_host: "10.0.0.5", mitogen_via: "bastion" },
      hostConnectionVars: (h) => h === "bastion" ? { ansible_host: "10.0.0.1" } : undefined,
    }),
    {},
  );
  assert(!via.ok);
  assertMatch(via.msg, /^synchronize: rsync cannot reach web through ssh -> ssh \(mitogen_via/);
  const su = planSynchronize(
    request({ args: { src: "/a", dest: "/b" }, become: { become: true, method: "su", user: "root" } }),
    {},
  );
  assert(!su.ok);
  assertStringIncludes(su.msg, "become_method su cannot wrap the remote rsync");
  const missing = planSynchronize(request({ args: { dest: "/b" } }), {});
  assertEquals(missing, { ok: false, msg: "synchronize: src is required" });
});

Deno.test("plan: delegated to another host, rsync runs there and reaches the inventory host by its vars", () => {
  const p = planSynchronize(
    request({
      targetHost: "builder",
      args: { src: "/out/", dest: "/srv/" },
      connectionVars: { ansible_host: "10.0.0.9", ansible_user: "ci", keyword_remote_user: "ops" },
      hostConnectionVars: (h) => h === "web" ? { ansible_host: "10.0.0.5" } : undefined,
    }),
    {},
  );
  assert(p.ok);
  assertEquals(p.where, { kind: "context", become: false });
  // remote_user: on the task applies to the inventory host the delegate connects to.
  assertEquals(p.argv.slice(-2), ["/out/", "ops@10.0.0.5:/srv/"]);
});

Deno.test("plan: a local host synchronizes on the machine itself, with the task's become", () => {
  const p = planSynchronize(
    request({
      host: "localhost",
      targetHost: "localhost",
      args: { src: "/a/", dest: "/b" },
      connectionVars: { ansible_connection: "local" },
      become: { become: true, method: "sudo", user: "root" },
    }),
    {},
  );
  assert(p.ok);
  assertEquals(p.where, { kind: "context", become: true });
  assert(!p.cmd.includes("--rsh"));
  assertEquals(p.argv.slice(-2), ["/a/", "/b"]);
});

// ---- end to end against the test sshd ----

interface Fixture {
  dir: string;
  /** Target-side directories (same machine, written as root or through sudo). */
  remote: string;
  hosts: string;
}

function fixture(env: TestEnv): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-sync-"));
  const remote = fs.mkdtempSync(path.join("/var/tmp", "mito-sync-remote-"));
  const a = env.accounts;
  const h = `ansible_host=${env.sshd.host} ansible_port=${env.sshd.port}`;
  fs.writeFileSync(
    path.join(dir, "hosts"),
    [
      "[targets]",
      `as_root ${h} ansible_user=root`,
      `via_sudo ${h} ansible_user=${a.sudo_nopassword.user} ansible_become=true`,
      "[local]",
      "here ansible_connection=local",
      "[boxes]",
      "box ansible_connection=docker",
      "[all:vars]",
      `ansible_ssh_private_key_file=${env.clientKey}`,
      `ansible_ssh_common_args='-o UserKnownHostsFile=${env.sshd.knownHosts} -o StrictHostKeyChecking=yes'`,
      "ansible_python_interpreter=/usr/bin/python3",
      "",
    ].join("\n"),
  );
  fs.writeFileSync(path.join(dir, "ansible.cfg"), "[defaults]\nretry_files_enabled = false\n");
  const tree = path.join(dir, "files/tree");
  fs.mkdirSync(path.join(tree, "sub"), { recursive: true });
  fs.writeFileSync(path.join(tree, "a.txt"), "alpha\n");
  fs.writeFileSync(path.join(tree, "sub/b.txt"), "bravo\n");
  fs.symlinkSync("a.txt", path.join(tree, "link"));
  return { dir, remote, hosts: path.join(dir, "hosts") };
}

function cleanup(f: Fixture): void {
  fs.rmSync(f.dir, { recursive: true, force: true });
  fs.rmSync(f.remote, { recursive: true, force: true });
}

type HostResult = Record<string, unknown>;

/** Runs a one-task playbook with the json callback; returns each host's result and the recap. */
function runTask(
  f: Fixture,
  hosts: string,
  task: string,
  extra: string[] = [],
): { code: number; results: Record<string, HostResult>; stats: Record<string, Record<string, number>> } {
  fs.writeFileSync(
    path.join(f.dir, "play.yml"),
    `- hosts: ${hosts}\n  gather_facts: false\n  tasks:\n    - ${task.trim().split("\n").join("\n      ")}\n`,
  );
  const r = mitoIn(f.dir, ["-i", f.hosts, "play.yml", ...extra], {
    ANSIBLE_STDOUT_CALLBACK: "json",
    MITO_MODULES: "builtin",
  });
  let out;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    throw new Error(`mito run did not print JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, results: out.plays[0].tasks[0].hosts, stats: out.stats };
}

function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(path.join(root, r));
      if (st.isSymbolicLink()) out[r] = `-> ${fs.readlinkSync(path.join(root, r))}`;
      else if (st.isDirectory()) {
        out[`${r}/`] = "";
        walk(r);
      } else out[r] = fs.readFileSync(path.join(root, r), "utf8");
    }
  };
  walk("");
  return out;
}

const SYNCED = { "a.txt": "alpha\n", "link": "-> a.txt", "sub/": "", "sub/b.txt": "bravo\n" };

Deno.test("push as root and through sudo: files arrive, a second run is unchanged", () => {
  const f = fixture(testEnv());
  try {
    const task = `ansible.posix.synchronize:\n  src: tree/\n  dest: ${f.remote}/{{ inventory_hostname }}/`;
    const first = runTask(f, "targets", task);
    assertEquals(first.code, 0, JSON.stringify(first.results));
    for (const host of ["as_root", "via_sudo"]) {
      const r = first.results[host];
      assertEquals(r.changed, true);
      assertEquals(r.rc, 0);
      assert((r.stdout_lines as string[]).includes("<f+++++++++ sub/b.txt"), String(r.msg));
      assertEquals(tree(path.join(f.remote, host)), SYNCED);
      // Written by root: as root directly, or by `sudo rsync` for the sudo account.
      assertEquals(fs.statSync(path.join(f.remote, host, "sub/b.txt")).uid, 0);
    }
    assertStringIncludes(String(first.results.via_sudo.cmd), "'--rsync-path=sudo rsync'");
    assertStringIncludes(String(first.results.via_sudo.cmd), `${testEnv().accounts.sudo_nopassword.user}@`);
    assert(!String(first.results.as_root.cmd).includes("--rsync-path"));

    const second = runTask(f, "targets", task);
    assertEquals(second.code, 0);
    for (const host of ["as_root", "via_sudo"]) {
      assertEquals(second.results[host].changed, false);
      assertEquals(second.results[host].stdout_lines, []);
      assertEquals(second.stats[host].changed, 0);
    }
  } finally {
    cleanup(f);
  }
});

Deno.test("delete removes what src lacks; check mode reports the change and leaves the target alone", () => {
  const f = fixture(testEnv());
  try {
    const dest = `${f.remote}/{{ inventory_hostname }}/`;
    assertEquals(runTask(f, "as_root", `synchronize:\n  src: tree/\n  dest: ${dest}`).code, 0);
    const target = path.join(f.remote, "as_root");
    fs.writeFileSync(path.join(target, "stray.txt"), "not in src\n");
    fs.writeFileSync(path.join(f.dir, "files/tree/a.txt"), "alpha v2\n");

    const check = runTask(f, "as_root", `synchronize:\n  src: tree/\n  dest: ${dest}\n  delete: true`, [
      "--check",
    ]);
    assertEquals(check.code, 0);
    const r = check.results.as_root;
    assertEquals(r.changed, true);
    assertStringIncludes(String(r.cmd), "--dry-run");
    assert((r.stdout_lines as string[]).includes("*deleting   stray.txt"), String(r.msg));
    assert((r.stdout_lines as string[]).some((l) => / a\.txt$/.test(l) && l.startsWith("<f")), String(r.msg));
    assertEquals(fs.readFileSync(path.join(target, "a.txt"), "utf8"), "alpha\n");
    assert(fs.existsSync(path.join(target, "stray.txt")));

    const real = runTask(f, "as_root", `synchronize:\n  src: tree/\n  dest: ${dest}\n  delete: true`);
    assertEquals(real.results.as_root.changed, true);
    assertEquals(tree(target), { ...SYNCED, "a.txt": "alpha v2\n" });
    const again = runTask(f, "as_root", `synchronize:\n  src: tree/\n  dest: ${dest}\n  delete: true`);
    assertEquals(again.results.as_root.changed, false);
  } finally {
    cleanup(f);
  }
});

Deno.test("pull brings the host's tree to the controller, through sudo too, and is idempotent", () => {
  const f = fixture(testEnv());
  try {
    const src = path.join(f.remote, "origin");
    fs.mkdirSync(path.join(src, "deep"), { recursive: true });
    fs.writeFileSync(path.join(src, "deep/c.txt"), "charlie\n");
    fs.chmodSync(src, 0o700); // only root (sudo rsync) can read it
    const task = `synchronize:\n  mode: pull\n  src: ${src}/\n  dest: pulled-{{ inventory_hostname }}/`;
    const first = runTask(f, "targets", task);
    assertEquals(first.code, 0, JSON.stringify(first.results));
    for (const host of ["as_root", "via_sudo"]) {
      assertEquals(first.results[host].changed, true);
      // A relative local dest is the playbook directory's, as in Ansible.
      assertEquals(tree(path.join(f.dir, `pulled-${host}`)), { "deep/": "", "deep/c.txt": "charlie\n" });
    }
    const second = runTask(f, "targets", task);
    assertEquals(second.results.as_root.changed, false);
    assertEquals(second.results.via_sudo.changed, false);
  } finally {
    cleanup(f);
  }
});

Deno.test("delegated to another host: rsync runs there (over its own context) and pushes to the host", () => {
  const f = fixture(testEnv());
  try {
    // The delegate's source: a path on the delegate (the same machine here, reached as root over ssh).
    const src = path.join(f.remote, "on-delegate");
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, "d.txt"), "delta\n");
    const task = `synchronize:\n  src: ${src}/\n  dest: ${f.remote}/delegated/\n` +
      `delegate_to: as_root`;
    const r = runTask(f, "via_sudo", task);
    assertEquals(r.code, 0, JSON.stringify(r.results));
    assertEquals(r.results.via_sudo.changed, true);
    assertStringIncludes(String(r.results.via_sudo.cmd), "'--rsync-path=sudo rsync'");
    assertEquals(tree(path.join(f.remote, "delegated")), { "d.txt": "delta\n" });
    assertEquals(fs.statSync(path.join(f.remote, "delegated/d.txt")).uid, 0);
  } finally {
    cleanup(f);
  }
});

Deno.test("a local host syncs without ssh; a docker host fails with the reason", () => {
  const f = fixture(testEnv());
  try {
    const local = runTask(f, "here", `synchronize:\n  src: tree/\n  dest: ${f.remote}/local/`);
    assertEquals(local.code, 0, JSON.stringify(local.results));
    assertEquals(local.results.here.changed, true);
    assert(!String(local.results.here.cmd).includes("--rsh"));
    assertEquals(tree(path.join(f.remote, "local")), SYNCED);

    const docker = runTask(f, "box", `synchronize:\n  src: tree/\n  dest: /srv/`);
    assertEquals(docker.code, 2);
    assertEquals(docker.results.box.failed, true);
    assertEquals(
      docker.results.box.msg,
      "synchronize: rsync cannot reach box over its docker connection; it needs ssh or local " +
        "(use copy or fetch instead)",
    );
  } finally {
    cleanup(f);
  }
});

Deno.test({
  name: "the same push with ansible-playbook (ansible.posix) gives the same files and changed flags",
  fn() {
    // ansible.posix is not part of Debian's ansible-core: Debian's ansible package brings it.
    const posix = spawnSync("/usr/bin/ansible-doc", ["-t", "module", "--list", "ansible.posix"], {
      encoding: "utf8",
      timeout: 60_000,
    });
    if (posix.status !== 0 || !/ansible\.posix\.synchronize/.test(posix.stdout ?? "")) {
      throw new TestEnvMissingError("this test needs ansible.posix (Debian's ansible package)");
    }
    const f = fixture(testEnv());
    try {
      const task =
        `ansible.posix.synchronize:\n  src: tree/\n  dest: ${f.remote}/{{ inventory_hostname }}-m/`;
      const m = runTask(f, "targets", task);
      const play = path.join(f.dir, "play.yml");
      fs.writeFileSync(play, fs.readFileSync(play, "utf8").replace("-m/", "-a/"));
      const a = spawnSync("/usr/bin/ansible-playbook", ["-i", f.hosts, "play.yml"], {
        cwd: f.dir,
        encoding: "utf8",
        env: { PATH: "/usr/bin:/bin", HOME: "/root", ANSIBLE_CONFIG: path.join(f.dir, "ansible.cfg") },
      });
      assertEquals(a.status, 0, a.stdout);
      for (const host of ["as_root", "via_sudo"]) {
        assertMatch(a.stdout, new RegExp(`${host} +: ok=1 +changed=1 `));
      }
      for (const host of ["as_root", "via_sudo"]) {
        assertEquals(m.results[host].changed, true);
        assertEquals(tree(path.join(f.remote, `${host}-m`)), tree(path.join(f.remote, `${host}-a`)));
      }
    } finally {
      cleanup(f);
    }
  },
});
