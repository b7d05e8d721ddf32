/* Registered images: verify and register an ISO; turn a boot request naming
 * an image into one booting its extracted kernel and modules (cached per
 * SHA-256 in the state dir) with a serial console, the ISO as CD-ROM. */
#pragma once
#include <jansson.h>
#include <uv.h>

#include "lib/error.h"
#include "lib/store.h"

/* Verifies {"iso": PATH, "sha256": HEX?} and registers it; *image is the stored image. */
int images_register(struct store *s, json_t *req, json_t **image, struct ma_error *err);
struct matrix_spec;
struct bootspec_env;
/* Validates a matrix request, resolving an image the same way as for one boot. */
int images_matrix_spec(struct store *s, const char *state_dir, const struct bootspec_env *env, int host_cores,
                       json_t *req, struct matrix_spec **out, struct ma_error *err);
typedef void (*images_done_cb)(void *userdata, json_t *image, const struct ma_error *err);
/* Same as images_register, the reading and hashing in the thread pool; done runs
 * on the loop with the image (owned by the callee) or NULL and the error. A bad
 * request fails at once (-EINVAL, err set) and done is not called. */
int images_register_async(uv_loop_t *loop, struct store *s, json_t *req, images_done_cb done, void *userdata,
                          struct ma_error *err);
/* When req names an image, *boot is the equivalent kernel request and *cdrom the
 * ISO to attach (malloc'd); otherwise *boot is req (new reference) and *cdrom NULL. */
int images_resolve_boot(struct store *s, const char *state_dir, json_t *req, json_t **boot, char **cdrom,
                        struct ma_error *err);
