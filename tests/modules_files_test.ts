import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { callMany, run, runTwice, sh, tempDir } from "./modules_harness.ts";
import { userInfo } from "node:os";

const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8).padStart(4, "0");
const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

Deno.test("file state=directory creates parents with the mode, then reports ok", () => {
  const d = tempDir();
  const p = join(d, "a", "b");
  const [first, second] = runTwice("file", { path: p, state: "directory", mode: "0750" });
  assertEquals(first.changed, true);
  assertEquals(second.changed, false);
  assertEquals(mode(p), "0750");
  assertEquals(mode(join(d, "a")), "0750");
  assertEquals(second.state, "directory");
  assertEquals(second.mode, "0750");
  assertEquals(second.path, p);
  assertEquals(typeof second.uid, "number");
});

Deno.test("file mode accepts symbolic modes and diff shows before/after", () => {
  const d = tempDir();
  const f = join(d, "f");
  writeFileSync(f, "x", { mode: 0o644 });
  const r = run("file", { path: f, mode: "u+x,g-r,o=" }, { diff: true });
  assertEquals(r.changed, true);
  assertEquals(mode(f), "0700");
  assertEquals(r.diff.before, { path: f, mode: "0644" });
  assertEquals(r.diff.after, { path: f, mode: "0700" });
  assertEquals(run("file", { path: f, mode: "0700" }).changed, false);
});

Deno.test("file state=touch creates; state=absent removes; check mode changes nothing", () => {
  const d = tempDir();
  const f = join(d, "t");
  const chk = run("file", { path: f, state: "touch" }, { check_mode: true });
  assertEquals(chk.changed, true);
  assertEquals(existsSync(f), false);
  const t = run("file", { path: f, state: "touch", mode: "0600" });
  assertEquals(t.changed, true);
  assertEquals(mode(f), "0600");
  const pinned = { path: f, state: "touch", modification_time: "202001021030.00", access_time: "preserve" };
  const [a, b] = runTwice("file", pinned);
  assertEquals([a.changed, b.changed], [true, false]);
  assertEquals(statSync(f).mtime.getFullYear(), 2020);
  const [r1, r2] = runTwice("file", { path: f, state: "absent" });
  assertEquals([r1.changed, r2.changed], [true, false]);
  assertEquals(existsSync(f), false);
  mkdirSync(join(d, "tree", "x"), { recursive: true });
  assertEquals(run("file", { path: join(d, "tree"), state: "absent" }).changed, true);
  assertEquals(existsSync(join(d, "tree")), false);
});

Deno.test("file state=link and state=hard", () => {
  const d = tempDir();
  writeFileSync(join(d, "target"), "data");
  const l = join(d, "lnk");
  const [a, b] = runTwice("file", { path: l, state: "link", src: "target" });
  assertEquals([a.changed, b.changed], [true, false]);
  assertEquals(readlinkSync(l), "target");
  assertEquals(b.state, "link");
  assertEquals(b.dest, l);
  const re = run("file", { path: l, state: "link", src: join(d, "target") });
  assertEquals(re.changed, true);
  assertEquals(readlinkSync(l), join(d, "target"));
  const missing = run("file", { path: join(d, "dangling"), state: "link", src: join(d, "nope") });
  assertEquals(missing.failed, true);
  assert(missing.msg.startsWith("src file does not exist"));
  const forced = run("file", { path: join(d, "dangling"), state: "link", src: join(d, "nope"), force: true });
  assertEquals(forced.changed, true);
  const h = join(d, "hard");
  const [h1, h2] = runTwice("file", { path: h, state: "hard", src: join(d, "target") });
  assertEquals([h1.changed, h2.changed], [true, false]);
  assertEquals(statSync(h).ino, statSync(join(d, "target")).ino);
  const refuse = run("file", { path: join(d, "target"), state: "link", src: "lnk" });
  assertEquals(refuse.failed, true);
  assertEquals(refuse.msg, `refusing to convert from hard to symlink for ${join(d, "target")}`);
});

Deno.test("file state=file on a missing path fails; recurse applies the mode below", () => {
  const d = tempDir();
  const r = run("file", { path: join(d, "nope"), state: "file" });
  assertEquals(r.failed, true);
  assertEquals(r.msg, `file (${join(d, "nope")}) is absent, cannot continue`);
  mkdirSync(join(d, "r", "s"), { recursive: true });
  writeFileSync(join(d, "r", "s", "f"), "");
  const [a, b] = runTwice("file", {
    path: join(d, "r"),
    state: "directory",
    recurse: true,
    mode: "u=rwX,g=rX,o=",
  });
  assertEquals([a.changed, b.changed], [true, false]);
  assertEquals(mode(join(d, "r", "s")), "0750");
  assertEquals(mode(join(d, "r", "s", "f")), "0640");
});

