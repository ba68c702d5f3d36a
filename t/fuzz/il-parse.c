/*
 * libFuzzer target for iplogin's parsers: the admin command line
 * (cmd_parse()) and iplogin.conf (il_conf_parse()), on the same input.
 *
 *	make fuzz-iplogin && t/fuzz/il-parse -max_total_time=60
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iplogin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct il_client admin = { .name = "admin", .perms = ~(il_perms)0 };
	char line[IL_LINE_MAX], *argv[IL_MAX_ARGS + 1], err[256];
	struct il_conf c;
	size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
	int argc, cmd;

	memcpy(line, data, n);
	line[n] = '\0';
	cmd = cmd_parse(line, &admin, argv, &argc, err, sizeof(err));
	if (cmd >= 0 && (argc < 1 || argv[argc] != NULL))
		abort();
	log_silence(true);
	if (il_conf_parse("fuzz.conf", (const char *)data, size, &c) == 0)
		il_conf_free(&c);
	return 0;
}
