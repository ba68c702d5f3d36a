#!/bin/sh
# t1400-fetch.sh again, for the iptables (legacy) backend.
IPAC_TEST_BACKEND=iptables
. "$(dirname "$0")/t1400-fetch.sh"
