/* JSON-RPC 2.0 messages as MCP uses them: one message per body, ids that are
 * strings or integers, echoed exactly. */
#pragma once
#include <jansson.h>
#include <stddef.h>

#define JSONRPC_PARSE_ERROR (-32700)
#define JSONRPC_INVALID_REQUEST (-32600)
#define JSONRPC_METHOD_NOT_FOUND (-32601)
#define JSONRPC_INVALID_PARAMS (-32602)
#define JSONRPC_INTERNAL_ERROR (-32603)

enum jsonrpc_kind { JSONRPC_REQUEST, JSONRPC_NOTIFICATION, JSONRPC_RESPONSE };

struct jsonrpc_msg {
  enum jsonrpc_kind kind;
  json_t *root;       /* owned */
  json_t *id;         /* borrowed from root; NULL for notifications */
  const char *method; /* NULL for responses */
  json_t *params;     /* borrowed; NULL when absent */
};

/* Parses one message. On failure returns a JSONRPC_* code and sets *error (a
 * complete error response, with the request's id when it could be read). */
int jsonrpc_parse(const char *body, size_t len, struct jsonrpc_msg *out, json_t **error);
/* Releases a parsed message. */
void jsonrpc_msg_clear(struct jsonrpc_msg *m);
/* New response {"jsonrpc","id","result"}; result is stolen. */
json_t *jsonrpc_result(json_t *id, json_t *result);
/* New error response; id may be NULL (sent as null). */
json_t *jsonrpc_error(json_t *id, int code, const char *message);
/* New notification; params is stolen (may be NULL). */
json_t *jsonrpc_notification(const char *method, json_t *params);
