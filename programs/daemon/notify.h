/* systemd's service notifications (Type=notify): READY once listening,
 * STATUS with the queue, STOPPING on SIGTERM. Nothing when not run by
 * systemd ($NOTIFY_SOCKET unset) or built without libsystemd. */
#pragma once

void notify_ready(const char *status);
void notify_status(int queued, int running);
void notify_stopping(void);
