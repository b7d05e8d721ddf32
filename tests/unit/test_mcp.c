/* The JSON-RPC and MCP layers without HTTP: every error code, batch arrays
 * refused, ids echoed exactly, notifications never answered with a body. */
#include <string.h>

#include "lib/jsonrpc.h"
#include "lib/mcp.h"
#include "test_util.h"

static struct mcp_catalog *cat;

static int setup(void **state) {
  (void)state;
  cat = mcp_catalog_new();
  return cat ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  mcp_catalog_free(cat);
  return 0;
}

static json_t *parse_error(const char *body, int code) {
  struct jsonrpc_msg m;
  json_t *err;
  assert_int_equal(jsonrpc_parse(body, strlen(body), &m, &err), code);
  assert_non_null(err);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(err, "error"), "code")),
                   code);
  assert_string_equal(json_string_value(json_object_get(err, "jsonrpc")), "2.0");
  return err;
}

static void parse_errors(void **state) {
  (void)state;
  json_decref(parse_error("{not json", JSONRPC_PARSE_ERROR));
  json_t *e =
      parse_error("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", JSONRPC_INVALID_REQUEST);
  assert_non_null(
      strstr(json_string_value(json_object_get(json_object_get(e, "error"), "message")), "batch"));
  assert_true(json_is_null(json_object_get(e, "id")));
  json_decref(e);
  json_decref(
      parse_error("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", JSONRPC_INVALID_REQUEST));
  json_decref(
      parse_error("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", JSONRPC_INVALID_REQUEST));
  json_decref(
      parse_error("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}", JSONRPC_INVALID_REQUEST));
  json_decref(parse_error("{\"jsonrpc\":\"2.0\",\"id\":1}", JSONRPC_INVALID_REQUEST));
  json_decref(parse_error("42", JSONRPC_INVALID_REQUEST));
  e = parse_error("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"ping\",\"params\":[1]}",
                  JSONRPC_INVALID_PARAMS);
  assert_string_equal(json_string_value(json_object_get(e, "id")),
                      "x"); /* the id is kept when it was readable */
  json_decref(e);
}

/* Runs one body through parse + decide. */
static struct mcp_decision decide(const char *body, const char *group, struct jsonrpc_msg *m) {
  json_t *err;
  assert_int_equal(jsonrpc_parse(body, strlen(body), m, &err), 0);
  struct mcp_decision d;
  mcp_decide(cat, group, "test", m, &d);
  return d;
}

static void ids_are_echoed_exactly(void **state) {
  (void)state;
  const char *bodies[] = {"{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"method\":\"ping\"}",
                          "{\"jsonrpc\":\"2.0\",\"id\":\"abc-1\",\"method\":\"ping\"}",
                          "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"tools/list\"}"};
  for (size_t i = 0; i < 3; i++) {
    struct jsonrpc_msg m;
    struct mcp_decision d = decide(bodies[i], NULL, &m);
    assert_int_equal(d.step, MCP_STEP_REPLY);
    assert_true(json_equal(json_object_get(d.reply, "id"), m.id));
    char *text = json_dumps(json_object_get(d.reply, "id"), JSON_ENCODE_ANY);
    assert_non_null(strstr(bodies[i], text)); /* same type and digits as sent */
    free(text);
    json_decref(d.reply);
    jsonrpc_msg_clear(&m);
  }
}

static void notifications_get_no_body(void **state) {
  (void)state;
  const char *bodies[] = {
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{}}",
      "{\"jsonrpc\":\"2.0\",\"method\":\"no/such/thing\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}"};
  for (size_t i = 0; i < 4; i++) {
    struct jsonrpc_msg m;
    struct mcp_decision d = decide(bodies[i], NULL, &m);
    assert_int_equal(d.step, MCP_STEP_ACCEPTED);
    assert_null(d.reply);
    jsonrpc_msg_clear(&m);
  }
}

static int error_code(struct mcp_decision *d) {
  return (int)json_integer_value(json_object_get(json_object_get(d->reply, "error"), "code"));
}

static void unknown_methods_and_bad_params(void **state) {
  (void)state;
  struct jsonrpc_msg m;
  struct mcp_decision d =
      decide("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\"}", NULL, &m);
  assert_int_equal(error_code(&d), JSONRPC_METHOD_NOT_FOUND);
  json_decref(d.reply);
  jsonrpc_msg_clear(&m);
  const char *bad[] = {
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{}}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"nope\"}}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/"
      "call\",\"params\":{\"name\":\"boot_status\","
      "\"arguments\":[1]}}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}"};
  for (size_t i = 0; i < 4; i++) {
    d = decide(bad[i], NULL, &m);
    assert_int_equal(d.step, MCP_STEP_REPLY);
    assert_int_equal(error_code(&d), JSONRPC_INVALID_PARAMS);
    json_decref(d.reply);
    jsonrpc_msg_clear(&m);
  }
}

