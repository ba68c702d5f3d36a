#!/bin/sh
# t1100-count.sh again, for the iptables (legacy) backend.
IPAC_TEST_BACKEND=iptables
. "$(dirname "$0")/t1100-count.sh"
