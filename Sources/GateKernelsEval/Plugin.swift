#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A C function loaded from a shared library at run time (`dlopen`, `dlsym`): someone's sigmoid or
/// tanh of the shape `void f(const float *x, float *y, size_t n)`, ready for
/// ``AccuracySweep/run(_:over:threads:isolated:cFunction:)``. The library stays loaded for the
/// life of the process (a sweep may still be calling into it).
public struct Plugin: Sendable {
    /// The library's path as given.
    public let path: String
    /// The symbol's name.
    public let symbol: String
    /// The library file loaded, as an absolute path with symbolic links resolved (nil for a bare
    /// name, which the loader searched for).
    public let loadedFrom: String?
    /// The function.
    public let function: BufferFunction

    /// Why a plug-in could not be loaded.
    public enum LoadError: Error, Equatable, CustomStringConvertible {
        /// No file at the path.
        case fileNotFound(path: String)
        /// The file is there but the loader refused it (not a shared library, wrong architecture,
        /// a missing dependency), with the loader's reason.
        case cannotOpen(path: String, reason: String)
        /// The library has no such symbol.
        case symbolNotFound(symbol: String, path: String)
        /// The text is not of the form `path:symbol`.
        case notPathAndSymbol(String)

        /// The reason in a sentence.
        public var description: String {
            switch self {
            case .fileNotFound(let path): "\(path): no such file"
            case .cannotOpen(let path, let reason): "\(path): cannot load it as a shared library: \(reason)"
            case .symbolNotFound(let symbol, let path): "\(path) has no symbol '\(symbol)' (nm -D lists the ones it exports)"
            case .notPathAndSymbol(let text): "'\(text)': expected path/to/library.so:symbol"
            }
        }
    }

    /// Loads `symbol` from the shared library at `path` (a path with a slash is a file; a bare name
    /// is searched for as `dlopen` does, e.g. `libsleef.so.3`).
    public init(path: String, symbol: String) throws(LoadError) {
        if path.contains("/") && !FileManager.default.fileExists(atPath: path) { throw .fileNotFound(path: path) }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
            throw path.contains("/") ? .cannotOpen(path: path, reason: reason) : .fileNotFound(path: path)
        }
        guard let address = dlsym(handle, symbol) else { throw .symbolNotFound(symbol: symbol, path: path) }
        self.path = path
        self.symbol = symbol
        function = unsafeBitCast(address, to: BufferFunction.self)
        loadedFrom = path.contains("/") ? URL(fileURLWithPath: path).resolvingSymlinksInPath().path : nil
    }

    /// Parses `path:symbol` (split at the last colon) and loads it.
    public init(_ spec: String) throws(LoadError) {
        guard let colon = spec.lastIndex(of: ":"), colon != spec.startIndex, spec.index(after: colon) != spec.endIndex else {
            throw .notPathAndSymbol(spec)
        }
        try self.init(path: String(spec[..<colon]), symbol: String(spec[spec.index(after: colon)...]))
    }
}
