/* minix-analysisd entry point. */
#include "programs/daemon/server.h"
#include "core/supervisor.h"

int main(int argc, char **argv) {
  supervisor_exec_helper(argc, argv);
  return server_main(argc, argv);
}
