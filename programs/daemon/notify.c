#include "programs/daemon/notify.h"

#include <stdio.h>

#include "config.h"
#if MA_HAVE_SD_NOTIFY
#include <systemd/sd-daemon.h>
#endif

static void notify(const char *state) {
#if MA_HAVE_SD_NOTIFY
  sd_notify(0, state);
#else
  (void)state;
#endif
}

void notify_ready(const char *status) {
  char msg[256];
  snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s", status);
  notify(msg);
}

void notify_status(int queued, int running) {
  static int last_queued = -1, last_running = -1;
  if (queued == last_queued && running == last_running)
    return;
  last_queued = queued;
  last_running = running;
  char msg[96];
  snprintf(msg, sizeof msg, "STATUS=%d boot(s) running, %d queued", running, queued);
  notify(msg);
}

void notify_stopping(void) { notify("STOPPING=1\nSTATUS=stopping: cancelling runs"); }