Deno.test("copy writes content atomically into a directory dest and is idempotent", () => {
  const d = tempDir();
  const args = { content: "hello\n", dest: d + "/", _original_basename: "x.txt", mode: "0640" };
  const [a, b] = runTwice("copy", args);
  const dest = join(d, "x.txt");
  assertEquals(a.changed, true);
  assertEquals(b.changed, false);
  assertEquals(readFileSync(dest, "utf-8"), "hello\n");
  assertEquals(mode(dest), "0640");
  for (const r of [a, b]) {
    assertEquals(r.dest, dest);
    assertEquals(r.checksum, sha1("hello\n"));
    assertEquals(r.size, 6);
    assertEquals(r.state, "file");
    assertEquals(r.mode, "0640");
    assertEquals(typeof r.owner, "string");
    assertEquals(typeof r.gid, "number");
  }
  // written: the content's md5 and the temporary file renamed into place; already there: the file
  // module's shape, as Ansible's copy action hands over to it
  assertEquals(a.md5sum, "b1946ac92492d2347c6235b4d2611184");
  assertMatch(a.src, new RegExp(`^${d}/\\.mito_tmp_\\w+$`));
  assertEquals([b.md5sum, b.src, b.path], [undefined, undefined, dest]);
  assertEquals(a.invocation.module_args.content, "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER");
  assertEquals(readdirSync(d), ["x.txt"]); // no temp files left behind
});

Deno.test("copy from a target-side src with checksum, backup, diff and check mode", () => {
  const d = tempDir();
  const src = join(d, "src");
  const dest = join(d, "dest");
  writeFileSync(src, "new\n");
  writeFileSync(dest, "old\n", { mode: 0o600 });
  const chk = run("copy", { src, dest, checksum: sha1("new\n") }, { check_mode: true, diff: true });
  assertEquals(chk.changed, true);
  assertEquals(chk.diff, { before: "old\n", after: "new\n", before_header: dest, after_header: src });
  assertEquals(readFileSync(dest, "utf-8"), "old\n");
  const r = run("copy", { src, dest, backup: true, checksum: sha1("new\n") });
  assertEquals(r.changed, true);
  assertEquals(readFileSync(dest, "utf-8"), "new\n");
  assertEquals(mode(dest), "0600"); // an existing file keeps its mode
  assertEquals(readFileSync(r.backup_file, "utf-8"), "old\n");
  assert(r.backup_file.startsWith(dest + "."));
  assertEquals(existsSync(src), true);
  const bad = run("copy", { src, dest, checksum: "0".repeat(40) });
  assertEquals(bad.failed, true);
  assertEquals(bad.msg, "Copied file does not match the expected checksum. Transfer failed.");
});

Deno.test("copy honours force=no, validate and a missing destination directory", () => {
  const d = tempDir();
  const dest = join(d, "f");
  writeFileSync(dest, "keep");
  const r = run("copy", { content: "other", dest, force: false });
  assertEquals(r.changed, false);
  assertEquals(r.msg, "file already exists");
  assertEquals(readFileSync(dest, "utf-8"), "keep");
  const v = run("copy", { content: "other", dest, validate: "grep -q nomatch %s" });
  assertEquals(v.failed, true);
  assertEquals(v.msg, "failed to validate");
  assertEquals(v.exit_status, 1);
  assertEquals(readFileSync(dest, "utf-8"), "keep");
  assertEquals(run("copy", { content: "other", dest, validate: "grep -q other %s" }).changed, true);
  const m = run("copy", { content: "payload", dest: join(d, "no", "such") });
  assertEquals(m.msg, `Destination directory ${join(d, "no")} does not exist`);
  const mk = run("copy", {
    content: "x",
    dest: join(d, "new", "dir") + "/",
    _original_basename: "y",
    directory_mode: "0700",
  });
  assertEquals(mk.changed, true);
  assertEquals(mode(join(d, "new", "dir")), "0700");
  assertEquals(readFileSync(join(d, "new", "dir", "y"), "utf-8"), "x");
});

Deno.test("copy remote_src copies a directory tree, then reports ok", () => {
  const d = tempDir();
  mkdirSync(join(d, "src", "sub"), { recursive: true });
  writeFileSync(join(d, "src", "a"), "A");
  writeFileSync(join(d, "src", "sub", "b"), "B");
  const [x, y] = runTwice("copy", { src: join(d, "src") + "/", dest: join(d, "out"), remote_src: true });
  assertEquals([x.changed, y.changed], [true, false]);
  assertEquals(readFileSync(join(d, "out", "sub", "b"), "utf-8"), "B");
  const [z] = runTwice("copy", { src: join(d, "src"), dest: join(d, "out2"), remote_src: true });
  assertEquals(z.changed, true);
  assertEquals(readFileSync(join(d, "out2", "src", "a"), "utf-8"), "A");
});

