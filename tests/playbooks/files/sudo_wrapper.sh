#!/bin/sh
# A become executable that leaves a mark, so a test can see that ansible_sudo_exe was the one run.
touch /tmp/mito-dropin-sudo-exe.mark
exec /usr/bin/sudo "$@"
