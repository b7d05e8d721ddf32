#include "api/http_status.h"

#include <errno.h>

unsigned http_status_of(int errnum) {
  static const struct {
    int errnum;
    unsigned status;
  } table[] = {
      {EINVAL, 400}, {ENOKEY, 401}, {EACCES, 403}, {ENOENT, 404}, {EOPNOTSUPP, 405}, {EBUSY, 409},
      {E2BIG, 413},  {EUSERS, 429}, {EAGAIN, 503}, {ENOSPC, 507}, {EDQUOT, 507},
  };
  for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++)
    if (table[i].errnum == errnum)
      return table[i].status;
  return 500;
}
