/* Writing a buffer the caller hands over onto a libuv stream (QMP, the
 * console, the gdbstub): it is freed once written, or at once on failure. */
#pragma once
#include <stddef.h>
#include <uv.h>

/* data (malloc'd, taken over; NULL reports -ENOMEM) of len bytes; 0 or a negative libuv/errno code.
 */
int uv_write_owned(uv_stream_t *stream, char *data, size_t len);
