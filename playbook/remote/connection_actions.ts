// What an action plugin asks of its connection (`self._connection.exec_command`/`put_file`/`fetch_file`,
// and ActionBase's `_transfer_data`/`_transfer_file`, which put files through it): carried out on the
// task's context with the exact bytes, no module in between, as Ansible's connection plugins do. Their
// names start with `_mito_`, which no task can write (playbook/plugins/actions.ts asks for them).
import { readFileSync, writeFileSync } from "node:fs";
import type { ModuleResult } from "../runner.ts";
import type { Action } from "./actions.ts";

/** `dest` on the target gets `data` (bytes or text) or the controller's file `src`, as they are. */
export const putFileAction: Action = async (s, args): Promise<ModuleResult> => {
  const data = args.data instanceof Uint8Array
    ? args.data
    : typeof args.data === "string"
    ? new TextEncoder().encode(args.data)
    : new Uint8Array(readFileSync(String(args.src)));
  await s.context.putFile(String(args.dest), data);
  return { changed: true };
};

/** The target's file `src` written to the controller's `dest`, as it is. */
export const fetchFileAction: Action = async (s, args): Promise<ModuleResult> => {
  const fetched = s.context.fetchFile(String(args.src));
  const chunks: Uint8Array[] = [];
  // each chunk is a view of a buffer the stream may reuse: kept as a copy
  for await (const chunk of fetched.stream) chunks.push(chunk.slice());
  await fetched.done;
  writeFileSync(String(args.dest), Buffer.concat(chunks));
  return { changed: true };
};

/** A command through the target's shell: its exit code and output bytes (`out`, `err`) exactly. */
export const execCommandAction: Action = async (s, args): Promise<ModuleResult> => {
  s.context.preload(["mito.runner"]);
  const [rc, out, err] = await s.context.call<[number, Uint8Array, Uint8Array]>(
    "mito.runner",
    "exec_command",
    [
      String(args.cmd),
      args.in_data ?? null,
      args.executable ?? null,
    ],
  );
  return { rc, out, err };
};
