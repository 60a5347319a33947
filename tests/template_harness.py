"""Renders the template corpus with ansible-core's own Templar, for tests/template_corpus_test.ts.

Usage: /usr/bin/python3 template_harness.py CORPUS.yaml FIXTURES_DIR
Prints one JSON object: {"corpus": <the corpus as read by PyYAML>, "results": {"<case index>:<mode>":
{"ok": true, "type": ..., "repr": ...} | {"ok": false, "etype": ..., "msg": ...}}}.
"""
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("ANSIBLE_LOCAL_TEMP", "/tmp")

import yaml  # noqa: E402
from ansible import constants as C  # noqa: E402
from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.playbook.conditional import Conditional  # noqa: E402
from ansible.template import Templar  # noqa: E402
from ansible.utils.display import Display  # noqa: E402

Display().verbosity = 0


def tname(v):
    if v is None:
        return "NoneType"
    for t, n in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str"), (tuple, "tuple"), (list, "list"),
                 (dict, "dict")):
        if isinstance(v, t):
            return n
    return type(v).__name__


def plain(v):
    """Strips Ansible's str/list/dict subclasses so repr() prints as Python's builtins do."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, str):
        return str(v)
    if isinstance(v, tuple):
        return tuple(plain(x) for x in v)
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {plain(k): plain(x) for k, x in v.items()}
    return v


def main():
    corpus = yaml.safe_load(open(sys.argv[1]))
    fixtures = sys.argv[2]
    loader = DataLoader()
    loader.set_basedir(fixtures)
    common = corpus.get("vars") or {}
    templars = {}
    for native in (False, True):
        C.DEFAULT_JINJA2_NATIVE = native
        templars[native] = Templar(loader=loader)
    C.DEFAULT_JINJA2_NATIVE = False
    out = {}
    for i, case in enumerate(corpus["cases"]):
        if isinstance(case, str):
            case = {"t": case}
        variables = dict(common)
        variables.update(case.get("vars") or {})
        modes = case.get("mode", "both")
        modes = ["eval", "native"] if modes == "both" else [modes]
        for mode in modes:
            key = "%d:%s" % (i, mode)
            t = templars[mode == "native"]
            t.available_variables = variables
            try:
                if mode == "file":
                    with t.set_temporary_context(lstrip_blocks=bool(case.get("lstrip", False)),
                                                 trim_blocks=bool(case.get("trim", True))):
                        res = t.do_template(case["t"], preserve_trailing_newlines=True, escape_backslashes=False)
                elif mode == "cond":
                    c = Conditional(loader=loader)
                    c.when = [case["t"]]
                    # evaluate_conditional returns the falsy value itself; callers only use its truth
                    res = bool(c.evaluate_conditional(t, variables))
                else:
                    res = t.template(case["t"])
                out[key] = {"ok": True, "type": tname(res), "repr": repr(plain(res))}
            except Exception as e:  # noqa: BLE001 - every failure is a result to compare
                out[key] = {"ok": False, "etype": type(e).__name__, "msg": str(e).splitlines()[0] if str(e) else ""}
    # the corpus goes back as JSON too, so both sides render exactly the values PyYAML read
    json.dump({"corpus": corpus, "results": out}, sys.stdout)


main()
