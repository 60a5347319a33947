#!/usr/bin/python
# A module that logs at three levels through Python's logging, as module code and libraries do.
import logging

from ansible.module_utils.basic import AnsibleModule

module = AnsibleModule(argument_spec={})
log = logging.getLogger("log_records")
log.debug("debug from the target")
log.info("info from the target")
log.warning("warning from the target")
# dnf warns when a package is already installed: noise, heard at DEBUG only.
logging.getLogger("dnf.base").warning("already installed")
module.exit_json(changed=False)
