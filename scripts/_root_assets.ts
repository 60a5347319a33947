// What the module matrix and the role benchmark put into copies of a Debian root: a local flat apt
// repository of small packages (so apt works offline and fast), a wheel, a git repository; and the copies
// themselves, whose apt sees only that repository.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";

export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export const sha = (algo: string, data: Uint8Array | string) => createHash(algo).update(data).digest("hex");

/** A Debian package of `name` 1.0 that ships /usr/share/<name>/README. */
function buildDeb(work: string, repo: string, name: string): string {
  const root = path.join(work, name);
  fs.mkdirSync(path.join(root, "DEBIAN"), { recursive: true });
  fs.mkdirSync(path.join(root, "usr/share", name), { recursive: true });
  fs.writeFileSync(path.join(root, "usr/share", name, "README"), `${name}, a package of mito's tests\n`);
  fs.writeFileSync(
    path.join(root, "DEBIAN/control"),
    [
      `Package: ${name}`,
      "Version: 1.0",
      "Architecture: all",
      "Maintainer: mito tests <tests@example.invalid>",
      `Description: ${name} for the module matrix`,
      "",
    ].join("\n"),
  );
  const deb = path.join(repo, `${name}_1.0_all.deb`);
  run("dpkg-deb", ["--root-owner-group", "-Zgzip", "--build", root, deb]);
  const data = fs.readFileSync(deb);
  const control = run("dpkg-deb", ["-f", deb]).trimEnd();
  return [
    control,
    `Filename: ./${path.basename(deb)}`,
    `Size: ${data.length}`,
    `MD5sum: ${sha("md5", data)}`,
    `SHA256: ${sha("sha256", data)}`,
    "",
  ].join("\n");
}

/** A flat apt repository (`deb [trusted=yes] file:<repo> ./`) of packages `names`, version 1.0 each. */
export function buildRepo(work: string, repo: string, names: string[]): void {
  fs.mkdirSync(repo, { recursive: true });
  const packages = names.map((n) => buildDeb(work, repo, n)).join("\n");
  fs.writeFileSync(path.join(repo, "Packages"), packages);
  fs.writeFileSync(
    path.join(repo, "Release"),
    [
      "Origin: mito-tests",
      "Label: mito-tests",
      "Date: Mon, 07 Dec 2026 00:00:00 UTC",
      "SHA256:",
      ` ${sha("sha256", packages)} ${Buffer.byteLength(packages)} Packages`,
      "",
    ].join("\n"),
  );
}

/** A pure-Python wheel, mitohello 1.0, made with zipfile (a wheel is a zip with its dist-info). */
export function buildWheel(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  run("/usr/bin/python3", [
    "-c",
    `
import base64, hashlib, sys, zipfile
files = {
    "mitohello/__init__.py": b"GREETING = 'hello'\\n",
    "mitohello-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\\nName: mitohello\\nVersion: 1.0\\n",
    "mitohello-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\\nGenerator: mito-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, data in files.items():
        z.writestr(name, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (name, digest, len(data)))
    record.append("mitohello-1.0.dist-info/RECORD,,")
    z.writestr("mitohello-1.0.dist-info/RECORD", "\\n".join(record) + "\\n")
`,
    path.join(dir, "mitohello-1.0-py3-none-any.whl"),
  ]);
}

/** A bare git repository with one commit on `main`, its dates fixed so every build is the same. */
export function buildGitRepo(work: string, bare: string): void {
  const env = {
    PATH: "/usr/bin:/bin",
    HOME: work,
    GIT_AUTHOR_NAME: "mito",
    GIT_AUTHOR_EMAIL: "tests@example.invalid",
    GIT_COMMITTER_NAME: "mito",
    GIT_COMMITTER_EMAIL: "tests@example.invalid",
    GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z",
    GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z",
  };
  const src = path.join(work, "src");
  fs.mkdirSync(src);
  run("git", ["init", "-q", "-b", "main", src], { env });
  fs.writeFileSync(path.join(src, "README"), "checked out by the git module\n");
  run("git", ["add", "README"], { cwd: src, env });
  run("git", ["commit", "-q", "-m", "first"], { cwd: src, env });
  run("git", ["clone", "-q", "--bare", src, bare], { env });
}

/** A copy of the root, with `opt`'s entries added to its /opt, whose apt sees only a local repository. */
export function prepareRoot(source: string, dest: string, opt: string): void {
  run("cp", ["-a", source, dest]);
  run("cp", ["-a", ...fs.readdirSync(opt).map((n) => path.join(opt, n)), path.join(dest, "opt")]);
  fs.writeFileSync(path.join(dest, "etc/apt/sources.list"), "");
  const d = path.join(dest, "etc/apt/sources.list.d");
  for (const f of fs.readdirSync(d)) fs.rmSync(path.join(d, f));
}

/**
 * Ends the processes running inside `root` (a service a role started in its chroot: /proc/PID/root points
 * into it), by pid; returns their pids. Run before a root copy is removed.
 */
export function killProcessesIn(root: string): number[] {
  const killed: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let where: string;
    try {
      where = fs.readlinkSync(`/proc/${entry}/root`);
    } catch {
      continue; // exited meanwhile, or not ours to read
    }
    if (where === root || where.startsWith(root + "/")) {
      try {
        process.kill(Number(entry), "SIGKILL");
        killed.push(Number(entry));
      } catch {
        // already gone
      }
    }
  }
  return killed;
}
