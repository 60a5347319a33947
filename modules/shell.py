"""shell: the command module run through a shell (executable defaults to /bin/sh)."""

from mito.modules import command

ARGUMENT_SPEC = dict(command.ARGUMENT_SPEC)
# cmd= is the free-form text by another name (Ansible turns it into _raw_params before the module)
ARGUMENT_SPEC["cmd"] = {"type": "str", "internal": True}
ARGUMENT_SPEC["_uses_shell"] = {"type": "bool", "default": True}
SUPPORTS_CHECK_MODE = True


def main(m):
    if m.params.get("cmd") and not m.params.get("_raw_params"):
        m.params["_raw_params"] = m.params["cmd"]
    m.params.pop("cmd", None)
    m.params["_uses_shell"] = True
    return command.main(m)
