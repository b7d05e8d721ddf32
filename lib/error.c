#include "lib/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

void ma_error_set(struct ma_error *e, int errnum, const char *code, const char *field,
                  const char *fmt, ...) {
  if (!e)
    return;
  e->errnum = errnum;
  snprintf(e->code, sizeof e->code, "%s", code);
  snprintf(e->field, sizeof e->field, "%s", field ? field : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
}

bool ma_error_is_request(const struct ma_error *e) {
  switch (e->errnum) {
  case EINVAL:
  case ENOENT:
  case EACCES:
  case EBUSY:
  case ENOKEY:
  case EOPNOTSUPP:
  case E2BIG: return true;
  default: return false;
  }
}

json_t *ma_error_json(const struct ma_error *e) {
  json_t *inner = json_pack("{s:s, s:s}", "code", e->code, "message", e->message);
  if (e->field[0])
    json_object_set_new(inner, "field", json_string(e->field));
  return json_pack("{s:o}", "error", inner);
}
