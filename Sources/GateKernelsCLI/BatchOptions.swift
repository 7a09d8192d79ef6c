import ArgumentParser

/// The timing options of `bench` and `bench-gates`, one spelling and one check for both.
struct BatchOptions: ParsableArguments {
    @Option(help: "Interleaved batches per job (the median is reported).")
    var batches = 15

    @Option(help: "Target milliseconds per batch of one job.")
    var batchMilliseconds = 2.0

    /// Seconds one batch of a job should take (TimedJob's batchSeconds).
    var batchSeconds: Double { batchMilliseconds * 1e-3 }

    func validate() throws {
        guard batches >= 3 else { throw ValidationError("--batches must be at least 3") }
        guard batchMilliseconds > 0 else { throw ValidationError("--batch-milliseconds must be positive") }
    }
}
