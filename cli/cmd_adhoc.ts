// `mito adhoc PATTERN -m MODULE -a ARGS` (ansible): one task on the hosts of a pattern, run as a play
// built in memory by the same engine as `mito run`.
import process from "node:process";
import { runRequest } from "./cmd_run.ts";
import { helpOrVersion, parseCommand } from "./_options.ts";
import { versionText } from "./_version_text.ts";
import { AdhocOptionsError, adhocRequest, adhocSpec, checkAdhocModule } from "./adhoc_args.ts";

export function adhoc(argv: string[], prog = "mito adhoc"): Promise<number> {
  const spec = adhocSpec(prog);
  const parsed = parseCommand(spec, argv);
  const answered = helpOrVersion(spec, parsed, versionText, (t) => process.stdout.write(t));
  if (answered !== undefined) return Promise.resolve(answered);
  const cmd = adhocRequest(parsed);
  if (!cmd.request.listHosts) {
    try {
      checkAdhocModule(cmd, parsed.positionals[0]);
    } catch (err) {
      if (!(err instanceof AdhocOptionsError)) throw err;
      process.stderr.write(`ERROR! ${err.message}\n`);
      return Promise.resolve(err.exitCode);
    }
  }
  return runRequest(cmd.request, prog);
}
