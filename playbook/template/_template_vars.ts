// The variables Ansible gives a template file being rendered (the template action and lookup):
// template_host, template_path (as the task or lookup named it), template_fullpath, template_uid (the
// owner's name), template_mtime and template_run_date (datetimes), template_destpath (None in a lookup)
// and ansible_managed (the configured string with {host}, {uid}, {file}, then strftime of the mtime).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PyDateTime } from "./_datetime.ts";
import { strftime } from "./_strftime.ts";

export const DEFAULT_MANAGED = "Ansible managed";

export function templateFileVars(o: {
  /** The source as named by the task or the lookup term. */
  path: string;
  /** The file found for it. */
  fullpath: string;
  destPath?: string;
  /** The configuration's ansible_managed (DEFAULT_MANAGED_STR). */
  managed?: string;
}): Record<string, unknown> {
  const st = fs.statSync(o.fullpath, { bigint: true });
  const mtime = localDateTime(st.mtimeNs);
  const host = os.hostname();
  const uid = userName(Number(st.uid)) ?? String(st.uid);
  const managed = (o.managed ?? DEFAULT_MANAGED)
    .replaceAll("{host}", host).replaceAll("{uid}", uid).replaceAll("{file}", o.path);
  return {
    template_host: host,
    template_path: o.path,
    template_mtime: mtime,
    template_uid: uid,
    template_run_date: localDateTime(
      BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n,
    ),
    template_destpath: o.destPath ? o.destPath : null,
    template_fullpath: path.resolve(o.fullpath),
    ansible_managed: strftime(managed, new Date(Number(st.mtimeNs / 1_000_000n)), false),
  };
}

/** datetime.fromtimestamp: local time, to the microsecond. */
function localDateTime(ns: bigint): PyDateTime {
  const d = PyDateTime.fromDate(new Date(Number(ns / 1_000_000n)), false);
  const us = Number((ns / 1000n) % 1_000_000n);
  return new PyDateTime(d.year, d.month, d.day, d.hour, d.minute, d.second, us);
}

/** pwd.getpwuid(uid).pw_name from /etc/passwd; undefined when the uid has no entry there. */
function userName(uid: number): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync("/etc/passwd", "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length > 2 && Number(f[2]) === uid && f[2] !== "") return f[0];
  }
  return undefined;
}
