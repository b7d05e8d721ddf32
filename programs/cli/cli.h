/* Pieces the CLI's commands share. */
#pragma once
#include <jansson.h>
#include <stdbool.h>

#include "core/context.h"

#define EXIT_RUN_FAILED 1
#define EXIT_USAGE 2
#define EXIT_ERROR 3

struct cli {
  const char *state_dir, *server, *profile_dir;
  const char *qemu_dir; /* in-process: QEMU's programs (NULL: /usr/bin) */
  bool json;
};

/* Prints JSON indented on stdout. */
int cli_print_json(json_t *j);
/* Prints an {"error":{...}} body as the user asked; returns EXIT_USAGE when the request was at
 * fault (a 4xx from a daemon, ma_error_is_request in-process), else EXIT_ERROR. */
int cli_print_error(const struct cli *cli, json_t *body, bool request_at_fault);
/* Reports a failure on stderr (err is freed); returns EXIT_ERROR. */
int cli_fail(const char *what, char *err);
/* Opens the state dir read-only (no boots); prints the error itself. */
int cli_open_read(const struct cli *cli, struct ma_context *ctx);
/* Parses boot options (and, for a matrix, --cpus LIST --samples N --isolation --parallel) into req.
 */
int cli_parse_request(int argc, char **argv, bool matrix, json_t *req);
/* minix-analysis matrix ... */
int cli_cmd_matrix(const struct cli *cli, int argc, char **argv);
/* minix-analysis compare BEFORE AFTER */
int cli_cmd_compare(const struct cli *cli, int argc, char **argv);
/* minix-analysis report ID [--format F] */
int cli_cmd_report(const struct cli *cli, int argc, char **argv);
/* minix-analysis install ... */
int cli_cmd_install(const struct cli *cli, int argc, char **argv);
/* minix-analysis token create|list|revoke */
int cli_cmd_token(const struct cli *cli, int argc, char **argv);
/* minix-analysis trace ... -- COMMAND */
int cli_cmd_trace(const struct cli *cli, int argc, char **argv);
/* minix-analysis image verify --iso PATH [--sha256 HEX] | image list | image delete ID */
int cli_cmd_image(const struct cli *cli, int argc, char **argv);
/* minix-analysis log delete ID... | log prune --older-than-days N [--dry-run] */
int cli_cmd_log(const struct cli *cli, int argc, char **argv);
/* minix-analysis slurm-task SPOOL_DIR K (a Slurm array task on its node) */
int cli_cmd_slurm_task(const struct cli *cli, int argc, char **argv);
struct client;
/* Boots req through c and follows it to its end; *run gets the finished run. Returns 0, or the exit
 * status after printing the error. */
int cli_boot(struct client *c, json_t *req, json_t **run);
