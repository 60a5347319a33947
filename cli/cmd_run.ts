// `mito run`: parse ansible-playbook's flags, then hand over to the playbook layer.
import { parseRunArgs } from "./run_args.ts";
import { runPlaybooks } from "../playbook/run.ts";

export function run(argv: string[]): Promise<number> {
  const opts = parseRunArgs(argv);
  return runPlaybooks(opts);
}
