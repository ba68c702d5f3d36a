#!/bin/sh
# t1620 with the iptables (legacy) backend.
IPAC_TEST_BACKEND=iptables
. "$(dirname "$0")/t1620-ipacsum-prometheus.sh"
