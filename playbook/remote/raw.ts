// `raw` without Python on the target: the command goes straight over the transport (ssh or a local
// shell), so it can install Python — which Mitogen cannot. Used when no become hop sits in between.
import { spawn } from "node:child_process";
import { sshSpawn } from "../../transports/ssh.ts";
import type { SshOptions } from "../../transports/ssh.ts";
import { shellQuote } from "../../transports/_ssh_argv.ts";
import type { ModuleRequest, ModuleResult } from "../runner.ts";
import { errorText, unreachable } from "./_results.ts";
import { pySplitlines } from "../template/mod.ts";
import type { TargetSession } from "./session.ts";

export type DirectExec =
  | { method: "local" }
  | { method: "ssh"; ssh: SshOptions };

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return parts;
}

function text(parts: Uint8Array[]): string {
  return new TextDecoder().decode(Buffer.concat(parts));
}

function rawResult(rc: number, stdout: string, stderr: string): ModuleResult {
  const r: ModuleResult = {
    changed: true,
    rc,
    stdout,
    stdout_lines: pySplitlines(stdout, false),
    stderr,
    stderr_lines: pySplitlines(stderr, false),
  };
  if (rc !== 0) {
    r.failed = true;
    r.msg = "non-zero return code";
  }
  return r;
}

const CHECK_MODE: ModuleResult = { changed: false, skipped: true, msg: "raw does not support check mode" };

export async function runRaw(direct: DirectExec, req: ModuleRequest): Promise<ModuleResult> {
  const cmd = String(req.args._raw_params ?? "");
  const exe = req.args.executable ? String(req.args.executable) : undefined;
  const line = exe ? `${shellQuote(exe)} -c ${shellQuote(cmd)}` : cmd;
  if (req.checkMode) return CHECK_MODE;
  if (direct.method === "local") {
    // Ansible's local connection runs it with the configured `executable` (DEFAULT_EXECUTABLE's first
    // word), not ansible_shell_executable
    const shell = String(req.connectionVars.executable ?? "/bin/sh").split(/\s+/)[0] || "/bin/sh";
    const child = spawn(shell, ["-c", line], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...req.environment },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const rc = await new Promise<number>((resolve) => {
      child.once("error", () => resolve(127));
      child.once("close", (code) => resolve(code ?? 255));
    });
    return rawResult(rc, text(out), text(err));
  }
  // sshSpawn hands over on the remote command's first byte: print one marker byte first, drop it after.
  // Ansible runs raw over `ssh -tt`: one terminal for both streams. Emulated: stderr joins stdout in
  // the remote shell, and newlines come back as the terminal's CRLF.
  let channel;
  try {
    channel = await sshSpawn(direct.ssh, `printf M; exec 2>&1; ${line}`);
  } catch (e) {
    return unreachable(`Failed to connect to the host via ssh: ${errorText(e)}`);
  }
  await channel.closeWrite();
  const [out, err, status] = await Promise.all([
    collect(channel.readable),
    channel.stderr ? collect(channel.stderr) : Promise.resolve([]),
    channel.exited,
  ]);
  const stdout = text(out).replace(/^M/, "").replaceAll("\n", "\r\n");
  const rc = status.code ?? 255;
  if (rc === 255) return unreachable(`ssh exited 255: ${text(err).trim()}`);
  return rawResult(rc, stdout, text(err) + closedNotice(direct.ssh));
}

/**
 * raw through a context (a become hop in between): the shell module runs the text under the task's shell
 * (as Ansible's become command does), its result shaped as raw's, output untrimmed. When the target is
 * reached over ssh (`terminal`), Ansible's `ssh -tt` gives one terminal for both streams, as above.
 */
export async function runRawInContext(
  session: TargetSession,
  req: ModuleRequest,
  terminal: SshOptions | undefined,
): Promise<ModuleResult> {
  if (req.checkMode) return CHECK_MODE;
  const cmd = String(req.args._raw_params ?? "");
  const r = await session.runModule("shell", {
    _raw_params: terminal ? `exec 2>&1; ${cmd}` : cmd,
    strip_empty_ends: false,
    ...(req.args.executable ? { executable: String(req.args.executable) } : {}),
  });
  if (typeof r.rc !== "number") return r;
  const stdout = String(r.stdout ?? "");
  return terminal
    ? rawResult(r.rc, stdout.replaceAll("\n", "\r\n"), closedNotice(terminal))
    : rawResult(r.rc, stdout, String(r.stderr ?? ""));
}

/**
 * What ssh -tt says on stderr as its terminal session ends: "Shared connection" when the session ran
 * over a ControlMaster, as with Ansible's default ssh_args (-C -o ControlMaster=auto -o ControlPersist=60s).
 */
function closedNotice(ssh: SshOptions): string {
  const args = ssh.sshArgs === undefined ? "ControlMaster=auto" : [ssh.sshArgs].flat().join(" ");
  const shared = /ControlMaster[= ]+(auto|yes|ask|autoask)\b/i.test(args);
  return `${shared ? "Shared connection" : "Connection"} to ${ssh.hostname} closed.\r\n`;
}
