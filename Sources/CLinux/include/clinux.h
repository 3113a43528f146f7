#ifndef WHOOT_CLINUX_H
#define WHOOT_CLINUX_H
#include <sys/types.h>
#include <sys/socket.h>

/// Peer credentials of a connected Unix socket (SO_PEERCRED). Returns 0 or -1 (errno set).
int whoot_peer_cred(int fd, pid_t *pid, uid_t *uid, gid_t *gid);
/// Names the calling thread (at most 15 bytes are kept), for top and perf.
void whoot_set_thread_name(const char *name);

/// accept4(fd, NULL, NULL, SOCK_CLOEXEC): a GNU extension Swift's Glibc module hides.
int whoot_accept_cloexec(int fd);

/// pipe2(fds, O_CLOEXEC): a GNU extension Swift's Glibc module hides.
int whoot_pipe_cloexec(int fds[2]);
#endif
