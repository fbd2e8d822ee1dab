#!/bin/sh
# The desktop binary also runs the headless `kith` command when called by
# that name: the package ships one copy of the node.
set -e
ln -sf kith-desktop /usr/bin/kith
