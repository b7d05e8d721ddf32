/* Every route the router serves is documented in api/openapi.yaml, and every
 * documented /api/v1 route exists in the router. */
#include <string.h>

#include "api/rest.h"
#include "test_util.h"

static char *doc;

/* Finds "  PATH:" at path indentation and the method key under it. */
static bool documented(const char *path, const char *method) {
  char *key = util_strdupf("\n  %s:\n", path);
  const char *at = strstr(doc, key);
  free(key);
  if (!at)
    return false;
  at += strlen(path) + 5;
  const char *end = strstr(at, "\n  /");
  char lower[16];
  size_t i = 0;
  for (; method[i] && i < sizeof lower - 1; i++)
    lower[i] = (char)(method[i] - 'A' + 'a');
  lower[i] = '\0';
  char *mkey = util_strdupf("\n    %s:", lower);
  const char *m = strstr(at - 1, mkey);
  free(mkey);
  return m && (!end || m < end);
}

static void router_routes_are_documented(void **state) {
  (void)state;
  for (size_t i = 0; api_routes[i].method; i++)
    if (!documented(api_routes[i].path, api_routes[i].method))
      fail_msg("%s %s is served but missing from api/openapi.yaml", api_routes[i].method,
               api_routes[i].path);
}

static void documented_routes_exist(void **state) {
  (void)state;
  for (const char *p = strstr(doc, "\n  /api/"); p; p = strstr(p + 1, "\n  /api/")) {
    const char *colon = strchr(p + 3, ':');
    char *path = strndup(p + 3, (size_t)(colon - p - 3));
    bool found = false;
    for (size_t i = 0; api_routes[i].method; i++)
      found |= strcmp(api_routes[i].path, path) == 0;
    if (!found)
      fail_msg("api/openapi.yaml documents %s, which the router does not serve", path);
    free(path);
  }
}

int main(void) {
  char *path = util_strdupf("%s/api/openapi.yaml", getenv("MA_SOURCE_ROOT"));
  doc = util_read_file(path, NULL);
  free(path);
  if (!doc)
    return 1;
  const struct CMUnitTest tests[] = {cmocka_unit_test(router_routes_are_documented),
                                     cmocka_unit_test(documented_routes_exist)};
  int r = cmocka_run_group_tests_name("openapi", tests, NULL, NULL);
  free(doc);
  return r;
}
