#!/bin/sh
# t1440-fetch-reload.sh again, for the iptables (legacy) backend.
IPAC_TEST_BACKEND=iptables
. "$(dirname "$0")/t1440-fetch-reload.sh"
