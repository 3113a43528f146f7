import Wire

#if canImport(Glibc)
    import Glibc
#endif

extension TestPeer {
    /// Answers the relay's own ICE checks: some ICE-lite agents (libnice in Janus) send
    /// Binding requests back and validate the pair only when they are answered. Takes every
    /// Binding request waiting at the head of the socket's queue and sends a success response
    /// signed with `TestPeer.icePassword` (RFC 8445 7.3.1.1), and drops Binding indications;
    /// stops at the first other datagram, leaving it for `receive`. Returns how many were
    /// answered. Call it between `check` and `connect`, on the thread that runs them.
    @discardableResult
    public func answerPendingChecks() -> Int {
        var answered = 0
        var buffer = [UInt8](repeating: 0, count: 1500)
        while true {
            var source = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let count = buffer.withUnsafeMutableBytes { raw in
                withUnsafeMutablePointer(to: &source) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(socket.fd, raw.baseAddress, raw.count,
                                 Int32(MSG_PEEK | MSG_DONTWAIT), $0, &length)
                    }
                }
            }
            guard count >= STUNMessage.headerLength, buffer[0] < 2,
                let message = try? STUNMessage.parse(Array(buffer[0..<count])),
                message.messageClass == .request || message.messageClass == .indication
            else { return answered }

            _ = recv(socket.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            // An indication (a keepalive, RFC 8489 6.3) needs no answer.
            guard message.messageClass == .request else { continue }
            let port = UInt16(bigEndian: source.sin_port)
            socket.send(STUNMessage.bindingSuccess(
                transactionID: message.transactionID,
                mappedAddress: ([127, 0, 0, 1], port),
                integrityKey: Array(Self.icePassword.utf8)), toPort: port)
            answered += 1
        }
    }
}
