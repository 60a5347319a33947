#!/usr/bin/python
# Warns and deprecates only when asked: a later run in the same interpreter must not repeat them.
from ansible.module_utils.basic import AnsibleModule

module = AnsibleModule(argument_spec={"warn": {"type": "bool", "default": False}})
if module.params["warn"]:
    module.warn("the first task warns")
    module.deprecate("the first task's option is deprecated", version="9.9")
    module.deprecate("another option is going away", date="2030-01-01", collection_name="ansible.builtin")
module.exit_json(changed=False, warned=module.params["warn"])
