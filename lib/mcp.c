#include "lib/mcp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/embedded.h"

static const char *const versions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};

bool mcp_version_supported(const char *v) {
  for (size_t i = 0; v && i < sizeof versions / sizeof versions[0]; i++)
    if (strcmp(v, versions[i]) == 0)
      return true;
  return false;
}

struct mcp_catalog {
  json_t *tools; /* name -> definition with its group */
};

struct mcp_catalog *mcp_catalog_new(void) {
  for (const struct embedded_file *f = embedded_mcp; f->name; f++) {
    if (strcmp(f->name, "tools.json") != 0)
      continue;
    json_t *doc = json_loadb(f->text, f->len, 0, NULL);
    json_t *tools = json_object_get(doc, "tools");
    struct mcp_catalog *c = json_is_object(tools) ? calloc(1, sizeof *c) : NULL;
    if (c)
      c->tools = json_incref(tools);
    json_decref(doc);
    return c;
  }
  return NULL;
}

void mcp_catalog_free(struct mcp_catalog *c) {
  if (!c)
    return;
  json_decref(c->tools);
  free(c);
}

static bool in_group(json_t *tool, const char *group) {
  return !group || strcmp(json_string_value(json_object_get(tool, "group")), group) == 0;
}

bool mcp_group_known(const struct mcp_catalog *c, const char *group) {
  (void)c;
  static const char *const groups[] = {"boot-profiler", "syscall-tracer", "memory-monitor"};
  for (size_t i = 0; group && i < sizeof groups / sizeof groups[0]; i++)
    if (strcmp(group, groups[i]) == 0)
      return true;
  return !group;
}

static json_t *tools_list(const struct mcp_catalog *c, const char *group) {
  json_t *list = json_array();
  const char *name;
  json_t *tool;
  json_object_foreach(c->tools, name, tool) {
    if (!in_group(tool, group))
      continue;
    json_array_append_new(list, json_pack("{s:s, s:O, s:O, s:O, s:O}", "name", name, "title",
                                          json_object_get(tool, "title"), "description",
                                          json_object_get(tool, "description"), "inputSchema",
                                          json_object_get(tool, "inputSchema"), "outputSchema",
                                          json_object_get(tool, "outputSchema")));
  }
  return json_pack("{s:o}", "tools", list);
}

static json_t *initialize_result(const char *version, const char *group,
                                 const char *server_version) {
  char name[64];
  snprintf(name, sizeof name, "minix-analysis%s%s", group ? "-" : "", group ? group : "");
  return json_pack(
      "{s:s, s:{s:{s:b}}, s:{s:s, s:s}, s:s}", "protocolVersion", version, "capabilities", "tools",
      "listChanged", 0, "serverInfo", "name", name, "version", server_version, "instructions",
      "Boot measurements of MINIX 3 and other kernels under QEMU: times are ms after QMP cont, "
      "stamped on the host; markers not observed are listed, never estimated.");
}

static void reply(struct mcp_decision *d, json_t *r) {
  d->step = MCP_STEP_REPLY;
  d->reply = r;
}

static void decide_call(const struct mcp_catalog *c, const char *group, const struct jsonrpc_msg *m,
                        struct mcp_decision *d) {
  json_t *name = json_object_get(m->params, "name"),
         *args = json_object_get(m->params, "arguments");
  json_t *tool = json_is_string(name) ? json_object_get(c->tools, json_string_value(name)) : NULL;
  if (!json_is_string(name) || (args && !json_is_object(args))) {
    reply(d, jsonrpc_error(m->id, JSONRPC_INVALID_PARAMS,
                           "Invalid params: tools/call needs a name and object arguments"));
    return;
  }
  if (!tool || !in_group(tool, group)) {
    char msg[160];
    snprintf(msg, sizeof msg, "Invalid params: unknown tool %s", json_string_value(name));
    reply(d, jsonrpc_error(m->id, JSONRPC_INVALID_PARAMS, msg));
    return;
  }
  d->step = MCP_STEP_CALL_TOOL;
  d->tool = json_string_value(name);
  d->args = args;
  json_t *token = json_object_get(json_object_get(m->params, "_meta"), "progressToken");
  d->progress_token = json_is_string(token) || json_is_integer(token) ? token : NULL;
}

void mcp_decide(const struct mcp_catalog *c, const char *group, const char *server_version,
                const struct jsonrpc_msg *m, struct mcp_decision *d) {
  memset(d, 0, sizeof *d);
  if (m->kind != JSONRPC_REQUEST) {
    d->step = MCP_STEP_ACCEPTED; /* notifications and responses are never answered with a body */
    return;
  }
  if (strcmp(m->method, "initialize") == 0) {
    const char *asked = json_string_value(json_object_get(m->params, "protocolVersion"));
    if (!asked) {
      reply(d, jsonrpc_error(m->id, JSONRPC_INVALID_PARAMS,
                             "Invalid params: initialize needs protocolVersion"));
      return;
    }
    d->version = mcp_version_supported(asked) ? asked : MCP_LATEST_VERSION;
    d->step = MCP_STEP_INITIALIZE;
    d->reply = jsonrpc_result(m->id, initialize_result(d->version, group, server_version));
  } else if (strcmp(m->method, "ping") == 0) {
    reply(d, jsonrpc_result(m->id, json_object()));
  } else if (strcmp(m->method, "tools/list") == 0) {
    reply(d, jsonrpc_result(m->id, tools_list(c, group)));
  } else if (strcmp(m->method, "tools/call") == 0) {
    decide_call(c, group, m, d);
  } else {
    char msg[160];
    snprintf(msg, sizeof msg, "Method not found: %.100s", m->method);
    reply(d, jsonrpc_error(m->id, JSONRPC_METHOD_NOT_FOUND, msg));
  }
}

json_t *mcp_tool_result(json_t *structured) {
  char *text = json_dumps(structured, JSON_COMPACT | JSON_REAL_PRECISION(12));
  json_t *r = json_pack("{s:[{s:s, s:s}], s:o, s:b}", "content", "type", "text", "text",
                        text ? text : "{}", "structuredContent", structured, "isError", 0);
  free(text);
  return r;
}

json_t *mcp_tool_error(const char *message) {
  return json_pack("{s:[{s:s, s:s}], s:b}", "content", "type", "text", "text", message, "isError",
                   1);
}

json_t *mcp_progress(json_t *token, double progress, double total, const char *message) {
  json_t *params =
      json_pack("{s:O, s:f, s:f}", "progressToken", token, "progress", progress, "total", total);
  if (message)
    json_object_set_new(params, "message", json_string(message));
  return jsonrpc_notification("notifications/progress", params);
}
