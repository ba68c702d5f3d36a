#!/bin/sh
# t1200-nat.sh again, for the iptables (legacy) backend.
IPAC_TEST_BACKEND=iptables
. "$(dirname "$0")/t1200-nat.sh"
