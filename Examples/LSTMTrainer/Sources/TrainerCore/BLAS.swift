import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Where a training step spends its time: GateKernels (or the libm reference gates) against BLAS.
public struct StepProfile: Sendable {
    /// Nanoseconds inside gate updates (forward and backward), including their activations.
    public var gateNanos: UInt64 = 0
    /// Nanoseconds inside BLAS calls (GEMMs, and the few level-1/2 calls).
    public var blasNanos: UInt64 = 0
    /// Nanoseconds of whole training steps.
    public var stepNanos: UInt64 = 0

    public init() {}

    /// The share of step time spent in gate updates.
    public var gateShare: Double { stepNanos == 0 ? 0 : Double(gateNanos) / Double(stepNanos) }
    /// The share of step time spent in BLAS.
    public var blasShare: Double { stepNanos == 0 ? 0 : Double(blasNanos) / Double(stepNanos) }
}

/// Monotonic nanoseconds.
@inline(__always) func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// The trainer's BLAS calls, all row-major, each timed into a profile.
struct BLAS {
    /// Sets OpenBLAS's thread count (process-wide, as OpenBLAS has no per-call setting).
    static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }

    /// `C = alpha op(A) op(B) + beta C` with `op(A)` m×k and `op(B)` k×n.
    static func gemm(_ profile: inout StepProfile, transA: Bool = false, transB: Bool = false,
                     m: Int, n: Int, k: Int, alpha: Float = 1,
                     _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        let start = now()
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        profile.blasNanos += now() - start
    }

    /// `y += A^T x`: column sums of a row-major m×n `A` when `x` is all ones (bias gradients).
    static func addColumnSums(_ profile: inout StepProfile, m: Int, n: Int, _ a: UnsafePointer<Float>,
                              ones: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let start = now()
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(m), Int32(n), 1, a, Int32(n), ones, 1, 1, y, 1)
        profile.blasNanos += now() - start
    }

    /// `y += x` over `n` elements.
    static func add(_ profile: inout StepProfile, n: Int, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let start = now()
        cblas_saxpy(Int32(n), 1, x, 1, y, 1)
        profile.blasNanos += now() - start
    }

    /// The Euclidean norm of `n` elements.
    static func norm(_ n: Int, _ x: UnsafePointer<Float>) -> Float { cblas_snrm2(Int32(n), x, 1) }

    /// `x *= alpha` over `n` elements.
    static func scale(_ n: Int, _ alpha: Float, _ x: UnsafeMutablePointer<Float>) { cblas_sscal(Int32(n), alpha, x, 1) }
}