static const char *negotiated(const char *asked) {
  static char out[32];
  char *body = util_strdupf(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
      "\"%s\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}",
      asked);
  struct jsonrpc_msg m;
  struct mcp_decision d = decide(body, NULL, &m);
  assert_int_equal(d.step, MCP_STEP_INITIALIZE);
  json_t *result = json_object_get(d.reply, "result");
  snprintf(out, sizeof out, "%s", json_string_value(json_object_get(result, "protocolVersion")));
  assert_string_equal(out, d.version);
  assert_non_null(json_object_get(json_object_get(result, "capabilities"), "tools"));
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(result, "serverInfo"), "name")),
      "minix-analysis");
  json_decref(d.reply);
  jsonrpc_msg_clear(&m);
  free(body);
  return out;
}

static void version_negotiation(void **state) {
  (void)state;
  assert_string_equal(negotiated("2025-06-18"), "2025-06-18");
  assert_string_equal(negotiated("2025-03-26"), "2025-03-26");
  assert_string_equal(negotiated("2025-11-25"), "2025-11-25");
  assert_string_equal(negotiated("2024-11-05"), MCP_LATEST_VERSION);
  assert_false(mcp_version_supported("2024-11-05"));
}

static void groups_and_tool_calls(void **state) {
  (void)state;
  struct jsonrpc_msg m;
  struct mcp_decision d =
      decide("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}", "syscall-tracer", &m);
  json_t *tracer = json_object_get(json_object_get(d.reply, "result"), "tools");
  assert_int_equal(json_array_size(tracer), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(tracer, 0), "name")),
                      "syscall_trace");
  json_decref(d.reply);
  jsonrpc_msg_clear(&m);
  d = decide("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}", "memory-monitor", &m);
  json_t *mem = json_object_get(json_object_get(d.reply, "result"), "tools");
  assert_int_equal(json_array_size(mem), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(mem, 0), "name")),
                      "memory_monitor");
  json_decref(d.reply);
  jsonrpc_msg_clear(&m);
  d = decide("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}", "boot-profiler", &m);
  json_t *tools = json_object_get(json_object_get(d.reply, "result"), "tools");
  assert_int_equal(json_array_size(tools), 9);
  size_t i;
  json_t *t;
  json_array_foreach(tools, i, t) {
    assert_true(json_is_object(json_object_get(t, "inputSchema")));
    assert_true(json_is_object(json_object_get(t, "outputSchema")));
  }
  json_decref(d.reply);
  jsonrpc_msg_clear(&m);
  d = decide("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/"
             "call\",\"params\":{\"name\":\"boot_status\","
             "\"arguments\":{\"id\":\"x\"},\"_meta\":{\"progressToken\":7}}}",
             NULL, &m);
  assert_int_equal(d.step, MCP_STEP_CALL_TOOL);
  assert_string_equal(d.tool, "boot_status");
  assert_int_equal(json_integer_value(d.progress_token), 7);
  jsonrpc_msg_clear(&m);
  d = decide("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/"
             "call\",\"params\":{\"name\":\"boot_status\"}}",
             "syscall-tracer", &m);
  assert_int_equal(error_code(&d), JSONRPC_INVALID_PARAMS); /* not served by that group */
  json_decref(d.reply);
  jsonrpc_msg_clear(&m);
}

static void results_carry_structured_and_text(void **state) {
  (void)state;
  json_t *r = mcp_tool_result(json_pack("{s:i}", "a", 1));
  assert_int_equal(
      json_integer_value(json_object_get(json_object_get(r, "structuredContent"), "a")), 1);
  json_t *text = json_object_get(json_array_get(json_object_get(r, "content"), 0), "text");
  assert_string_equal(json_string_value(text), "{\"a\":1}");
  assert_false(json_is_true(json_object_get(r, "isError")));
  json_decref(r);
  r = mcp_tool_error("boom");
  assert_true(json_is_true(json_object_get(r, "isError")));
  json_decref(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(parse_errors),
      cmocka_unit_test(ids_are_echoed_exactly),
      cmocka_unit_test(notifications_get_no_body),
      cmocka_unit_test(unknown_methods_and_bad_params),
      cmocka_unit_test(version_negotiation),
      cmocka_unit_test(groups_and_tool_calls),
      cmocka_unit_test(results_carry_structured_and_text),
  };
  return cmocka_run_group_tests_name("mcp", tests, setup, teardown);
}
