/* Which browser contexts may talk to the daemon: the Host a request names
 * (DNS rebinding) and the Origin a page sends (CSRF). Pure string checks. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* A serialized origin (RFC 6454): scheme "://" host [":" port], nothing else. */
struct web_origin {
  char scheme[8];
  char host[256]; /* IPv6 literals keep their brackets */
  int port;       /* -1 when absent */
};

/* Parses an Origin header strictly: no userinfo, path, query or fragment; a
 * scheme of http or https. -EINVAL for anything else ("null" included). */
int web_origin_parse(const char *text, struct web_origin *out);

/* A Host header a rebinding page cannot produce: absent (HTTP/1.0), an IP
 * literal, localhost, or one of names (NULL-terminated, may be NULL). */
bool web_host_allowed(const char *host_header, const char *const *names);

/* An Origin header the daemon serves: absent (not a browser), a loopback
 * origin, the request's own Host (same origin), or one of origins exactly. */
bool web_origin_allowed(const char *origin, const char *host_header, const char *const *origins);

/* A body's Content-Type names application/json (parameters allowed). */
bool web_content_type_json(const char *content_type);
