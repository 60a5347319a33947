"""template (target side): the controller renders the template and sends the text;
putting it in place is exactly copy's job (atomic write, checksum, backup, validate, attrs)."""

from mito.modules import copy as _copy

ARGUMENT_SPEC = dict(_copy.ARGUMENT_SPEC)
# Rendering options belong to the controller; accepted here so a task's args pass through unchanged.
for _opt in ("newline_sequence", "block_start_string", "block_end_string", "variable_start_string",
             "variable_end_string", "comment_start_string", "comment_end_string", "output_encoding"):
    ARGUMENT_SPEC[_opt] = {"type": "str"}
for _opt in ("trim_blocks", "lstrip_blocks"):
    ARGUMENT_SPEC[_opt] = {"type": "bool"}
ADD_FILE_COMMON_ARGS = True
SUPPORTS_CHECK_MODE = True
NO_LOG_EXEMPT_KEYS = ("diff",)
MUTUALLY_EXCLUSIVE = _copy.MUTUALLY_EXCLUSIVE
REQUIRED_ONE_OF = _copy.REQUIRED_ONE_OF


def main(m):
    return _copy.main(m)
