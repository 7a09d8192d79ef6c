import CKernels

/// An accuracy tier: how close the result is to the exact function, traded against speed.
///
/// Every tier holds its bound for every `Float` input (proven by exhaustive sweeps), is monotone
/// non-decreasing, keeps sigmoid in [0, 1] and tanh in [-1, 1], propagates NaN and reaches the
/// saturation values (sigmoid = 0 or 1, tanh = ±1) exactly.
public enum Tier: Int32, Sendable, CaseIterable, CustomStringConvertible {
    /// At most 2 ulp from the correctly rounded result: reference-quality training.
    case precise = 0
    /// At most 4 ulp: the default for training.
    case fast = 1
    /// At most 2e-4 absolute error: inference and experiments.
    case approximate = 2

    /// The tier's name: `precise`, `fast` or `approximate`.
    public var description: String {
        switch self {
        case .precise: "precise"
        case .fast: "fast"
        case .approximate: "approximate"
        }
    }

    /// The C value: the one conversion, for the library, the CLI and the tests.
    @usableFromInline package var c: ck_tier { ck_tier(rawValue: UInt32(rawValue)) }
}

/// How many threads a buffer function or a cell may use. The results are bitwise identical for every
/// choice.
public enum Parallelism: Sendable, Hashable {
    /// The calling thread only.
    case serial
    /// Split large buffers across the machine's cores; buffers too small to gain stay serial.
    case automatic
    /// Use at most `n` threads, the caller included (`n` >= 1), however small the buffer.
    case threads(Int)
    #if OpenMP
    /// Split across at most `n` threads of an OpenMP team (`n` >= 1), fewer when a buffer has
    /// less than `CK_OMP_GRAIN` elements per thread. Only with the package trait `OpenMP`.
    case openMP(Int)
    #endif
}

/// An instruction set the kernels can run on.
// The cases are those of the C list CK_ISA_LIST (ckernels.h) after `auto`, in its order; `c` is the
// one conversion (the CLI and the tests use it too) and a test checks both lists name the same ISAs.
public enum ISA: Sendable, CaseIterable, CustomStringConvertible {
    /// Portable C, one lane at a time: every CPU.
    case scalar
    /// AVX2 with FMA, 8 lanes.
    case avx2
    /// AVX-512 (F, DQ, BW, VL), 16 lanes.
    case avx512
    /// NEON, 4 lanes: every AArch64 CPU.
    case neon

    @usableFromInline package var c: ck_isa {
        switch self {
        case .scalar: CK_ISA_SCALAR
        case .avx2: CK_ISA_AVX2
        case .avx512: CK_ISA_AVX512
        case .neon: CK_ISA_NEON
        }
    }

    package init?(_ isa: ck_isa) {
        guard let found = ISA.allCases.first(where: { $0.c == isa }) else { return nil }
        self = found
    }

    /// The name `GATEKERNELS_ISA` takes: `scalar`, `avx2`, `avx512` or `neon`.
    public var description: String { String(cString: ck_isa_name(c)) }

    /// Whether this CPU (and this build) can run the instruction set.
    public var isSupported: Bool { ck_isa_supported(c) != 0 }

    /// The instruction sets this CPU supports, narrowest first.
    public static var supported: [ISA] { allCases.filter(\.isSupported) }

    /// The widest instruction set this CPU supports: what the kernels use unless told otherwise.
    public static var best: ISA { ISA(ck_best_isa()) ?? .scalar }

    /// The instruction set every kernel call uses now, process-wide. Chosen once at start-up (the
    /// widest supported, or `GATEKERNELS_ISA=scalar|avx2|avx512|neon`), changed by `use(_:)`.
    public static var active: ISA { ISA(ck_active_isa()) ?? .scalar }

    /// Makes every later kernel call in the process use `isa` (`nil`: the widest supported).
    /// - Throws: `GateKernelsError.unsupportedISA` if this CPU lacks it; nothing changes then.
    public static func use(_ isa: ISA?) throws(GateKernelsError) {
        let status = ck_set_isa(isa?.c ?? CK_ISA_AUTO)
        guard status == CK_OK else { throw .unsupportedISA(isa?.description ?? "auto") }
    }

    /// The error in `GATEKERNELS_ISA`, if it named an unknown or unsupported instruction set
    /// (the kernels then run on `best`).
    public static var environmentError: String? {
        ck_env_isa_status() == CK_OK ? nil : String(cString: ck_env_isa_message())
    }
}

/// Errors for invalid configuration. (Mismatched buffer sizes are programmer errors: they stop
/// the program, as Accelerate does, with a message that names both sizes, in release builds too.)
public enum GateKernelsError: Error, Equatable, CustomStringConvertible {
    /// The named instruction set is not available on this CPU or in this build.
    case unsupportedISA(String)
    /// A configuration value is out of range; the message says which.
    case invalidConfiguration(String)

    /// A message for people.
    public var description: String {
        switch self {
        case .unsupportedISA(let name): "instruction set \(name) is not supported on this CPU"
        case .invalidConfiguration(let message): message
        }
    }
}
