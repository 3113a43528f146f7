#define _GNU_SOURCE
#include "clinux.h"
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* Room for one SCM_TIMESTAMPNS control message per entry. */
#define WHOOT_CONTROL_BYTES CMSG_SPACE(sizeof(struct timespec))

struct whoot_mmsg {
    unsigned count;
    size_t stride;
    char *buffers;
    struct mmsghdr *headers;
    struct iovec *vectors;
    struct sockaddr_storage *addresses;
    char *controls;
};

whoot_mmsg *whoot_mmsg_create(unsigned count, void *buffers, size_t stride) {
    whoot_mmsg *batch = calloc(1, sizeof(*batch));
    if (batch == NULL) return NULL;
    batch->count = count;
    batch->stride = stride;
    batch->buffers = buffers;
    batch->headers = calloc(count, sizeof(struct mmsghdr));
    batch->vectors = calloc(count, sizeof(struct iovec));
    batch->addresses = calloc(count, sizeof(struct sockaddr_storage));
    batch->controls = calloc(count, WHOOT_CONTROL_BYTES);
    if (!batch->headers || !batch->vectors || !batch->addresses || !batch->controls) {
        whoot_mmsg_destroy(batch);
        return NULL;
    }
    for (unsigned i = 0; i < count; i++) {
        batch->vectors[i].iov_base = batch->buffers + (size_t)i * stride;
        batch->vectors[i].iov_len = stride;
        batch->headers[i].msg_hdr.msg_iov = &batch->vectors[i];
        batch->headers[i].msg_hdr.msg_iovlen = 1;
        batch->headers[i].msg_hdr.msg_name = &batch->addresses[i];
        batch->headers[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
    }
    return batch;
}

void whoot_mmsg_destroy(whoot_mmsg *batch) {
    if (batch == NULL) return;
    free(batch->headers);
    free(batch->vectors);
    free(batch->addresses);
    free(batch->controls);
    free(batch);
}

int whoot_mmsg_recv(int fd, whoot_mmsg *batch, unsigned count) {
    if (count > batch->count) count = batch->count;
    for (unsigned i = 0; i < count; i++) {
        batch->vectors[i].iov_len = batch->stride;
        batch->headers[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
        batch->headers[i].msg_hdr.msg_control = batch->controls + (size_t)i * WHOOT_CONTROL_BYTES;
        batch->headers[i].msg_hdr.msg_controllen = WHOOT_CONTROL_BYTES;
        batch->headers[i].msg_hdr.msg_flags = 0;
        batch->headers[i].msg_len = 0;
    }
    for (;;) {
        int got = recvmmsg(fd, batch->headers, count, MSG_DONTWAIT, NULL);
        if (got >= 0) return got;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return -1;
    }
}

uint64_t whoot_mmsg_arrival_ns(whoot_mmsg *batch, unsigned i) {
    struct msghdr *header = &batch->headers[i].msg_hdr;
    if (header->msg_control == NULL) return 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(header); c != NULL; c = CMSG_NXTHDR(header, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
            struct timespec stamp;
            memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
            return (uint64_t)stamp.tv_sec * 1000000000u + (uint64_t)stamp.tv_nsec;
        }
    }
    return 0;
}

uint64_t whoot_realtime_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

int whoot_enable_arrival_stamps(int fd) {
    int one = 1;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
}

size_t whoot_mmsg_length(const whoot_mmsg *batch, unsigned i) {
    return batch->headers[i].msg_len;
}

struct sockaddr_storage *whoot_mmsg_address(whoot_mmsg *batch, unsigned i) {
    return &batch->addresses[i];
}

void *whoot_mmsg_buffer(whoot_mmsg *batch, unsigned i) {
    return batch->buffers + (size_t)i * batch->stride;
}

void whoot_mmsg_prepare_send(whoot_mmsg *batch, unsigned i, size_t length,
                             socklen_t address_length) {
    batch->vectors[i].iov_len = length;
    batch->headers[i].msg_hdr.msg_namelen = address_length;
    batch->headers[i].msg_hdr.msg_control = NULL;
    batch->headers[i].msg_hdr.msg_controllen = 0;
    batch->headers[i].msg_hdr.msg_flags = 0;
}

int whoot_mmsg_send(int fd, whoot_mmsg *batch, unsigned count) {
    unsigned sent = 0, failed = 0;
    while (sent < count) {
        int done = sendmmsg(fd, batch->headers + sent, count - sent, MSG_DONTWAIT);
        if (done > 0) {
            sent += (unsigned)done;
            continue;
        }
        if (done < 0 && errno == EINTR) continue;
        if (done < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        /* A datagram the kernel refused (e.g. a pending ICMP error) is skipped. */
        sent += 1;
        failed += 1;
    }
    return (int)(sent - failed);
}

int whoot_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int whoot_eventfd_signal(int fd) {
    uint64_t one = 1;
    return write(fd, &one, sizeof(one)) == sizeof(one) ? 0 : -1;
}

void whoot_eventfd_drain(int fd) {
    uint64_t value;
    while (read(fd, &value, sizeof(value)) == sizeof(value)) {
    }
}

int whoot_wait2(int socket_fd, int event_fd, int timeout_ms) {
    struct pollfd entries[2] = {
        {.fd = socket_fd, .events = POLLIN, .revents = 0},
        {.fd = event_fd, .events = POLLIN, .revents = 0},
    };
    int ready = poll(entries, event_fd >= 0 ? 2 : 1, timeout_ms);
    if (ready <= 0) return 0;
    return ((entries[0].revents & POLLIN) ? 1 : 0) | ((entries[1].revents & POLLIN) ? 2 : 0);
}

int whoot_set_reuseport(int fd) {
    int one = 1;
    return setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
}
