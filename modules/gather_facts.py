"""gather_facts: the same facts as setup (the controller's gather_facts action lands here)."""

from mito.modules.setup import ARGUMENT_SPEC, SUPPORTS_CHECK_MODE, main  # noqa: F401
