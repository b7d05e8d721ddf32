/* User-facing errors: a code, the request field at fault and a message,
 * rendered as {"error":{"code","message","field"}} by REST, MCP and the CLI. */
#pragma once
#include <jansson.h>
#include <stdbool.h>

/* errnum says what kind of failure it is, as a positive errno; the front ends map it
 * (api/http_status.c to an HTTP status, the CLI to an exit status): EINVAL bad request, a field at
 * fault     ENOENT no such run, image, ...    EACCES not allowed EBUSY conflicts with the current
 * state   EAGAIN full or stopping: retry     ENOSPC no room on disk ENOKEY no or a wrong bearer
 * token        EOPNOTSUPP method not allowed      EUSERS too many clients E2BIG too large anything
 * else (EIO): internal */
struct ma_error {
  int errnum;
  char code[48];  /* snake_case, stable */
  char field[64]; /* request field at fault, or "" */
  char message[512];
};

/* Fills e (NULL is fine: the error is only reported by the return value). */
void ma_error_set(struct ma_error *e, int errnum, const char *code, const char *field,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Whether the request was at fault (the client must change it), not the server or the moment. */
bool ma_error_is_request(const struct ma_error *e);
/* New JSON body {"error":{...}} for e. */
json_t *ma_error_json(const struct ma_error *e);
