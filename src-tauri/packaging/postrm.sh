#!/bin/sh
# Removes the `kith` name the package added, unless something else owns it.
set -e
if [ -L /usr/bin/kith ] && [ "$(readlink /usr/bin/kith)" = kith-desktop ]; then
    rm -f /usr/bin/kith
fi