Deno.test("template puts rendered text in place like copy", () => {
  const d = tempDir();
  const dest = join(d, "t.conf");
  const [a, b] = runTwice("template", { content: "port=80\n", dest, mode: "0644" });
  assertEquals([a.changed, b.changed], [true, false]);
  assertEquals(readFileSync(dest, "utf-8"), "port=80\n");
  assertEquals(a.checksum, sha1("port=80\n"));
});

Deno.test("stat reports Ansible's keys for files, links and missing paths", () => {
  const d = tempDir();
  const f = join(d, "f");
  writeFileSync(f, "abc", { mode: 0o640 });
  const [r, missing, lnk] = callMany([
    { fn: "run_module", args: ["stat", { path: f, checksum_algorithm: "sha256" }] },
    { fn: "run_module", args: ["stat", { path: join(d, "nope") }] },
    { fn: "run_module", args: ["stat", { path: d + "/l" }] },
  ]);
  assertEquals(r.changed, false);
  const s = r.stat;
  assertEquals(s.exists, true);
  assertEquals(s.path, f);
  assertEquals(s.mode, "0640");
  assertEquals([s.isreg, s.isdir, s.islnk], [true, false, false]);
  assertEquals([s.rusr, s.wusr, s.xusr, s.rgrp, s.wgrp, s.roth], [true, true, false, true, false, false]);
  assertEquals(s.size, 3);
  assertEquals(s.inode, lstatSync(f).ino);
  assertEquals(s.checksum, createHash("sha256").update("abc").digest("hex"));
  assertEquals(s.mimetype, "text/plain");
  assertEquals(typeof s.mtime, "number");
  assertEquals(missing.stat, { exists: false });
  assertEquals(lnk.stat, { exists: false });
});

Deno.test("copy: short content is censored in the invocation without masking the output", () => {
  const d = tempDir();
  const r = run("copy", { content: "0", dest: join(d, "zero"), mode: "0644" });
  assertEquals(r.mode, "0644");
  assertEquals(r.dest, join(d, "zero"));
  assertEquals(r.invocation.module_args.content, "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER");
  assertEquals(readFileSync(join(d, "zero"), "utf-8"), "0");
});

Deno.test("copy: binary content in _content_base64 lands byte for byte", () => {
  const d = tempDir();
  const [a, b] = runTwice("copy", { _content_base64: btoa("\x00\x01\xffbin"), dest: join(d, "bin") });
  assertEquals([a.changed, b.changed], [true, false]);
  assertEquals([...readFileSync(join(d, "bin"))], [0, 1, 255, 98, 105, 110]);
});

Deno.test("file owner and group by name or number, with diff", () => {
  if (userInfo().uid !== 0) throw new Error("this test needs root (it chowns to nobody)");
  const d = tempDir();
  const f = join(d, "owned");
  writeFileSync(f, "");
  const nobody = Number(sh("id -u nobody").trim());
  const nogroup = Number(sh("getent group nogroup | cut -d: -f3").trim());
  const [a, b] = runTwice("file", { path: f, owner: "nobody", group: String(nogroup) }, { diff: true });
  assertEquals([a.changed, b.changed], [true, false]);
  assertEquals([statSync(f).uid, statSync(f).gid], [nobody, nogroup]);
  assertEquals(a.diff.before.owner, 0);
  assertEquals(a.diff.after.owner, nobody);
  assertEquals(a.owner, "nobody");
  const bad = run("file", { path: f, owner: "mito-no-such-user" });
  assertEquals(bad.failed, true);
  assertEquals(bad.msg, "chown failed: failed to look up user mito-no-such-user");
});

Deno.test("file attributes: chattr +i / -i with lsattr-based change detection", () => {
  if (userInfo().uid !== 0) throw new Error("this test needs root (chattr +i)");
  const d = tempDir();
  const f = join(d, "locked");
  writeFileSync(f, "x");
  try {
    const [a, b] = runTwice("file", { path: f, attributes: "+i" });
    assertEquals([a.changed, b.changed], [true, false]);
    assert(sh(`lsattr -d ${f}`).split(" ")[0].includes("i"));
    const [c, e] = runTwice("file", { path: f, attributes: "-i" });
    assertEquals([c.changed, e.changed], [true, false]);
    assert(!sh(`lsattr -d ${f}`).split(" ")[0].includes("i"));
  } finally {
    sh(`chattr -i ${f} 2>/dev/null || true`);
  }
});
