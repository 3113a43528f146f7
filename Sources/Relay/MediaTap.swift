import Wire

/// Receives a copy of every decrypted Opus frame of one room, on the forwarding thread
/// that owns the room (the only caller). `push` must not block, lock or allocate; it
/// returns false when it dropped the frame. Recording implements it.
public protocol MediaTap: AnyObject {
    @discardableResult
    func push(
        speaker: MemberID, timestamp: UInt32, arrivalMs: UInt64, payload: UnsafeRawBufferPointer
    ) -> Bool
}
