// `mito adhoc PATTERN -m MODULE -a ARGS` (ansible): one task on the hosts of a pattern, run as a play
// built in memory by the same engine as `mito run`.
import process from "node:process";
import { defaultEnvironment, runPlaybooks } from "../playbook/run.ts";
import { protocolRunnerFactory } from "../playbook/remote/mod.ts";
import { stderrProgress } from "./_progress.ts";
import { VERSION } from "./version.ts";
import { helpText, parseCommand } from "./_options.ts";
import { versionText } from "./_version_text.ts";
import { AdhocOptionsError, adhocRequest, adhocSpec, checkAdhocModule } from "./adhoc_args.ts";

export function adhoc(argv: string[], prog = "mito adhoc"): Promise<number> {
  const spec = adhocSpec(prog);
  const parsed = parseCommand(spec, argv);
  if (parsed.help) return Promise.resolve(print(helpText(spec)));
  if (parsed.values.version) return Promise.resolve(print(versionText(prog)));
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
  const progress = stderrProgress(process.stderr);
  const transfers = progress && ((label: string, total: number) => progress.start(label, total));
  return runPlaybooks(cmd.request, {
    ...defaultEnvironment(),
    runner: protocolRunnerFactory({ transfers }),
    program: `${prog} [mito ${VERSION}]`,
  });
}

function print(text: string): number {
  process.stdout.write(text);
  return 0;
}
