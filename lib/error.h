/* User-facing errors: a code, the request field at fault and a message,
 * rendered as {"error":{"code","message","field"}} by REST, MCP and the CLI. */
#pragma once
#include <jansson.h>

struct ma_error {
  int http_status; /* 400, 404, 503, ... */
  char code[48];   /* snake_case, stable */
  char field[64];  /* request field at fault, or "" */
  char message[512];
};

/* Fills e (NULL is fine: the error is only reported by the return value). */
void ma_error_set(struct ma_error *e, int http_status, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* New JSON body {"error":{...}} for e. */
json_t *ma_error_json(const struct ma_error *e);
