#include "programs/cli/cli_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
  size_t n = size * nmemb;
  return util_buf_append(userdata, ptr, n) == 0 ? n : 0;
}

int cli_http_raw(const char *method, const char *url, json_t *body, long *status, char **text,
                 char **err) {
  CURL *curl = curl_easy_init();
  if (!curl)
    return -ENOMEM;
  struct util_buf buf = {0};
  _cleanup_(util_freep) char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
  struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
  const char *token = getenv("MINIX_ANALYSIS_TOKEN");
  _cleanup_(util_freep) char *auth =
      token && *token ? util_strdupf("Authorization: Bearer %s", token) : NULL;
  if (auth)
    headers = curl_slist_append(headers, auth);
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &buf);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  if (payload)
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
  CURLcode rc = curl_easy_perform(curl);
  int r = 0;
  if (rc != CURLE_OK) {
    *err = util_strdupf("%s %s: %s", method, url, curl_easy_strerror(rc));
    r = -ECONNREFUSED;
    util_buf_clear(&buf);
  } else {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    *text = buf.data ? buf.data : strdup("");
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return r;
}

int cli_http(const char *method, const char *url, json_t *body, long *status, json_t **reply,
             char **err) {
  char *text = NULL;
  int r = cli_http_raw(method, url, body, status, &text, err);
  *reply = r == 0 ? json_loads(text, 0, NULL) : NULL;
  free(text);
  return r;
}
