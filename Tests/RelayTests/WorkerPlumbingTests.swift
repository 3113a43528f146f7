import CLinux
import TestKit
import Testing
import Wire

@testable import Relay

@Suite struct WorkerPlumbingTests {
    @Test func ringHandsOverDatagramsInOrderAndRefusesWhenFull() {
        let ring = SPSCRing(capacity: 4, slotBytes: 64)
        let peer = PeerAddress(host: "127.0.0.1", port: 5000)!

        for value in 0..<4 {
            let pushed = [UInt8](repeating: UInt8(value), count: 10).withUnsafeBytes {
                ring.push($0, from: peer, session: UInt32(value))
            }
            #expect(pushed)
        }
        let overflow = [UInt8](repeating: 9, count: 10).withUnsafeBytes {
            ring.push($0, from: peer, session: 9)
        }
        let tooLong = [UInt8](repeating: 9, count: 65).withUnsafeBytes {
            ring.push($0, from: peer, session: 9)
        }

        #expect(!overflow)
        #expect(!tooLong)
        for value in 0..<4 {
            let item = ring.peek()
            #expect(item?.entry.session == UInt32(value))
            #expect(item?.entry.length == 10)
            #expect(item?.buffer[9] == UInt8(value))
            ring.pop()
        }
        #expect(ring.peek() == nil)
    }

    @Test func ringCarriesEveryDatagramBetweenTwoThreads() async {
        let ring = SPSCRing(capacity: 64, slotBytes: 16)
        let peer = PeerAddress(host: "127.0.0.1", port: 5000)!
        let total = 20_000

        let producer = Task.detached {
            var next = 0
            while next < total {
                let pushed = withUnsafeBytes(of: UInt32(next)) {
                    ring.push($0, from: peer, session: UInt32(next))
                }
                if pushed { next += 1 }
            }
        }
        var expected = 0
        while expected < total {
            guard let item = ring.peek() else { continue }
            let value = UnsafeRawBufferPointer(item.buffer).load(as: UInt32.self)
            #expect(value == UInt32(expected) && item.entry.session == UInt32(expected))
            if value != UInt32(expected) { break }
            ring.pop()
            expected += 1
        }
        await producer.value
        #expect(expected == total)
    }

    @Test func replacedSnapshotIsFreedOnlyAfterEveryWorkerPassedAQuiescentPoint() {
        let routes = RouteTable(workers: 2)
        let route = Route(worker: 0, session: 1)
        routes.quiescent(worker: 0)
        routes.quiescent(worker: 1)

        routes.addUfrag("abcd", route)
        #expect(routes.retiredCount == 1)
        #expect(routes.withSnapshot { $0.byUfrag["abcd"] } == route)

        routes.quiescent(worker: 0)
        routes.addUfrag("efgh", route)
        #expect(routes.retiredCount == 2)

        routes.quiescent(worker: 0)
        routes.quiescent(worker: 1)
        routes.addUfrag("ijkl", route)
        #expect(routes.retiredCount == 1)
        #expect(routes.withSnapshot { $0.byUfrag.count } == 3)
    }

    @Test func channelsSpreadOverWorkersAndForwardWithThreadsRunning() throws {
        let harness = try RelayHarness(workers: 2, threaded: true)
        var rooms: [[RelayHarness.Member]] = []
        for channel in 1...2 {
            rooms.append(try (0..<3).map { _ in try harness.join(channel: Int64(channel)) })
        }

        for round in 0..<20 {
            for room in rooms {
                try speak(room[0], harness, sequence: UInt16(round),
                          timestamp: UInt32(round) * 960, level: 20)
            }
        }
        usleepMillis(50)

        let owners = Set(rooms.map { room in
            harness.relay.engines.firstIndex { $0.rooms.keys.contains(room[0].plan.roomKey) }
        })
        #expect(owners.count == 2)
        for room in rooms {
            #expect(received(room[1], harness).count == 20)
            #expect(received(room[2], harness).count == 20)
            #expect(received(room[0], harness).isEmpty)
        }
    }
}

/// One forwarding worker per core the process may run on, not per core of the machine:
/// under `taskset -c 0` (or systemd's CPUAffinity=) two workers would share one core.
@Suite struct WorkerCountTests {
    @Test func workersFollowTheCPUAffinityMask() throws {
        let all = Relay.defaultWorkers
        #expect(all >= 1)
        final class Box: @unchecked Sendable { var workers = 0; var pinned: Int32 = -1 }
        let box = Box()
        // A thread of its own, so the test runner's threads keep their mask.
        let thread = OSThread(name: "affinity-test") {
            box.pinned = whoot_pin_thread(0)
            box.workers = Relay.defaultWorkers
        }
        thread.join()
        try #require(box.pinned == 0)
        #expect(box.workers == 1)
        #expect(Relay.defaultWorkers == all)
    }
}

extension SessionPlan {
    var roomKey: RoomKey { RoomKey(tenant: tenant, channel: channel) }
}
