/* The operations on matrices, installs and traces: one implementation each (core/ops.h). */
#include <errno.h>
#include <string.h>

#include "core/context.h"
#include "core/ops.h"
#include "lib/matrix_compare.h"
#include "lib/matrix_report.h"

static int doc_get(struct ma_context *ctx, enum store_doc kind, const char *id, const char *what,
                   json_t **doc, struct ma_error *err) {
  int r = id && util_is_id(id) ? store_doc_get(ctx->store, kind, id, doc) : -ENOENT;
  if (r == -ENOENT)
    ma_error_set(err, ENOENT, kind == STORE_TRACES ? "trace_not_found" : "install_not_found", "id",
                 "no %s with this id", what);
  else if (r < 0)
    ops_internal(err, "cannot read the document", r);
  return r;
}

static int docs_list(struct ma_context *ctx, enum store_doc kind, const char *key, json_t **out,
                     struct ma_error *err) {
  json_t *list;
  int r = store_docs_list(ctx->store, kind, 1000, &list);
  if (r < 0)
    return ops_internal(err, "cannot list them", r);
  *out = json_pack("{s:o}", key, list);
  return 0;
}

static json_t *cancelling(const char *id) {
  return json_pack("{s:s, s:s}", "id", id, "status", "cancelling");
}

int ops_matrix_cancel(struct ma_context *ctx, const char *id, json_t **out, struct ma_error *err) {
  json_auto_t *report = NULL;
  int r = ops_matrix_report(ctx, id, &report, NULL, err);
  if (r < 0)
    return r;
  int e = matrices_cancel(ctx->matrices, id);
  if (e == -EAGAIN) {
    ma_error_set(err, EAGAIN, "not_submitted_yet", "id",
                 "Slurm has not answered for this matrix's job array yet; retry in a moment");
    return -EAGAIN;
  }
  if (e < 0) {
    ma_error_set(err, EBUSY, "already_finished", "id", "the matrix has already finished");
    return -EBUSY;
  }
  *out = cancelling(id);
  return 0;
}

int ops_matrix_compare(struct ma_context *ctx, const char *before_id, const char *after_id,
                       json_t **out, struct ma_error *err) {
  json_auto_t *before = NULL, *after = NULL;
  int r = ops_matrix_report(ctx, before_id, &before, NULL, err);
  if (r == 0)
    r = ops_matrix_report(ctx, after_id, &after, NULL, err);
  if (r == 0)
    *out = matrix_compare(before, after);
  return r;
}

int ops_install_cancel(struct ma_context *ctx, const char *id, json_t **out, struct ma_error *err) {
  json_auto_t *doc = NULL;
  int r = doc_get(ctx, STORE_INSTALLS, id, "install", &doc, err);
  if (r < 0)
    return r;
  if (installs_cancel(ctx->installs, id) < 0) {
    ma_error_set(err, EBUSY, "already_finished", "id", "the install has already ended");
    return -EBUSY;
  }
  *out = cancelling(id);
  return 0;
}

int ops_installs_list(struct ma_context *ctx, json_t **out, struct ma_error *err) {
  return docs_list(ctx, STORE_INSTALLS, "installs", out, err);
}

int ops_install_doc(struct ma_context *ctx, const char *id, json_t **doc, struct ma_error *err) {
  return doc_get(ctx, STORE_INSTALLS, id, "install", doc, err);
}

int ops_trace_start(struct ma_context *ctx, json_t *req, char id[UTIL_ID_LEN + 1],
                    struct ma_error *err) {
  return traces_start(ctx->traces, req, id, err);
}

int ops_trace_get(struct ma_context *ctx, const char *id, json_t **doc, struct ma_error *err) {
  return doc_get(ctx, STORE_TRACES, id, "trace", doc, err);
}

int ops_traces_list(struct ma_context *ctx, json_t **out, struct ma_error *err) {
  return docs_list(ctx, STORE_TRACES, "traces", out, err);
}
