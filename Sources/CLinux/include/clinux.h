#ifndef WHOOT_CLINUX_H
#define WHOOT_CLINUX_H
#include <sys/types.h>
#include <sys/socket.h>

/// Peer credentials of a connected Unix socket (SO_PEERCRED). Returns 0 or -1 (errno set).
int whoot_peer_cred(int fd, pid_t *pid, uid_t *uid, gid_t *gid);
/// Names the calling thread (at most 15 bytes are kept), for top and perf.
void whoot_set_thread_name(const char *name);
#endif
