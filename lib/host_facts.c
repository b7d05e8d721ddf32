#include "lib/host_facts.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* x86's "model name"; ARM kernels name the core in "Model" or not at all. */
static void cpu_model(const char *path, char *out, size_t cap) {
  snprintf(out, cap, "unknown");
  FILE *f = fopen(path, "re");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10) != 0 && strncmp(line, "Model\t", 6) != 0)
      continue;
    const char *colon = strchr(line, ':');
    if (!colon)
      continue;
    colon += strspn(colon + 1, " \t") + 1;
    snprintf(out, cap, "%.*s", (int)strcspn(colon, "\n"), colon);
    break;
  }
  if (f)
    fclose(f);
}

json_t *host_facts_json(const char *cpuinfo_path, const char *qemu_version) {
  char name[256] = "unknown", model[256];
  if (gethostname(name, sizeof name - 1) < 0)
    snprintf(name, sizeof name, "unknown");
  name[sizeof name - 1] = '\0';
  cpu_model(cpuinfo_path, model, sizeof model);
  return json_pack("{s:s, s:s, s:s}", "name", name, "cpu_model", model, "qemu_version",
                   qemu_version ? qemu_version : "unknown");
}
