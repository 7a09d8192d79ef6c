import CKernels
#if OpenMP
import CKernelsOpenMP
#endif

/// A kernel call with its buffers, as either backend runs it: split by this package's Dispatch
/// drivers (`forEachBlock`), or handed whole to its OpenMP driver (ckernels_omp.h), which splits it.
/// Both follow the thread policy of ckernels_threads.h. This file is the only one that knows OpenMP.
protocol ParallelCall: Sendable {
    /// Runs the call on Dispatch as `parallelism` (any case but `.openMP`) asks; `name` is the
    /// caller's, for messages.
    func runOnDispatch(_ parallelism: Parallelism, _ name: String)
    #if OpenMP
    /// The status of the call's OpenMP driver on at most `threads` threads.
    func runOnOpenMP(threads: Int32) -> ck_status
    #endif
}

extension ParallelCall {
    /// Runs the call on the backend that `parallelism` (checked by the caller) names: the one backend switch.
    func run(_ parallelism: Parallelism, _ name: String) {
        #if OpenMP
        if case .openMP(let n) = parallelism {
            requireOK(runOnOpenMP(threads: Int32(clamping: n)), name)
            return
        }
        #endif
        runOnDispatch(parallelism, name)
    }
}

#if OpenMP
// Each call's OpenMP driver.

extension UnaryCall {
    func runOnOpenMP(threads: Int32) -> ck_status { ck_unary_f32_omp(kernel, x, y, count, tier, threads) }
}

extension HalfUnaryCall {
    func runOnOpenMP(threads: Int32) -> ck_status { ck_unary_half_omp(kernel, x, y, count, tier, threads) }
}

extension LSTMForwardCall {
    func runOnOpenMP(threads: Int32) -> ck_status {
        withUnsafePointer(to: desc) {
            ck_lstm_forward_omp($0, z, bias, previousCell, cell, hidden, workspace, threads)
        }
    }
}

extension LSTMBackwardCall {
    func runOnOpenMP(threads: Int32) -> ck_status {
        withUnsafePointer(to: desc) {
            ck_lstm_backward_omp($0, hiddenGradient, nextCellGradient, workspace, previousCell, preactivationGradient,
                                 previousCellGradient, biasGradient, threads)
        }
    }
}

extension GRUForwardCall {
    func runOnOpenMP(threads: Int32) -> ck_status {
        withUnsafePointer(to: desc) {
            ck_gru_forward_omp($0, inputProjections, hiddenProjections, previousHidden, hidden, workspace, threads)
        }
    }
}

extension HalfLSTMForwardCall {
    func runOnOpenMP(threads: Int32) -> ck_status {
        withUnsafePointer(to: desc) {
            ck_lstm_forward_half_omp($0, format, z, bias, previousCell, cell, hidden, workspace, threads)
        }
    }
}

extension HalfLSTMBackwardCall {
    func runOnOpenMP(threads: Int32) -> ck_status {
        withUnsafePointer(to: desc) {
            ck_lstm_backward_half_omp($0, format, hiddenGradient, nextCellGradient, workspace, previousCell,
                                      preactivationGradient, previousCellGradient, biasGradient, threads)
        }
    }
}

extension HalfGRUForwardCall {
    func runOnOpenMP(threads: Int32) -> ck_status {
        withUnsafePointer(to: desc) {
            ck_gru_forward_half_omp($0, format, inputProjections, hiddenProjections, previousHidden, hidden, workspace,
                                    threads)
        }
    }
}

extension HalfGRUBackwardCall {
    func runOnOpenMP(threads: Int32) -> ck_status {
        withUnsafePointer(to: desc) {
            ck_gru_backward_half_omp($0, format, hiddenGradient, workspace, previousHidden, inputProjectionGradient,
                                     hiddenProjectionGradient, previousHiddenGradient, threads)
        }
    }
}

extension GRUBackwardCall {
    func runOnOpenMP(threads: Int32) -> ck_status {
        withUnsafePointer(to: desc) {
            ck_gru_backward_omp($0, hiddenGradient, workspace, previousHidden, inputProjectionGradient,
                                hiddenProjectionGradient, previousHiddenGradient, threads)
        }
    }
}
#endif
