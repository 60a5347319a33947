// copy of a file too large to travel inside the module call: the controller streams it from disk, hashing
// as it sends, the target hashes (sha1 and md5) as it writes. The results carry the checksums of the bytes
// that arrived, an unchanged file is not sent again, and nothing is left beside the destination.
import { createHash, randomFillSync } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertEquals } from "./_assert.ts";
import { mitoIn } from "./_run.ts";

const SIZE = 3 * 1024 * 1024 + 7; // several read chunks and transfer windows, and not a multiple of either

const hex = (algorithm: string, b: Uint8Array) => createHash(algorithm).update(b).digest("hex");

function randomBytes(size: number): Buffer {
  const b = Buffer.alloc(size);
  randomFillSync(b);
  return b;
}

/** Runs `tasks` against the local machine; returns each task's result for localhost, in order. */
function play(dir: string, tasks: string, extra: string[] = []): Record<string, unknown>[] {
  fs.writeFileSync(path.join(dir, "play.yml"), `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}`);
  const r = mitoIn(dir, ["-i", "hosts", "play.yml", "--output", "json", ...extra], {
    MITO_MODULES: "builtin",
  });
  assertEquals(r.code, 0, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout);
  return out.plays[0].tasks.map((t: { hosts: Record<string, Record<string, unknown>> }) => t.hosts.localhost);
}

function pick(r: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, r[k]]));
}

Deno.test("a large copy streams, reports the checksums of what arrived, and skips an unchanged file", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-bigcopy-"));
  const dest = fs.mkdtempSync(path.join("/var/tmp", "mito-bigcopy-dest-"));
  try {
    fs.writeFileSync(path.join(dir, "ansible.cfg"), "[defaults]\nretry_files_enabled = false\n");
    fs.writeFileSync(
      path.join(dir, "hosts"),
      "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n",
    );
    const src = path.join(dir, "big.bin");
    const first = randomBytes(SIZE);
    fs.writeFileSync(src, first);
    const task = `    - copy: {src: ${src}, dest: ${dest}/big.bin, mode: "0600"}\n`;
    const keys = ["changed", "checksum", "md5sum", "size", "dest", "mode"];
    const expect = (changed: boolean, b: Uint8Array) => ({
      changed,
      checksum: hex("sha1", b),
      md5sum: hex("md5", b),
      size: b.length,
      dest: `${dest}/big.bin`,
      mode: "0600",
    });

    // New file; then the same again: nothing to send, nothing changed.
    assertEquals(pick(play(dir, task)[0], keys), expect(true, first));
    assertEquals(fs.readFileSync(path.join(dest, "big.bin")).equals(first), true);
    assertEquals(fs.readdirSync(dest), ["big.bin"]);
    const again = play(dir, task)[0];
    assertEquals(pick(again, ["changed", "checksum", "dest"]), {
      changed: false,
      checksum: hex("sha1", first),
      dest: `${dest}/big.bin`,
    });

    // Other bytes of the same size (the destination's checksum is compared first), then in check mode
    // a file of another size: reported as a change with the new checksum, the destination untouched.
    const second = randomBytes(SIZE);
    fs.writeFileSync(src, second);
    assertEquals(pick(play(dir, task)[0], keys), expect(true, second));
    assertEquals(fs.readFileSync(path.join(dest, "big.bin")).equals(second), true);
    const third = randomBytes(SIZE + 1);
    fs.writeFileSync(src, third);
    const checked = play(dir, task, ["--check"])[0];
    assertEquals(pick(checked, ["changed", "checksum", "size"]), {
      changed: true,
      checksum: hex("sha1", third),
      size: SIZE + 1,
    });
    assertEquals(fs.readFileSync(path.join(dest, "big.bin")).equals(second), true);

    // Into a directory: dest/<basename>, still nothing left beside it.
    const intoDir = play(dir, `    - copy: {src: ${src}, dest: ${dest}/}\n`)[0];
    assertEquals(pick(intoDir, ["changed", "checksum", "md5sum", "dest"]), {
      changed: true,
      checksum: hex("sha1", third),
      md5sum: hex("md5", third),
      dest: `${dest}/big.bin`,
    });
    assertEquals(fs.readdirSync(dest), ["big.bin"]);
    assertEquals(fs.readFileSync(path.join(dest, "big.bin")).equals(third), true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(dest, { recursive: true, force: true });
  }
});
