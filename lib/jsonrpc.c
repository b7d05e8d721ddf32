#include "lib/jsonrpc.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/json_limits.h"

json_t *jsonrpc_error(json_t *id, int code, const char *message) {
  return json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id ? id : json_null(),
                   "error", "code", code, "message", message);
}

json_t *jsonrpc_result(json_t *id, json_t *result) {
  return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "result", result);
}

json_t *jsonrpc_notification(const char *method, json_t *params) {
  json_t *n = json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method", method);
  if (params)
    json_object_set_new(n, "params", params);
  return n;
}

static int fail(struct jsonrpc_msg *m, json_t **error, json_t *id, int code, const char *message) {
  *error = jsonrpc_error(id, code, message);
  jsonrpc_msg_clear(m);
  return code;
}

int jsonrpc_parse(const char *body, size_t len, struct jsonrpc_msg *out, json_t **error) {
  memset(out, 0, sizeof *out);
  *error = NULL;
  const char *what;
  if (json_limits_check(body, len, &what) < 0) {
    char message[96];
    snprintf(message, sizeof message, "Invalid Request: %s", json_limits_message(what));
    return fail(out, error, NULL, JSONRPC_INVALID_REQUEST, message);
  }
  json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
  if (!root)
    return fail(out, error, NULL, JSONRPC_PARSE_ERROR, "Parse error: the body is not valid JSON");
  out->root = root;
  if (json_is_array(root))
    return fail(out, error, NULL, JSONRPC_INVALID_REQUEST,
                "Invalid Request: batch arrays are not supported");
  if (!json_is_object(root))
    return fail(out, error, NULL, JSONRPC_INVALID_REQUEST,
                "Invalid Request: a JSON-RPC message is an object");
  json_t *id = json_object_get(root, "id");
  bool id_ok = !id || json_is_string(id) || json_is_integer(id);
  if (!json_is_string(json_object_get(root, "jsonrpc")) ||
      strcmp(json_string_value(json_object_get(root, "jsonrpc")), "2.0") != 0 || !id_ok)
    return fail(out, error, id_ok ? id : NULL, JSONRPC_INVALID_REQUEST,
                "Invalid Request: needs \"jsonrpc\": \"2.0\" and a string or integer id");
  out->id = id;
  json_t *method = json_object_get(root, "method");
  if (!method) {
    if (!id || !(json_object_get(root, "result") || json_object_get(root, "error")))
      return fail(out, error, id, JSONRPC_INVALID_REQUEST, "Invalid Request: no method");
    out->kind = JSONRPC_RESPONSE;
    return 0;
  }
  if (!json_is_string(method))
    return fail(out, error, id, JSONRPC_INVALID_REQUEST,
                "Invalid Request: method must be a string");
  out->method = json_string_value(method);
  out->kind = id ? JSONRPC_REQUEST : JSONRPC_NOTIFICATION;
  out->params = json_object_get(root, "params");
  if (out->params && !json_is_object(out->params))
    return fail(out, error, id, JSONRPC_INVALID_PARAMS, "Invalid params: params must be an object");
  return 0;
}

void jsonrpc_msg_clear(struct jsonrpc_msg *m) {
  json_decref(m->root);
  memset(m, 0, sizeof *m);
}
