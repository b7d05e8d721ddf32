/* Files compiled into the binaries (see schema/embed.py). */
#pragma once
#include <stddef.h>

struct embedded_file {
  const char *name;
  const char *text;
  size_t len;
};

/* SQL migrations, ordered by file name; terminated by a NULL name. */
extern const struct embedded_file embedded_migrations[];
/* Built-in marker profiles; terminated by a NULL name. */
extern const struct embedded_file embedded_profiles[];
/* Built-in claims files (schema/claims); terminated by a NULL name. */
extern const struct embedded_file embedded_claims[];
/* MCP tool definitions with their JSON Schemas (schema/mcp); terminated by a NULL name. */
extern const struct embedded_file embedded_mcp[];
/* Console scenarios (schema/scenarios); terminated by a NULL name. */
extern const struct embedded_file embedded_scenarios[];
/* The KVM probe guests (guests/accel-probe), flat multiboot images named MODE.bin; terminated by a
 * NULL name. Empty in a build on a non-x86 host. */
extern const struct embedded_file embedded_probes[];
