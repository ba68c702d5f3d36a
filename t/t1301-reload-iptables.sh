#!/bin/sh
# t1300-reload.sh again, for the iptables (legacy) backend.
IPAC_TEST_BACKEND=iptables
. "$(dirname "$0")/t1300-reload.sh"
