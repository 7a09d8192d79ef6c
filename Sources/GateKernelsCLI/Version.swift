import CKernels
import Foundation

/// What this build of the command is: the library version (CK_VERSION in ckernels.h, the one place
/// it is written) and the git commit of the package's sources. SwiftPM cannot stamp a commit into a
/// build without a plugin, so the commit is read at run time from the checkout this file was
/// compiled from (a clone, or a dependent's .build/checkouts): nil when that checkout is gone, is
/// not a git repository of its own, or git is missing.
enum Provenance {
    static let version = CK_VERSION

    /// The full commit hash, with "-dirty" when tracked files differ from it.
    static let commit: String? = {
        // Sources/GateKernelsCLI/Version.swift -> the package root
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        // its own .git (a folder, or a file in a worktree): a copy of the sources inside another
        // repository would report that repository's commit
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent(".git").path),
              let status = git(["-C", root.path, "status", "--porcelain=v2", "--branch", "--untracked-files=no"])
        else { return nil }
        let lines = status.split(separator: "\n")
        guard let hash = lines.first(where: { $0.hasPrefix("# branch.oid ") })?.split(separator: " ").last,
              hash.allSatisfy(\.isHexDigit) else { return nil }
        return String(hash) + (lines.contains { !$0.hasPrefix("#") } ? "-dirty" : "")
    }()

    /// `gatekernels --version`.
    static var description: String { "\(version) (commit \(commit ?? "unknown: not run from a git checkout of GateKernels"))" }

    /// The keys every JSON output carries.
    static var json: [String: Any] { ["library_version": version, "git_commit": commit ?? NSNull()] }
}

/// git's trimmed standard output, or nil when it cannot run or fails.
private func git(_ args: [String]) -> String? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["git"] + args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { return nil }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
