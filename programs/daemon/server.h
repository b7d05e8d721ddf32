/* minix-analysisd: argument parsing and the daemon's life (start, serve, stop). */
#pragma once

/* Runs the daemon with its own argv (argv[0] is the program name); returns the exit status. */
int server_main(int argc, char **argv);
