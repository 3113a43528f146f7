#ifndef WHOOT_CLOADGEN_H
#define WHOOT_CLOADGEN_H
#include <stddef.h>
#include <stdint.h>

/// Syscalls LoadGen needs that Swift's Glibc module hides (GNU extensions) or imports badly
/// (the packed epoll_event). Loopback benchmark use only.

/// A batch for recvmmsg/sendmmsg: `count` entries of `stride` bytes each, with room for one
/// SCM_TIMESTAMPNS control message per entry. The batch owns all its memory.
typedef struct lg_batch lg_batch;

/// Allocates a batch; NULL when out of memory.
lg_batch *lg_batch_create(unsigned count, size_t stride);
void lg_batch_destroy(lg_batch *batch);
/// Entry `i`'s buffer (`stride` bytes).
uint8_t *lg_batch_buffer(lg_batch *batch, unsigned i);
/// Bytes received into entry `i` by the last lg_recv.
size_t lg_batch_length(const lg_batch *batch, unsigned i);
/// The kernel's arrival time of entry `i` (SCM_TIMESTAMPNS, CLOCK_REALTIME), in ns since the
/// epoch; 0 when the datagram carried none.
int64_t lg_batch_stamp(const lg_batch *batch, unsigned i);

/// Turns on SO_TIMESTAMPNS (arrival time of every datagram). Returns 0 or -1 (errno set).
int lg_enable_timestamps(int fd);
/// Receives up to the batch's count without blocking. Returns how many (0 when none was
/// waiting), or -1 with errno set. EINTR is retried.
int lg_recv(int fd, lg_batch *batch);
/// Sends entry i's first `length` bytes to 127.0.0.1:ports[i] for i < count with sendmmsg.
/// Returns how many the kernel took, or -1 with errno set.
int lg_send_to_ports(int fd, lg_batch *batch, const uint16_t *ports, unsigned count,
                     size_t length);

/// epoll_create1(EPOLL_CLOEXEC); -1 on error.
int lg_epoll_create(void);
/// Watches `fd` for input (level-triggered); `token` comes back from lg_epoll_wait.
int lg_epoll_add(int epoll_fd, int fd, uint32_t token);
/// Waits up to `timeout_ms` and writes the tokens of up to `max` readable fds. Returns how
/// many, 0 on timeout or EINTR, -1 on error.
int lg_epoll_wait(int epoll_fd, uint32_t *tokens, int max, int timeout_ms);

/// Starts `path` with `argv` (NULL-terminated) and this process's environment: stdout to
/// `stdout_fd`, stderr to /dev/null, every other descriptor above 2 closed in the child.
/// Returns the child's pid, or -1 with errno set. (Used instead of Foundation's Process,
/// which crashed in Process.run() when started from several threads with ~2,000 sockets
/// open.)
int lg_spawn(const char *path, char *const argv[], int stdout_fd);
#endif
