#ifndef WHOOT_CLINUX_H
#define WHOOT_CLINUX_H
#include <stdint.h>
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

/// A batch of datagrams for recvmmsg/sendmmsg: `count` mmsghdr, iovec and address
/// entries allocated once, each iovec pointing at `stride` bytes of the caller's buffer
/// memory (`buffers + i * stride`). The caller owns `buffers`; the batch owns the rest.
typedef struct whoot_mmsg whoot_mmsg;

/// Allocates a batch; NULL when out of memory.
whoot_mmsg *whoot_mmsg_create(unsigned count, void *buffers, size_t stride);
void whoot_mmsg_destroy(whoot_mmsg *batch);
/// Receives up to `count` datagrams without blocking. Returns how many (0 when none was
/// waiting), or -1 with errno set. EINTR is retried.
int whoot_mmsg_recv(int fd, whoot_mmsg *batch, unsigned count);
/// The kernel's arrival stamp of received entry `i` (CLOCK_REALTIME ns, SO_TIMESTAMPNS),
/// or 0 when the socket does not stamp.
uint64_t whoot_mmsg_arrival_ns(whoot_mmsg *batch, unsigned i);
/// CLOCK_REALTIME in ns, the clock of the arrival stamps.
uint64_t whoot_realtime_ns(void);
/// Asks the kernel to stamp each datagram's arrival (SO_TIMESTAMPNS); 0 or -1 with errno.
int whoot_enable_arrival_stamps(int fd);
/// Bytes received into entry `i` by the last whoot_mmsg_recv.
size_t whoot_mmsg_length(const whoot_mmsg *batch, unsigned i);
/// Entry `i`'s address: the sender after a receive, the destination to fill before a send.
struct sockaddr_storage *whoot_mmsg_address(whoot_mmsg *batch, unsigned i);
/// Entry `i`'s buffer (`buffers + i * stride`).
void *whoot_mmsg_buffer(whoot_mmsg *batch, unsigned i);
/// Sets entry `i` up for sending `length` bytes to the address already written to it,
/// which is `address_length` bytes long.
void whoot_mmsg_prepare_send(whoot_mmsg *batch, unsigned i, size_t length,
                             socklen_t address_length);
/// Sends entries 0..<count, calling sendmmsg until all went or the socket would block; a
/// datagram the kernel refuses is skipped. Returns how many were sent.
int whoot_mmsg_send(int fd, whoot_mmsg *batch, unsigned count);

/// An eventfd (non-blocking, close-on-exec) to wake a worker blocked in poll; -1 on error.
int whoot_eventfd(void);
/// Adds 1 to an eventfd's counter. Returns 0 or -1.
int whoot_eventfd_signal(int fd);
/// Resets an eventfd's counter to 0.
void whoot_eventfd_drain(int fd);
/// Waits up to `timeout_ms` for `socket_fd` or `event_fd` to be readable. Returns a bit
/// set: 1 socket readable, 2 event readable; 0 on timeout or EINTR.
int whoot_wait2(int socket_fd, int event_fd, int timeout_ms);
/// Sets SO_REUSEPORT on a socket before bind. Returns 0 or -1.
int whoot_set_reuseport(int fd);
/// The number of CPUs this process may run on (its affinity mask), or -1 on error.
int whoot_usable_cpus(void);
/// Restricts the calling thread to one CPU; 0 on success, else -1 with errno.
int whoot_pin_thread(int cpu);
#endif
