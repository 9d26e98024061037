import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whether the database can live at a configured path: the file, if it exists, must be a regular
/// file, and its folder must exist or be one new folder in an existing, writable one (the daemon
/// creates that one, as it does `data/` for the default `data/parley.sqlite`). A deeper missing
/// path is far more often a typo than a wish, so it is refused rather than created.
enum StoragePath {
    /// Why the path cannot work, or nil.
    static func problem(_ path: String) -> String? {
        let url = URL(fileURLWithPath: path)
        if let kind = kind(of: url) {
            return kind == .directory ? "\(path) is a directory; name the database file (e.g. \(url.appendingPathComponent("parley.sqlite").path))" : nil
        }
        let folder = url.deletingLastPathComponent()
        switch kind(of: folder) {
        case .directory:
            return writable(folder, for: path)
        case .other:
            return "\(folder.path) is a file, not a directory, so \(path) cannot be created there"
        case nil:
            let parent = folder.deletingLastPathComponent()
            guard kind(of: parent) == .directory else {
                return "the directory \(folder.path) does not exist, and neither does \(parent.path); create it, or fix the path"
            }
            return writable(parent, for: path)
        }
    }

    private enum Kind { case directory, other }

    private static func kind(of url: URL) -> Kind? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return nil }
        return isDirectory.boolValue ? .directory : .other
    }

    private static func writable(_ folder: URL, for path: String) -> String? {
        guard access(folder.path, W_OK) != 0 else { return nil }
        return "\(path) cannot be created: \(folder.path) is not writable (\(String(cString: strerror(errno))))"
    }
}
