/* API tokens (bearer secrets): made here, kept as SHA-256, looked up by hash. */
#define STORE_PRIVATE_ALLOWED /* a store file: see lib/store_private.h */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/digest.h"
#include "lib/store_private.h"
#include "lib/util.h"

#define TOKEN_BYTES 24

store_sql_table store_tokens_sql = {
    [ST_TOKEN_INSERT] =
        "INSERT INTO tokens (id, name, scope, sha256, created_us) VALUES (?,?,?,?,?)",
    [ST_TOKEN_SCOPE] = "SELECT scope FROM tokens WHERE sha256=? AND revoked_us IS NULL",
    [ST_TOKENS_LIST] =
        "SELECT id, name, scope, created_us, revoked_us FROM tokens ORDER BY created_us",
    [ST_TOKEN_REVOKE] = "UPDATE tokens SET revoked_us=? WHERE id=? AND revoked_us IS NULL",
};

int store_token_create(struct store *s, const char *name, const char *scope,
                       char token[STORE_TOKEN_LEN + 1], char id[UTIL_ID_LEN + 1]) {
  unsigned char raw[TOKEN_BYTES];
  if (util_random(raw, sizeof raw) < 0 || util_new_id(id) < 0)
    return -EIO;
  strcpy(token, "ma_");
  util_hex(raw, sizeof raw, token + 3);
  char hash[DIGEST_SHA256_HEX];
  digest_sha256_hex(token, strlen(token), hash);
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_TOKEN_INSERT);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, scope, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 5, util_wall_us());
  return store_step_done(st);
}

int store_token_scope(struct store *s, const char *token, char scope[8]) {
  char hash[DIGEST_SHA256_HEX];
  digest_sha256_hex(token, strlen(token), hash);
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_TOKEN_SCOPE);
  sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW)
    return rc == SQLITE_DONE ? -ENOENT : sqlite_errno(rc);
  snprintf(scope, 8, "%s", (const char *)sqlite3_column_text(st, 0));
  return 0;
}

static json_t *token_row(sqlite3_stmt *st) {
  char created[40], revoked[40] = "";
  util_rfc3339(sqlite3_column_int64(st, 3), created, sizeof created);
  if (sqlite3_column_type(st, 4) != SQLITE_NULL)
    util_rfc3339(sqlite3_column_int64(st, 4), revoked, sizeof revoked);
  return json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", sqlite3_column_text(st, 0), "name",
                   sqlite3_column_text(st, 1), "scope", sqlite3_column_text(st, 2), "created_at",
                   created, "revoked_at", revoked[0] ? json_string(revoked) : json_null());
}

int store_tokens_list(struct store *s, json_t **out) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_TOKENS_LIST);
  json_auto_t *tokens = json_array();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(tokens, token_row(st));
  if (rc != SQLITE_DONE)
    return sqlite_errno(rc);
  *out = json_incref(tokens);
  return 0;
}

int store_token_revoke(struct store *s, const char *id) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_TOKEN_REVOKE);
  sqlite3_bind_int64(st, 1, util_wall_us());
  sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
  int r = store_step_done(st);
  if (r < 0)
    return r;
  return sqlite3_changes(store_db(s)) ? 0 : -ENOENT;
}
