"""systemd_service: the newer name of the systemd module."""

from mito.modules.systemd import ARGUMENT_SPEC, REQUIRED_ONE_OF, SUPPORTS_CHECK_MODE, main  # noqa: F401
