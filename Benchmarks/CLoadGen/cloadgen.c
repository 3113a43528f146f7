#define _GNU_SOURCE
#include "cloadgen.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

/// Room for one cmsg carrying a struct timespec.
#define LG_CONTROL_BYTES CMSG_SPACE(sizeof(struct timespec))

struct lg_batch {
    unsigned count;
    size_t stride;
    uint8_t *buffers;
    struct mmsghdr *headers;
    struct iovec *vectors;
    struct sockaddr_in *addresses;
    uint8_t *control;
};

lg_batch *lg_batch_create(unsigned count, size_t stride) {
    lg_batch *batch = calloc(1, sizeof(lg_batch));
    if (batch == NULL) return NULL;
    batch->count = count;
    batch->stride = stride;
    batch->buffers = calloc(count, stride);
    batch->headers = calloc(count, sizeof(struct mmsghdr));
    batch->vectors = calloc(count, sizeof(struct iovec));
    batch->addresses = calloc(count, sizeof(struct sockaddr_in));
    batch->control = calloc(count, LG_CONTROL_BYTES);
    if (!batch->buffers || !batch->headers || !batch->vectors || !batch->addresses
        || !batch->control) {
        lg_batch_destroy(batch);
        return NULL;
    }
    return batch;
}

void lg_batch_destroy(lg_batch *batch) {
    if (batch == NULL) return;
    free(batch->buffers);
    free(batch->headers);
    free(batch->vectors);
    free(batch->addresses);
    free(batch->control);
    free(batch);
}

uint8_t *lg_batch_buffer(lg_batch *batch, unsigned i) {
    return batch->buffers + (size_t)i * batch->stride;
}

size_t lg_batch_length(const lg_batch *batch, unsigned i) {
    return batch->headers[i].msg_len;
}

int64_t lg_batch_stamp(const lg_batch *batch, unsigned i) {
    const struct msghdr *header = &batch->headers[i].msg_hdr;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(header); c != NULL;
         c = CMSG_NXTHDR((struct msghdr *)header, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec stamp;
            memcpy(&stamp, CMSG_DATA(c), sizeof(stamp));
            return (int64_t)stamp.tv_sec * 1000000000 + stamp.tv_nsec;
        }
    }
    return 0;
}

int lg_enable_timestamps(int fd) {
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
}

/// Points every entry at its buffer, address and control space again (the kernel shrinks
/// msg_controllen and msg_namelen on receive).
static void lg_reset(lg_batch *batch, unsigned count, size_t length, int with_control) {
    for (unsigned i = 0; i < count; i++) {
        batch->vectors[i].iov_base = lg_batch_buffer(batch, i);
        batch->vectors[i].iov_len = length;
        struct msghdr *header = &batch->headers[i].msg_hdr;
        header->msg_iov = &batch->vectors[i];
        header->msg_iovlen = 1;
        header->msg_name = &batch->addresses[i];
        header->msg_namelen = sizeof(struct sockaddr_in);
        header->msg_control = with_control ? batch->control + i * LG_CONTROL_BYTES : NULL;
        header->msg_controllen = with_control ? LG_CONTROL_BYTES : 0;
        header->msg_flags = 0;
        batch->headers[i].msg_len = 0;
    }
}

int lg_recv(int fd, lg_batch *batch) {
    lg_reset(batch, batch->count, batch->stride, 1);
    for (;;) {
        int received = recvmmsg(fd, batch->headers, batch->count, MSG_DONTWAIT, NULL);
        if (received >= 0) return received;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return -1;
    }
}

int lg_send_to_ports(int fd, lg_batch *batch, const uint16_t *ports, unsigned count,
                     size_t length) {
    if (count > batch->count || length > batch->stride) {
        errno = EINVAL;
        return -1;
    }
    lg_reset(batch, count, length, 0);
    for (unsigned i = 0; i < count; i++) {
        batch->addresses[i].sin_family = AF_INET;
        batch->addresses[i].sin_port = htons(ports[i]);
        batch->addresses[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    unsigned sent = 0;
    while (sent < count) {
        int result = sendmmsg(fd, batch->headers + sent, count - sent, 0);
        if (result < 0 && errno == EINTR) continue;
        if (result < 0) return sent > 0 ? (int)sent : -1;
        sent += (unsigned)result;
    }
    return (int)sent;
}

int lg_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int lg_epoll_add(int epoll_fd, int fd, uint32_t token) {
    struct epoll_event event = {.events = EPOLLIN, .data = {.u32 = token}};
    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

int lg_epoll_wait(int epoll_fd, uint32_t *tokens, int max, int timeout_ms) {
    struct epoll_event events[256];
    if (max > 256) max = 256;
    int ready = epoll_wait(epoll_fd, events, max, timeout_ms);
    if (ready < 0) return errno == EINTR ? 0 : -1;
    for (int i = 0; i < ready; i++) tokens[i] = events[i].data.u32;
    return ready;
}

extern char **environ;

int lg_spawn(const char *path, char *const argv[], int stdout_fd) {
    posix_spawn_file_actions_t actions;
    if (posix_spawn_file_actions_init(&actions) != 0) return -1;
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    pid_t pid = -1;
    int result = posix_spawn(&pid, path, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (result != 0) {
        errno = result;
        return -1;
    }
    return pid;
}
