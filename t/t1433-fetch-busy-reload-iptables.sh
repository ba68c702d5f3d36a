#!/bin/sh
# t1432-fetch-busy-reload.sh again, for the iptables (legacy) backend.
IPAC_TEST_BACKEND=iptables
. "$(dirname "$0")/t1432-fetch-busy-reload.sh"
