"""package: the generic package module, handing over to the target's package manager module."""

import importlib

from mito.modules.setup import pkg_mgr_facts

ARGUMENT_SPEC = {
    "name": {"type": "list", "elements": "str", "required": True},
    "state": {"type": "str", "required": True},
    "use": {"type": "str", "default": "auto"},
}
SUPPORTS_CHECK_MODE = True

IMPLEMENTED = ("apt", "dnf", "yum")


def main(m):
    from mito.modules import _common as C
    use = m.params["use"]
    if use == "auto":
        use = pkg_mgr_facts()["pkg_mgr"]
    if use not in IMPLEMENTED:
        m.fail_json(msg="mito's built-in package module does not support the %s package manager yet; "
                        "install ansible-core on the controller to use its modules" % use)
    mod = importlib.import_module("mito.modules." + use)
    args = dict((k, v) for k, v in m.params.items() if k not in ("use",))
    try:
        params, _ = C.validate(use, mod.ARGUMENT_SPEC, args)
    except C.ValidationError as e:
        m.fail_json(msg=str(e))
    m.params = params
    return mod.main(m)
