// `mito run`: parse ansible-playbook's flags, then hand over to the playbook layer.
import { parseRunArgs } from "./run_args.ts";
import { UsageError } from "./errors.ts";

export function run(argv: string[]): Promise<number> {
  const opts = parseRunArgs(argv);
  throw new UsageError(`the playbook runner is not built yet (asked to run ${opts.playbooks.join(", ")})`);
}
