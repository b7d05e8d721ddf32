/* libFuzzer: the MCP JSON-RPC layer (parsing and the decision on a message). */
#include <stddef.h>
#include <stdint.h>

#include "lib/jsonrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct jsonrpc_msg m;
  json_t *error = NULL;
  jsonrpc_parse((const char *)data, size, &m, &error);
  json_decref(error);
  jsonrpc_msg_clear(&m);
  return 0;
}
