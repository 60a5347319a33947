// Two copies of a Debian root compared after ansible-playbook ran on one and mito on the other: every path
// with its type, mode, owner and content digest, less what differs between any two runs.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * What differs between two roots for reasons other than the modules: caches, logs, apt's downloaded
 * lists and time stamps, dpkg's backups, compiled Python, git's own bookkeeping (index times), Ansible's
 * and mito's temporary directories.
 */
const VOLATILE = [
  /^(proc|sys|dev|run|tmp|var\/tmp|var\/cache|var\/log|var\/backups)\//,
  /^var\/lib\/apt\/(lists|periodic)\//,
  /^var\/lib\/dpkg\/(.*-old|lock.*|triggers\/Lock)$/,
  /^root\/\.(ansible|cache)\//,
  /(^|\/)__pycache__\//,
  /\.git\/(?!HEAD$|config$|refs\/)/,
];

/** Every path of a root with its type, mode, owner and group, and a file's digest or a link's target. */
export function rootTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(path.join(root, r));
      const key = st.isDirectory() ? `${r}/` : r;
      if (VOLATILE.some((re) => re.test(key))) continue;
      const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isSymbolicLink()) out.set(key, `-> ${fs.readlinkSync(path.join(root, r))}`);
      else if (st.isDirectory()) {
        out.set(key, meta);
        walk(r);
      } else if (st.isFile()) out.set(key, `${meta} ${fileDigest(root, r)}`);
      else out.set(key, `${meta} special`);
    }
  };
  walk("");
  return out;
}

/** A file's sha256; a crontab without crontab(1)'s header, which names its temporary file and time. */
function fileDigest(root: string, rel: string): string {
  let data = fs.readFileSync(path.join(root, rel));
  if (rel.startsWith("var/spool/cron/crontabs/")) {
    data = Buffer.from(data.toString("utf8").split("\n").filter((l) => !l.startsWith("# ")).join("\n"));
  }
  return createHash("sha256").update(data).digest("hex");
}

/** The paths whose entries differ, each with both sides' entries. */
export function treeDiff(want: Map<string, string>, got: Map<string, string>): string[] {
  const keys = new Set([...want.keys(), ...got.keys()]);
  return [...keys].sort().filter((k) => want.get(k) !== got.get(k))
    .map((k) => `${k}: ansible-playbook ${want.get(k) ?? "(absent)"}, mito ${got.get(k) ?? "(absent)"}`);
}
