#!/bin/sh
# t1420-fetch-crash.sh again, for the iptables (legacy) backend.
IPAC_TEST_BACKEND=iptables
. "$(dirname "$0")/t1420-fetch-crash.sh"
