/*
 * libFuzzer target for the probing engine's packet parsers:
 *
 *	make fuzz-probe && t/fuzz/probe-parse -max_total_time=60
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stddef.h>
#include <stdint.h>

#include "probe_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	probe_parse_any(data, size);
	return 0;
}
