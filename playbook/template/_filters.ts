// The built-in filter table: Jinja2's builtins and Ansible's core/mathstuff/urls filters, with their Python
// semantics, one module a family (_filters_<family>.ts); what they share is _filter_util.ts.
import { renderSyntaxError, UnknownPluginError } from "./_errors.ts";
import { Kwargs, unwrap } from "./_py.ts";
import { withArity } from "./_arity.ts";
import { PyRandom } from "./_random.ts";
import type { FilterContext } from "./_filter_util.ts";
import type { FilterFn, Templar } from "./templar.ts";
import { coreFilters } from "./_filters_core.ts";
import { textFilters } from "./_filters_text.ts";
import { listsFilters } from "./_filters_lists.ts";
import { dictsFilters } from "./_filters_dicts.ts";
import { mathFilters } from "./_filters_math.ts";
import { pathsFilters } from "./_filters_paths.ts";
import { encodingFilters } from "./_filters_encoding.ts";
import { dataFilters } from "./_filters_data.ts";

export { globFiles, shellQuote } from "./_filter_util.ts";

function byName<F>(name: string, find: () => F | undefined): F {
  let f: F | undefined;
  try {
    f = find();
  } catch (e) {
    if (e instanceof UnknownPluginError) throw renderSyntaxError(e.message);
    throw e;
  }
  if (!f) throw renderSyntaxError(`Could not load "${name}": '${name}'`);
  return f;
}

/** Builds the filter table; filters that need the environment (map, select, random) close over templar. */
export function builtinFilters(templar: Templar): Record<string, FilterFn> {
  const ctx: FilterContext = {
    templar,
    // lazily resolved so user-supplied filters and tests are visible to map()/select(); a name nothing
    // answers to fails while rendering, which Ansible does not catch as it does a compile-time one
    filterByName: (name: string): FilterFn => byName(name, () => templar.getFilter(name) ?? table[name]),
    testByName: (name: string) => byName(name, () => templar.getTest(name)),
    withKw: (args, kw) => (Object.keys(kw).length ? [...args, new Kwargs(kw)] : args),
    randomFor: (seed: unknown) => {
      const s = seed ?? templar.options.seed;
      return s === undefined || s === null ? new PyRandom(null) : new PyRandom(unwrap(s) as string | number);
    },
  };

  const table: Record<string, FilterFn> = {
    ...coreFilters(ctx),
    ...textFilters(ctx),
    ...listsFilters(ctx),
    ...dictsFilters(ctx),
    ...mathFilters(ctx),
    ...pathsFilters(ctx),
    ...encodingFilters(ctx),
    ...dataFilters(ctx),
  };
  table.d = table.default;
  table.count = table.length;
  withArity(table);
  return table;
}
