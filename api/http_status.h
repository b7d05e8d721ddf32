/* The one table from the core's error kinds (lib/error.h: positive errno values) to HTTP statuses.
 */
#pragma once

/* The HTTP status for an ma_error's errnum: EINVAL 400, ENOKEY 401, EACCES 403, ENOENT 404,
 * EOPNOTSUPP 405, EBUSY 409, E2BIG 413, EUSERS 429, EAGAIN 503, ENOSPC and EDQUOT 507, anything
 * else 500. */
unsigned http_status_of(int errnum);
