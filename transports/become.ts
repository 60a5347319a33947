// Controller side of the become hops (sudo, su, doas): they always run inside a context (the PTY for the
// password prompt is allocated there by bootstrap/become.py), so a local become goes via a local context:
//   const local = await broker.connect({ method: "local", python: "/usr/bin/python3" });
//   const root = await broker.connect({ method: "sudo", user: "root", password, via: local });
import { type ConnectMethod, type ConnectSpec } from "./broker.ts";
import type { FirstStage } from "./_bootstrap.ts";

export type BecomeMethod = "sudo" | "su" | "doas";

export interface BecomeSpec extends ConnectSpec {
  method: BecomeMethod;
  /** The account to become; default root. */
  user?: string;
  /** become_pass; typed once at the prompt. Absent: sudo/doas run with -n and fail if asked. */
  password?: string;
  /** become_exe: path of sudo/su/doas on the parent context's machine. */
  path?: string;
  /** become_flags / sudo_flags: a string as in ansible.cfg or argv words. */
  flags?: string | string[];
  /** Seconds to wait for the prompt and the child's first stage (ansible.cfg timeout); default 30. */
  becomeTimeout?: number;
}

/** Why a hop failed, as bootstrap/become.py classified it (data of the RemoteError it raised). */
export interface HopFailure {
  kind: string;
  message: string;
  output: string;
}

/**
 * The classified cause of a failed connect, wherever it was found: an ssh started by the controller
 * (SshConnectError: kind, stderr) or a hop spawned by a context (RemoteError whose data is become.py's
 * {kind, message, output}), searched along the error's cause chain.
 */
export function hopFailure(err: unknown): HopFailure | undefined {
  type Link = { cause?: unknown; data?: unknown; kind?: unknown; message?: unknown; stderr?: unknown };
  for (let e = err as Link | undefined; e && typeof e === "object"; e = e.cause as Link | undefined) {
    const d = e.data as Partial<HopFailure> | null | undefined;
    if (d && typeof d.kind === "string" && typeof d.message === "string") {
      return { kind: d.kind, message: d.message, output: typeof d.output === "string" ? d.output : "" };
    }
    if (typeof e.kind === "string" && typeof e.message === "string") {
      return { kind: e.kind, message: e.message, output: typeof e.stderr === "string" ? e.stderr : "" };
    }
  }
  return undefined;
}

function becomeMethod(name: BecomeMethod): ConnectMethod {
  return {
    spawn(spec: ConnectSpec) {
      return Promise.reject(
        new Error(
          `${name} runs inside a context (it needs a PTY for the password prompt): connect a local ` +
            `context and pass it as via, e.g. { method: "${name}", user: ${
              JSON.stringify((spec as BecomeSpec).user ?? "root")
            }, via: localContext }`,
        ),
      );
    },
    remote(spec: ConnectSpec, _stage: FirstStage) {
      const s = spec as BecomeSpec;
      const options: Record<string, unknown> = { user: s.user ?? "root", python: s.python ?? "python3" };
      if (s.password !== undefined) options.password = s.password;
      if (s.path !== undefined) options.path = s.path;
      if (s.flags !== undefined) options.flags = s.flags;
      if (s.becomeTimeout !== undefined) options.timeout = s.becomeTimeout;
      return { method: name, options };
    },
  };
}

export const sudoMethod: ConnectMethod = becomeMethod("sudo");
export const suMethod: ConnectMethod = becomeMethod("su");
export const doasMethod: ConnectMethod = becomeMethod("doas");
