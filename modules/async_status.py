"""async_status: report (or clean up) an async job started by mito.runner.start_async."""

ARGUMENT_SPEC = {
    "jid": {"type": "str", "required": True},
    "mode": {"type": "str", "default": "status", "choices": ["cleanup", "status"]},
    # given by the action, which validates only jid and mode (as Ansible's async_status action does)
    "_async_dir": {"type": "path", "internal": True},
}
SUPPORTS_CHECK_MODE = True


def main(m):
    from mito import runner
    res = runner.async_status(m.params["jid"], m.params["mode"], m.params["_async_dir"])
    if res.get("failed"):
        m.fail_json(**res)
    return res
