/* Where a run ran, as every run records it: the host's name, its CPU model and the QEMU used. */
#pragma once
#include <jansson.h>

/* {"name","cpu_model","qemu_version"}: gethostname, the first "model name" of cpuinfo_path
 * (/proc/cpuinfo; "unknown" when it has none) and qemu_version ("unknown" when NULL). */
json_t *host_facts_json(const char *cpuinfo_path, const char *qemu_version);
