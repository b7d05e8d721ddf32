/* minix-analysisd entry point. */
#include "daemon/server.h"
#include "daemon/supervisor.h"

int main(int argc, char **argv) {
  supervisor_exec_helper(argc, argv);
  return server_main(argc, argv);
}
