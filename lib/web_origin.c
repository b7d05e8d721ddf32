#include "lib/web_origin.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Parses ":PORT" at the end of a host part; -1 without one. */
static int parse_port(const char *s, int *port) {
  *port = -1;
  if (*s == '\0')
    return 0;
  if (*s != ':' || !isdigit((unsigned char)s[1]))
    return -EINVAL;
  char *end;
  long p = strtol(s + 1, &end, 10);
  if (*end || p < 0 || p > 65535)
    return -EINVAL;
  *port = (int)p;
  return 0;
}

/* host[:port] with host a name, an IPv4 literal or a bracketed IPv6 literal. */
static int split_host_port(const char *s, char *host, size_t cap, int *port) {
  size_t n;
  if (*s == '[') {
    const char *close = strchr(s, ']');
    if (!close)
      return -EINVAL;
    n = (size_t)(close - s) + 1;
  } else {
    n = strcspn(s, ":");
  }
  if (n == 0 || n >= cap)
    return -EINVAL;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    /* A host is letters, digits, '-', '.', and ':' inside brackets: anything else
     * ('@', '/', '%', spaces) means the text is not a bare host. */
    if (!isalnum(c) && c != '-' && c != '.' && !(s[0] == '[' && (c == ':' || c == '[' || c == ']')))
      return -EINVAL;
  }
  memcpy(host, s, n);
  host[n] = '\0';
  return parse_port(s + n, port);
}

int web_origin_parse(const char *text, struct web_origin *out) {
  const char *sep = text ? strstr(text, "://") : NULL;
  if (!sep || (size_t)(sep - text) >= sizeof out->scheme)
    return -EINVAL;
  memcpy(out->scheme, text, (size_t)(sep - text));
  out->scheme[sep - text] = '\0';
  if (strcasecmp(out->scheme, "http") != 0 && strcasecmp(out->scheme, "https") != 0)
    return -EINVAL;
  return split_host_port(sep + 3, out->host, sizeof out->host, &out->port);
}

static bool ip_literal(const char *host) {
  unsigned char addr[16];
  if (inet_pton(AF_INET, host, addr) == 1)
    return true;
  size_t n = strlen(host);
  if (n < 3 || host[0] != '[' || host[n - 1] != ']')
    return false;
  char inner[64];
  if (n - 2 >= sizeof inner)
    return false;
  memcpy(inner, host + 1, n - 2);
  inner[n - 2] = '\0';
  return inet_pton(AF_INET6, inner, addr) == 1;
}

static bool listed(const char *name, const char *const *names) {
  for (size_t i = 0; names && names[i]; i++)
    if (strcasecmp(name, names[i]) == 0)
      return true;
  return false;
}

bool web_host_allowed(const char *host_header, const char *const *names) {
  if (!host_header)
    return true;
  char host[256];
  int port;
  if (split_host_port(host_header, host, sizeof host, &port) < 0)
    return false;
  /* A rebinding page's Host is its own DNS name: an address cannot be rebound. */
  return ip_literal(host) || strcasecmp(host, "localhost") == 0 || listed(host, names);
}

static bool loopback(const char *host) {
  if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
    return true;
  struct in_addr a;
  return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

bool web_origin_allowed(const char *origin, const char *host_header, const char *const *origins) {
  if (!origin)
    return true;
  struct web_origin o;
  if (web_origin_parse(origin, &o) < 0)
    return false;
  if (loopback(o.host))
    return true;
  /* Same origin: the page was served by this daemon under the name it asks by. */
  char host[256];
  int port;
  if (host_header && split_host_port(host_header, host, sizeof host, &port) == 0 &&
      strcasecmp(host, o.host) == 0 && port == o.port)
    return true;
  for (size_t i = 0; origins && origins[i]; i++) {
    struct web_origin want;
    if (web_origin_parse(origins[i], &want) == 0 && strcasecmp(want.scheme, o.scheme) == 0 &&
        strcasecmp(want.host, o.host) == 0 && want.port == o.port)
      return true;
  }
  return false;
}

bool web_content_type_json(const char *content_type) {
  if (!content_type)
    return false;
  while (*content_type == ' ' || *content_type == '\t')
    content_type++;
  static const char json[] = "application/json";
  size_t n = sizeof json - 1;
  if (strncasecmp(content_type, json, n) != 0)
    return false;
  char next = content_type[n];
  return next == '\0' || next == ';' || next == ' ' || next == '\t';
}
