#!/bin/sh
# t1430-fetch-busy.sh again, for the iptables (legacy) backend.
IPAC_TEST_BACKEND=iptables
. "$(dirname "$0")/t1430-fetch-busy.sh"
