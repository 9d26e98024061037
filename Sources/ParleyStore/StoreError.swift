/// The store could not be opened or used.
public struct StoreError: Error, CustomStringConvertible {
    public var path: String
    public var detail: String

    public var description: String {
        "storage at \(path): \(detail) (check that the folder exists and is writable, and that no other Parley uses the file)"
    }
}
