"""template (target side): the controller renders the template and sends the text;
putting it in place is exactly copy's job (atomic write, checksum, backup, validate, attrs)."""

from mito.modules import copy as _copy

ARGUMENT_SPEC = _copy.ARGUMENT_SPEC
ADD_FILE_COMMON_ARGS = True
SUPPORTS_CHECK_MODE = True
NO_LOG_EXEMPT_KEYS = ("diff",)
MUTUALLY_EXCLUSIVE = _copy.MUTUALLY_EXCLUSIVE
REQUIRED_ONE_OF = _copy.REQUIRED_ONE_OF


def main(m):
    return _copy.main(m)
