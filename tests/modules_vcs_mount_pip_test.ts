import { assert, assertEquals, assertStringIncludes } from "./_assert.ts";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { userInfo } from "node:os";
import { callMany, run, runTwice, sh, tempDir } from "./modules_harness.ts";

function bareRepo(): { bare: string; work: string; commit: (msg: string) => string } {
  const d = tempDir("mito-git-");
  const bare = join(d, "repo.git");
  const work = join(d, "work");
  sh(`git init -q --bare -b main ${bare} && git init -q -b main ${work}`);
  const git = `git -C ${work} -c user.name=t -c user.email=t@example.com`;
  const commit = (msg: string) => {
    writeFileSync(join(work, "file.txt"), msg + "\n");
    sh(`${git} add file.txt && ${git} commit -q -m ${msg} && ${git} push -q ${bare} main`);
    return sh(`${git} rev-parse HEAD`).trim();
  };
  return { bare, work, commit };
}

Deno.test("git clones a local bare repo, then reports ok, then follows new commits", () => {
  const { bare, commit, work } = bareRepo();
  const first = commit("one");
  const dest = join(tempDir(), "checkout");
  const [a, b] = runTwice("git", { repo: bare, dest });
  assertEquals([a.changed, b.changed], [true, false]);
  assertEquals(a.before, null);
  assertEquals(a.after, first);
  assertEquals(b.before, first);
  assertEquals(b.after, first);
  assertEquals(readFileSync(join(dest, "file.txt"), "utf-8"), "one\n");
  const second = commit("two");
  const chk = run("git", { repo: bare, dest }, { check_mode: true });
  assertEquals(chk.changed, true);
  assertEquals(chk.after, second);
  assertEquals(readFileSync(join(dest, "file.txt"), "utf-8"), "one\n");
  const upd = run("git", { repo: bare, dest });
  assertEquals(upd.changed, true);
  assertEquals([upd.before, upd.after], [first, second]);
  assertEquals(readFileSync(join(dest, "file.txt"), "utf-8"), "two\n");
  sh(`git -C ${work} tag v1 ${first} && git -C ${work} push -q ${bare} v1`);
  const tag = run("git", { repo: bare, dest, version: "v1" });
  assertEquals(tag.changed, true);
  assertEquals(tag.after, first);
  const sha = run("git", { repo: bare, dest, version: second });
  assertEquals(sha.after, second);
  writeFileSync(join(dest, "file.txt"), "local edit\n");
  const dirty = run("git", { repo: bare, dest, version: "main" });
  assertEquals(dirty.failed, true);
  assertEquals(dirty.msg, `Local modifications exist in the destination: ${dest} (force=no).`);
  const forced = run("git", { repo: bare, dest, version: "main", force: true });
  assertEquals(forced.changed, true);
  assertEquals(readFileSync(join(dest, "file.txt"), "utf-8"), "two\n");
});

Deno.test("mount: fstab entries (present/absent) in a given fstab file", () => {
  const d = tempDir();
  const fstab = join(d, "fstab");
  writeFileSync(fstab, "# static\n/dev/vda / ext4 defaults 0 1\n");
  const args = {
    path: "/mnt/data dir",
    src: "/dev/vdb1",
    fstype: "ext4",
    opts: "noatime",
    state: "present",
    fstab,
  };
  const [a, b] = runTwice("mount", args);
  assertEquals([a.changed, b.changed], [true, false]);
  assertEquals(
    readFileSync(fstab, "utf-8"),
    "# static\n/dev/vda / ext4 defaults 0 1\n/dev/vdb1 /mnt/data\\040dir ext4 noatime 0 0\n",
  );
  assertEquals(run("mount", { ...args, opts: "noatime,ro" }).changed, true);
  assertStringIncludes(readFileSync(fstab, "utf-8"), "ext4 noatime,ro 0 0");
  const [r1, r2] = runTwice("mount", { path: "/mnt/data dir", state: "absent", fstab });
  assertEquals([r1.changed, r2.changed], [true, false]);
  assertEquals(readFileSync(fstab, "utf-8"), "# static\n/dev/vda / ext4 defaults 0 1\n");
});

Deno.test("mount: mounted and unmounted with a real tmpfs (root)", () => {
  if (userInfo().uid !== 0) throw new Error("this test needs root (it mounts a tmpfs)");
  const d = tempDir();
  const fstab = join(d, "fstab");
  const mnt = join(d, "mnt");
  try {
    const args = { path: mnt, src: "tmpfs", fstype: "tmpfs", opts: "size=1m", state: "mounted", fstab };
    const [a, b] = runTwice("mount", args);
    assertEquals([a.changed, b.changed], [true, false]);
    assert(readFileSync("/proc/mounts", "utf-8").includes(` ${mnt} tmpfs `));
    const [u1, u2] = runTwice("mount", { path: mnt, state: "unmounted", fstab });
    assertEquals([u1.changed, u2.changed], [true, false]);
    assert(!readFileSync("/proc/mounts", "utf-8").includes(` ${mnt} `));
    assertStringIncludes(readFileSync(fstab, "utf-8"), `tmpfs ${mnt} tmpfs size=1m 0 0`);
  } finally {
    sh(`umount ${mnt} 2>/dev/null || true`);
  }
});

Deno.test("pip: installed packages are ok, missing ones are a change in check mode", () => {
  const pipOk = sh("/usr/bin/python3 -m pip --version >/dev/null 2>&1 && echo yes || echo no").trim();
  if (pipOk !== "yes") throw new Error("pip is not installed for /usr/bin/python3");
  const [have, missing, absent, venv] = callMany([
    { fn: "run_module", args: ["pip", { name: ["pip"] }] },
    { fn: "run_module", args: ["pip", { name: ["mito-no-such-dist"] }], kwargs: { check_mode: true } },
    { fn: "run_module", args: ["pip", { name: ["mito-no-such-dist"], state: "absent" }] },
    {
      fn: "run_module",
      args: ["pip", { name: ["pip"], virtualenv: join(tempDir(), "venv") }],
      kwargs: { check_mode: true },
    },
  ]);
  assertEquals(have.changed, false, have.msg);
  assertEquals(have.failed, false);
  assertEquals(missing.changed, true);
  assertEquals(absent.changed, false);
  assertEquals(venv.changed, true);
  const ver = sh("/usr/bin/python3 -m pip --version").split(" ")[1];
  assertEquals(run("pip", { name: ["pip"], version: ver }).changed, false);
  assertEquals(run("pip", { name: ["pip>=1.0"] }).changed, false);
  assertEquals(run("pip", { name: [`pip<1.0`] }, { check_mode: true }).changed, true);
});
