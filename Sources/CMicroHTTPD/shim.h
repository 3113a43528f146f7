#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <microhttpd.h>

/* Swift cannot call C variadic functions, so the few variadic libmicrohttpd
 * entry points HTTPEdge needs are wrapped here with fixed signatures. */

/// Starts a daemon whose options are all given in `options`, an array ended by an
/// `MHD_OPTION_END` entry. No accept-policy callback is installed.
static inline struct MHD_Daemon *
whoot_mhd_start(unsigned int flags, MHD_AccessHandlerCallback handler,
                void *handler_cls, const struct MHD_OptionItem *options)
{
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

/// The peer address of `connection`, or NULL if libmicrohttpd does not know it.
static inline const struct sockaddr *
whoot_mhd_client_address(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info == NULL ? NULL : info->client_addr;
}

/// The socket of `connection`, or -1 if libmicrohttpd does not say.
static inline int
whoot_mhd_connection_socket(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : info->connect_fd;
}

/// The port the daemon listens on (host byte order), or 0 if unknown.
static inline uint16_t
whoot_mhd_bind_port(struct MHD_Daemon *daemon)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

/// The number of connections the daemon currently holds open.
static inline unsigned int
whoot_mhd_current_connections(struct MHD_Daemon *daemon)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info == NULL ? 0 : info->num_connections;
}
