import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// A joinable OS thread running `body`, named for `top` and `perf`.
final class OSThread {
    private final class Box {
        let name: String
        let body: () -> Void
        init(name: String, body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }

    private var handle = pthread_t()

    init(name: String, body: @escaping () -> Void) {
        let box = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
        let created = pthread_create(&handle, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            whoot_set_thread_name(box.name)
            box.body()
            return nil
        }, box)
        precondition(created == 0, "pthread_create failed: \(created)")
    }

    func join() {
        pthread_join(handle, nil)
    }
}
