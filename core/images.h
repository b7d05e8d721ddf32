/* Registered images: verify and register an ISO; turn a boot request naming
 * an image into one booting its extracted kernel and modules (cached per
 * SHA-256 in the state dir) with a serial console, the ISO as CD-ROM. */
#pragma once
#include <jansson.h>
#include <uv.h>

#include "lib/error.h"
#include "lib/path_policy.h"
#include "lib/store.h"

/* Verifies {"iso": PATH, "sha256": HEX?} and registers it; *image is the stored image. The ISO must
 * be a regular file the policy dirs allow (NULL: any). */
int images_register(struct store *s, path_policy dirs, json_t *req, json_t **image,
                    struct ma_error *err);
struct matrix_spec;
struct bootspec_env;
struct boot_spec;
/* Validates a boot request, resolving an image (the stored request keeps its id): the one path from
 * a request to a spec, for REST, MCP and the in-process CLI alike. */
int images_boot_spec(struct store *s, const char *state_dir, const struct bootspec_env *env,
                     json_t *req, struct boot_spec **out, struct ma_error *err);
/* Validates a matrix request, resolving an image the same way as for one boot. */
int images_matrix_spec(struct store *s, const char *state_dir, const struct bootspec_env *env,
                       int host_cores, json_t *req, struct matrix_spec **out, struct ma_error *err);
typedef void (*images_done_cb)(void *userdata, json_t *image, const struct ma_error *err);
/* Same as images_register, the reading and hashing in the thread pool; done runs
 * on the loop with the image (owned by the callee) or NULL and the error. A bad
 * request fails at once (-EINVAL, err set) and done is not called. */
int images_register_async(uv_loop_t *loop, struct store *s, path_policy dirs, json_t *req,
                          images_done_cb done, void *userdata, struct ma_error *err);
/* When req names an image, *boot is the equivalent kernel request and *cdrom the
 * ISO to attach (malloc'd); otherwise *boot is req (new reference) and *cdrom NULL. */
int images_resolve_boot(struct store *s, const char *state_dir, json_t *req, json_t **boot,
                        char **cdrom, struct ma_error *err);
/* The files a registered image stands for, resolved (malloc'd, n returned): its own (the ISO or the
 * disk) and, for an ISO, the state dir's images/SHA256/ where its kernel and modules are extracted.
 */
size_t images_files(const char *state_dir, json_t *image, char *files[2]);
/* Forgets image (as stored) and deletes what of it the daemon made: the extracted kernel and
 * modules, a disk in the state dir's disks/; never a file of the user's. *out:
 * {"id","removed":[paths],"freed_bytes"}. */
int images_delete(struct store *s, const char *state_dir, json_t *image, json_t **out,
                  struct ma_error *err);
