import { assert, assertEquals } from "./_assert.ts";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, runTwice, sh, tempDir } from "./modules_harness.ts";

Deno.test("assemble joins fragments in order with a delimiter, then reports ok", () => {
  const d = tempDir();
  const frag = join(d, "frags");
  mkdirSync(frag);
  writeFileSync(join(frag, "10-b"), "b");
  writeFileSync(join(frag, "01-a"), "a\n");
  writeFileSync(join(frag, ".hidden"), "h\n");
  writeFileSync(join(frag, "20-c.skip"), "c\n");
  const dest = join(d, "out");
  const args = {
    src: frag,
    dest,
    delimiter: "# --",
    regexp: "^\\d+-[a-z]$",
    ignore_hidden: true,
    mode: "0600",
  };
  const [a, b] = runTwice("assemble", args);
  assertEquals([a.changed, b.changed], [true, false]);
  assertEquals(readFileSync(dest, "utf-8"), "a\n# --\nb");
  assertEquals((statSync(dest).mode & 0o777).toString(8), "600");
  assertEquals(a.msg, "OK");
  assertEquals(a.size, 8);
  const missing = run("assemble", { src: join(d, "nope"), dest });
  assertEquals(missing.msg, `Source (${join(d, "nope")}) does not exist`);
});

Deno.test("unarchive unpacks tar.gz once, lists files and honours creates", () => {
  const d = tempDir();
  mkdirSync(join(d, "tree", "sub"), { recursive: true });
  writeFileSync(join(d, "tree", "a.txt"), "A");
  writeFileSync(join(d, "tree", "sub", "b.txt"), "B");
  sh(`tar -czf ${join(d, "t.tgz")} -C ${join(d, "tree")} .`);
  const dest = join(d, "out");
  mkdirSync(dest);
  const args = { src: join(d, "t.tgz"), dest, remote_src: true, list_files: true };
  const [x, y] = runTwice("unarchive", args);
  assertEquals([x.changed, y.changed], [true, false]);
  assertEquals(x.handler, "TgzArchive");
  assertEquals(readFileSync(join(dest, "sub", "b.txt"), "utf-8"), "B");
  assert(x.files.includes("./sub/b.txt"));
  writeFileSync(join(dest, "a.txt"), "changed locally");
  assertEquals(run("unarchive", args).changed, true);
  assertEquals(readFileSync(join(dest, "a.txt"), "utf-8"), "A");
  const skipped = run("unarchive", { ...args, creates: join(dest, "a.txt") });
  assertEquals(skipped.changed, false);
  const notDir = run("unarchive", { ...args, dest: join(d, "nope") });
  assertEquals(notDir.msg, `Destination '${join(d, "nope")}' is not a directory`);
});

Deno.test("unarchive unpacks zip archives; check mode writes nothing", () => {
  const d = tempDir();
  sh(
    `/usr/bin/python3 -c "import zipfile; z = zipfile.ZipFile('${join(d, "z.zip")}', 'w'); ` +
      `z.writestr('dir/', ''); z.writestr('dir/f.txt', 'zipped'); z.close()"`,
  );
  const dest = join(d, "out");
  mkdirSync(dest);
  const chk = run("unarchive", { src: join(d, "z.zip"), dest, remote_src: true }, { check_mode: true });
  assertEquals(chk.changed, true);
  assertEquals(existsSync(join(dest, "dir")), false);
  const [a, b] = runTwice("unarchive", { src: join(d, "z.zip"), dest, remote_src: true });
  assertEquals([a.changed, b.changed], [true, false]);
  assertEquals(a.handler, "ZipArchive");
  assertEquals(readFileSync(join(dest, "dir", "f.txt"), "utf-8"), "zipped");
});
