#include "api/dashboard.h"

#include <stdio.h>
#include <string.h>

#include "api/reply.h"
#include "lib/embedded.h"

/* The files of web/, generated into the build by schema/embed.py (api/meson.build). */
extern const struct embedded_file embedded_dashboard[];

/* Scripts only from this origin (no inline script, no eval), no plugins, no framing; styles from
 * this origin (element.style set from a script is not inline markup and is allowed). Images: this
 * origin and blob: URLs (the SVG charts are fetched with the token, then shown from a blob). */
static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' blob:; connect-src 'self'; base-uri 'none'; "
                          "form-action 'none'; frame-ancestors 'none'";

bool dashboard_path(const char *url) {
  return strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0 ||
         strncmp(url, "/assets/", 8) == 0;
}

static const char *type_of(const char *name) {
  static const struct {
    const char *ext, *type;
  } types[] = {{".html", "text/html; charset=utf-8"},
               {".js", "text/javascript; charset=utf-8"},
               {".css", "text/css; charset=utf-8"},
               {".svg", "image/svg+xml"},
               {".png", "image/png"}};
  const char *dot = strrchr(name, '.');
  for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
    if (strcmp(dot, types[i].ext) == 0)
      return types[i].type;
  return "application/octet-stream";
}

static const struct embedded_file *find(const char *url) {
  const char *name = strncmp(url, "/assets/", 8) == 0 ? url + 8 : "index.html";
  if (strchr(name, '/'))
    return NULL;
  for (const struct embedded_file *f = embedded_dashboard; f->name; f++)
    if (strcmp(f->name, name) == 0)
      return f;
  return NULL;
}

/* The assets change only with the binary: their size and a hash of their bytes name a version. */
static void etag_of(const struct embedded_file *f, char *out, size_t cap) {
  unsigned long h = 5381;
  for (size_t i = 0; i < f->len; i++)
    h = h * 33 ^ (unsigned char)f->text[i];
  snprintf(out, cap, "\"%zx-%lx\"", f->len, h);
}

enum MHD_Result dashboard_serve(struct MHD_Connection *conn, const char *url, const char *method) {
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    struct ma_error e;
    ma_error_set(&e, 0, "method_not_allowed", NULL, "the dashboard's files are read with GET");
    return reply_json_header(conn, MHD_HTTP_METHOD_NOT_ALLOWED, ma_error_json(&e),
                             MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  }
  const struct embedded_file *f = find(url);
  if (!f)
    return reply_fail(conn, MHD_HTTP_NOT_FOUND, "not_found", NULL, "no such dashboard file");
  char etag[48];
  etag_of(f, etag, sizeof etag);
  const char *match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
  bool same = match && strcmp(match, etag) == 0;
  struct MHD_Response *resp =
      same ? MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT)
           : MHD_create_response_from_buffer(f->len, (void *)f->text, MHD_RESPMEM_PERSISTENT);
  if (!resp)
    return MHD_NO;
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type_of(f->name));
  MHD_add_response_header(resp, "Content-Security-Policy", csp);
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
  enum MHD_Result r = reply_queue(conn, same ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, resp);
  MHD_destroy_response(resp);
  return r;
}
