#define _GNU_SOURCE
#include "clinux.h"
#include <fcntl.h>
#include <unistd.h>

int whoot_peer_cred(int fd, pid_t *pid, uid_t *uid, gid_t *gid) {
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
    *pid = cred.pid;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}

int whoot_accept_cloexec(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }

int whoot_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
