/* For the store's own files (lib/store*.c) only: the SQLite handle and its error mapping. The rest of the
 * code reaches the database through lib/store.h, so that SQL lives in one place. A store file defines
 * STORE_PRIVATE_ALLOWED before including this header; any other file fails to compile. */
#pragma once
#ifndef STORE_PRIVATE_ALLOWED
#error "lib/store_private.h is the store's own header: only lib/store*.c may include it (use lib/store.h)"
#endif
#include <sqlite3.h>

#include "lib/store.h"

sqlite3 *store_db(struct store *s);
/* SQLite result code to -errno. */
int sqlite_errno(int rc);
/* Marks installs and traces left unfinished by a previous process as interrupted; returns how many or -errno. */
int store_docs_interrupt(struct store *s);
