"""ping: proves the module runtime answers; data=crash raises, like Ansible's."""

ARGUMENT_SPEC = {"data": {"type": "str", "default": "pong"}}
SUPPORTS_CHECK_MODE = True


def main(m):
    if m.params["data"] == "crash":
        raise Exception("boom")
    return {"ping": m.params["data"], "changed": False}
