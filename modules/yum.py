"""yum: the dnf module's logic driven through the yum command line (yum and dnf share it)."""

from mito.modules import dnf as _dnf

ARGUMENT_SPEC = dict(_dnf.ARGUMENT_SPEC)
SUPPORTS_CHECK_MODE = True
REQUIRED_ONE_OF = _dnf.REQUIRED_ONE_OF
MUTUALLY_EXCLUSIVE = _dnf.MUTUALLY_EXCLUSIVE


def main(m):
    return _dnf.run(m, "yum")
