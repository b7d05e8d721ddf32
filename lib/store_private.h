/* For the store's own files (store.c, store_installs.c) only. */
#pragma once
#include <sqlite3.h>

#include "lib/store.h"

sqlite3 *store_db(struct store *s);
/* SQLite result code to -errno. */
int sqlite_errno(int rc);
/* Marks installs and traces left unfinished by a previous process as interrupted; returns how many or -errno. */
int store_docs_interrupt(struct store *s);
