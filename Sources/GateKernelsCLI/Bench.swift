import ArgumentParser
import CKernels
import CPeers
import Foundation
@_spi(Benchmarks) import GateKernels
import GateKernelsEval
#if OpenMP
import CKernelsOpenMP
#endif

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Speed per kernel, tier and size: ns/elem, elem/ns, GB/s, and ratios to memcpy and libm measured in the same run.",
        discussion: """
        Every job of one size (each kernel and tier, libm's scalar sigmoid and tanh, SLEEF when \
        libsleef is installed, memcpy of the same bytes, and with --threads every backend and thread \
        count) is timed in one run: many short batches, interleaved so that drift and neighbours hit \
        every job alike; the median and the interquartile spread are shown. Ratios are medians of \
        per-batch ratios between jobs timed side by side, so drift cancels out of them.

        Columns: "x memcpy" = this job's time / the time to copy the same bytes with as many threads \
        (1.00 = memory-bound floor); "libm/this" = libm's scalar time / this time; "x 1 thread" = the \
        one-thread time / this time; "x f32" = a bf16 or f16 activation's time / the f32 kernel's of the \
        same tier, size, backend and threads. Gate sizes N are B x H hidden elements (H = --hidden).

        Run the release build: swift run -c release gatekernels bench
        """)

    @Option(help: "Comma-separated sizes of the activations in elements (suffix K = 1024, M = 1024²).")
    var sizes = "4K,256K,16M"

    @Option(help: "Comma-separated sizes B x H of the gate kernels in hidden elements (H = --hidden).")
    var gateSizes = "32K,2M"

    @Option(help: "Comma-separated kernels: sigmoid, tanh, lstm, gru, or all.")
    var kernels = "all"

    @Option(help: "Comma-separated tiers: precise, fast, approximate, or all.")
    var tiers = "all"

    @Option(help: "Comma-separated storage formats of the activations: f32, bf16, f16, or all. f32 is always timed: it is what the half formats' rows are compared with.")
    var formats = "all"

    @Option(help: "Comma-separated thread counts; more than one adds the scaling table (Dispatch, automatic, OpenMP when built with the trait).")
    var threads = "1"

    @Option(help: "Hidden size H of the gate kernels (B = N / H rows).")
    var hidden = 512

    @OptionGroup var timing: BatchOptions

    @Flag(help: "Skip libm and SLEEF.")
    var noPeers = false

    @Flag(help: "Print JSON records instead of tables.")
    var json = false

    func validate() throws {
        guard hidden >= 1 else { throw ValidationError("--hidden must be at least 1") }
        _ = try plan()
    }

    /// The parsed options.
    struct Plan {
        var sizes: [Int]
        var gateSizes: [Int]
        var kernels: [String]
        var tiers: [Tier]
        /// f32 first, then the half formats chosen.
        var formats: [StorageFormat]
        var threads: [Int]
    }

    func plan() throws -> Plan {
        func sizeList(_ text: String, option: String) throws -> [Int] {
            try listItems(text, option: option).map { s -> Int in
                let scale = s.hasSuffix("K") ? 1 << 10 : s.hasSuffix("M") ? 1 << 20 : 1
                guard let v = Int(scale == 1 ? s : String(s.dropLast())), v > 0 else {
                    throw ValidationError("\(option): bad size \(s); use e.g. 4096, 4K or 16M")
                }
                return v * scale
            }
        }
        let threadList = try listItems(threads, option: "--threads").map { s -> Int in
            guard let t = Int(s), t >= 1 else { throw ValidationError("--threads: bad thread count \(s)") }
            return t
        }
        return Plan(sizes: try sizeList(sizes, option: "--sizes"), gateSizes: try sizeList(gateSizes, option: "--gate-sizes"),
                    kernels: try listChoices(kernels, option: "--kernels", ["sigmoid", "tanh", "lstm", "gru"].map { ($0, $0) }),
                    tiers: try parseTiers(tiers), formats: [.f32] + (try parseFormats(formats)).filter { $0 != .f32 },
                    threads: threadList)
    }

    func run() throws {
        let p = try plan()
        let sleef = !noPeers && peers_sleef_available() != 0
        #if OpenMP
        // start OpenMP's runtime and team before anything is timed
        let warm = [Float](repeating: 0, count: 4 * Int(CK_OMP_GRAIN))
        var warmed = warm
        _ = ck_sigmoid_f32_omp(warm, &warmed, warm.count, CK_FAST, 0)
        #endif
        let started = monotonicSeconds()
        var records: [Record] = []
        let sizes = Set(p.sizes + p.gateSizes).sorted()
        let progress = ProgressLine.onTerminal(title: "bench")
        for (k, n) in sizes.enumerated() {
            let done = "\(records.count) rows done"
            records += measure(n, p, sleef: sleef) { progress?.show("\(done); N=\(sizeLabel(n)) (size \(k + 1) of \(sizes.count)): \($0)") }
        }
        progress?.finish()
        if json {
            let meta: [String: Any] = Provenance.json.merging([
                "isa": "\(ISA.active)", "batches": timing.batches, "cores": ProcessInfo.processInfo.activeProcessorCount,
                "sleef": sleef, "openmp": openMPBuilt, "records": records.map(\.dictionary),
            ]) { $1 }
            let data = try JSONSerialization.data(withJSONObject: meta, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("ISA \(ISA.active); \(ProcessInfo.processInfo.activeProcessorCount) cores; median of \(timing.batches) interleaved batches; "
            + "spread = interquartile range / median; SLEEF: \(sleef ? "libsleef.so.3" : noPeers ? "skipped" : "not installed"); "
            + "OpenMP backend: \(openMPBuilt ? "built" : "not built (swift build --traits OpenMP)")")
        print(Regime.legend)
        print("")
        print(singleThreadTable(records))
        if p.threads.contains(where: { $0 > 1 }) {
            print("")
            print(scalingTable(records))
        }
        if records.contains(where: { $0.format != .f32 }) {
            print("")
            print(halfFormatTable(records))
        }
        print(String(format: "\n(%.1f s)", monotonicSeconds() - started))
    }

    // MARK: - measuring

    /// One measured job: a kernel (or peer) at one size, tier, backend and thread count.
    struct Record {
        var kernel: String
        var tier: String
        /// The activations' storage format (f32 for every other job).
        var format = StorageFormat.f32
        var n: Int
        var backend: String
        var threads: Int
        /// Bytes one call reads and writes: the footprint that picks the regime.
        var bytes: Int
        var regime: Regime { Regime(footprint: bytes) }
        var seconds: Double
        var spread: Double
        /// Seconds per call in each batch, in batch order.
        var samples: [Double] = []
        /// Filled in after the run, from the same-run comparators: this time / memcpy's of the same
        /// bytes with as many threads, libm's time / this, the one-thread time / this.
        var xMemcpy = Double.nan
        var libmOverThis = Double.nan
        var xOneThread = Double.nan
        /// A half-format activation's time / the f32 kernel's of the same tier, backend and threads.
        var xF32 = Double.nan
        /// The tier, with the format when it is not f32: "fast", "bf16 fast" (UnaryKernel's names).
        var tierLabel: String { format == .f32 ? tier : "\(format) \(tier)" }
        /// Set when `xOneThread` exceeds the thread count.
        var superlinear: Superlinear? { Superlinear(speedup: xOneThread, threads: threads, footprint: bytes) }
        var note: String { superlinear?.explanation(threads: threads, footprint: bytes) ?? "" }

        var dictionary: [String: Any] {
            func num(_ x: Double) -> Any { x.isFinite ? x : NSNull() }
            return ["kernel": kernel, "tier": tier, "format": format.rawValue, "n": n, "backend": backend, "threads": threads, "bytes": bytes,
                    "ns_per_elem": seconds / Double(n) * 1e9, "elem_per_ns": Double(n) / seconds * 1e-9,
                    "gb_per_s": Double(bytes) / seconds * 1e-9, "spread": spread, "regime": regime.rawValue, "note": note,
                    "x_memcpy": num(xMemcpy), "libm_over_this": num(libmOverThis), "x_one_thread": num(xOneThread),
                    "x_f32": num(xF32)]
        }
    }

    /// A job to time, and the record it fills.
    struct Job {
        var record: Record
        var body: () -> Void
    }

    /// The records of every job of size `n`; `progress` hears how far the timing is.
    func measure(_ n: Int, _ p: Plan, sleef: Bool, progress: (String) -> Void) -> [Record] {
        var jobs: [Job] = []
        var keep: [AnyObject] = [] // the buffers the jobs use, alive until they have run
        let parallel = p.threads.filter { $0 > 1 }
        func buffer(_ count: Int, _ lo: Float, _ hi: Float, seed: UInt64) -> UnsafeMutablePointer<Float> {
            let b = Buffer(uniformInputs(count, lo, hi, seed: seed))
            keep.append(b)
            return b.pointer
        }
        func job(_ kernel: String, _ tier: String, format: StorageFormat = .f32, _ backend: String, _ threads: Int, bytes: Int,
                 _ body: @escaping () -> Void) {
            jobs.append(Job(record: Record(kernel: kernel, tier: tier, format: format, n: n, backend: backend, threads: threads,
                                           bytes: bytes, seconds: 0, spread: 0), body: body))
        }
        /// The backends for `threads` threads: (name, Swift parallelism).
        func backends(_ threads: Int) -> [(String, Parallelism)] {
            var list: [(String, Parallelism)] = [("dispatch", .threads(threads))]
            if threads == ProcessInfo.processInfo.activeProcessorCount { list.append(("automatic", .automatic)) }
            #if OpenMP
            list.append(("openmp", .openMP(threads)))
            #endif
            return list
        }

        // memcpy of the activations' bytes: the floor for every unary kernel of this size
        let activations = p.sizes.contains(n) ? p.kernels.filter { ["sigmoid", "tanh"].contains($0) } : []
        let x = buffer(activations.isEmpty ? 0 : n, -10, 10, seed: 1), y = buffer(activations.isEmpty ? 0 : n, 0, 0, seed: 2)
        for t in [1] + parallel where !activations.isEmpty {
            job("memcpy", "", t == 1 ? "serial" : "dispatch", t, bytes: 8 * n) { parallelCopy(y, x, n, threads: t) }
            if p.formats.count > 1 { // the half formats' bytes: n / 2 floats
                job("memcpy(16-bit)", "", t == 1 ? "serial" : "dispatch", t, bytes: 4 * n) { parallelCopy(y, x, (n + 1) / 2, threads: t) }
            }
        }
        // the half formats' inputs (the float inputs rounded) and results
        var halfBuffers: [StorageFormat: (x: UnsafeBufferPointer<UInt16>, y: UnsafeMutableBufferPointer<UInt16>)] = [:]
        for format in p.formats where format != .f32 && !activations.isEmpty {
            let hx = Buffer(format.bits(uniformInputs(n, -10, 10, seed: 1))), hy = Buffer([UInt16](repeating: 0, count: n))
            keep += [hx, hy]
            halfBuffers[format] = (UnsafeBufferPointer(start: hx.pointer, count: n), UnsafeMutableBufferPointer(start: hy.pointer, count: n))
        }
        // (threads, backend, parallelism) of every activation job: serial, then each backend per thread count
        let runs = [(1, "serial", Parallelism.serial)] + parallel.flatMap { t in backends(t).map { (t, $0.0, $0.1) } }
        for name in activations {
            for kernel in UnaryKernel.all(functions: [ActivationFunction(rawValue: name)!], tiers: p.tiers, formats: p.formats) {
                let xb = UnsafeBufferPointer(start: x, count: n)
                let bytes = 2 * kernel.format.bytes * n // read and written
                for (t, backend, parallelism) in runs {
                    if let h = halfBuffers[kernel.format] {
                        job(name, "\(kernel.tier)", format: kernel.format, backend, t, bytes: bytes) {
                            kernel.callSwift(h.x, h.y, parallelism: parallelism)
                        }
                        continue
                    }
                    job(name, "\(kernel.tier)", backend, t, bytes: bytes) {
                        var yb = UnsafeMutableBufferPointer(start: y, count: n)
                        kernel.callSwift(xb, &yb, parallelism: parallelism)
                    }
                }
            }
            if !noPeers {
                job(name, "libm", "serial", 1, bytes: 8 * n) {
                    name == "sigmoid" ? peers_libm_sigmoid(x, y, n) : peers_libm_tanh(x, y, n)
                }
            }
            // SLEEF's functions, as accuracy --peers sweeps them: "sleef-tanh-u35" is the job "sleef-u35" of tanh
            for peer in sleef ? installedPeers(ActivationFunction(rawValue: name)!) : [] {
                let peerName = String(cString: peer.name)
                guard peerName.hasPrefix("sleef-") else { continue }
                job(name, peerName.replacingOccurrences(of: "-\(name)-", with: "-"), "serial", 1, bytes: 8 * n) { peer.fn(x, y, n) }
            }
        }
        if p.gateSizes.contains(n), p.kernels.contains("lstm") || p.kernels.contains("gru"), n >= hidden {
            jobs += gateJobs(n, p, parallel, backends, buffer)
        }

        // OpenMP's idle workers spin (KMP_BLOCKTIME, 200 ms by default) and would take the second
        // core from Dispatch jobs interleaved after them: OpenMP jobs get a run of their own, with
        // the one-thread jobs timed again beside them, and a pause after it for the spin to end.
        let openMP = jobs.filter { $0.record.backend == "openmp" }
        var records = time(jobs.filter { $0.record.backend != "openmp" }, progress: progress)
        if !openMP.isEmpty {
            let own = time(jobs.filter { $0.record.threads == 1 && !$0.record.kernel.hasPrefix("memcpy") } + openMP,
                           progress: { progress("OpenMP run, \($0)") })
            usleep(300_000)
            for var r in own where r.backend == "openmp" {
                // memcpy ran in the other run: a ratio of medians, not of paired batches
                r.xMemcpy = records.first { $0.kernel == copyKernel(r) && $0.threads == r.threads }.map { r.seconds / $0.seconds } ?? .nan
                records.append(r)
            }
        }
        return records
    }

    /// The median over batches of a's time / b's time in the same batch: jobs interleaved in one
    /// run are paired batch by batch, so drift between batches cancels out of the ratio.
    func pairedRatio(_ a: Record, _ b: Record) -> Double {
        Summary(zip(a.samples, b.samples).map { $0 / $1 }).median
    }

    /// The memcpy job that a job's times are compared with: a copy of the same bytes.
    func copyKernel(_ r: Record) -> String {
        if r.kernel.hasPrefix("memcpy") { return r.kernel }
        guard ["sigmoid", "tanh"].contains(r.kernel) else { return "memcpy(\(r.kernel))" }
        return r.format == .f32 ? "memcpy" : "memcpy(16-bit)"
    }

    /// Times `jobs` interleaved, each repeating itself to fill a batch, and fills in the same-run
    /// comparators (memcpy with as many threads, libm, the one-thread time of the same kernel).
    func time(_ jobs: [Job], progress: (String) -> Void) -> [Record] {
        let timed = jobs.map { TimedJob(footprint: $0.record.bytes, batchSeconds: timing.batchSeconds, $0.body) }
        let samples = interleavedTimes(timed, batches: timing.batches, roundDone: { progress("\(jobs.count) jobs, round \($0 + 1) of \(timing.batches)") })
        var records = zip(jobs, samples).map { job, samples in
            var r = job.record
            r.samples = samples
            let s = Summary(r.samples)
            r.seconds = s.median
            r.spread = s.spread
            return r
        }
        for k in records.indices {
            let r = records[k]
            if let c = records.first(where: { $0.kernel == copyKernel(r) && $0.threads == r.threads }) {
                records[k].xMemcpy = pairedRatio(r, c)
            }
            if let l = records.first(where: { $0.kernel == r.kernel && $0.tier == "libm" }) { records[k].libmOverThis = pairedRatio(l, r) }
            if let one = records.first(where: { $0.kernel == r.kernel && $0.tier == r.tier && $0.format == r.format && $0.threads == 1 }) {
                records[k].xOneThread = pairedRatio(one, r)
            }
            if r.format != .f32, let f = records.first(where: { $0.kernel == r.kernel && $0.tier == r.tier && $0.format == .f32
                                                                 && $0.backend == r.backend && $0.threads == r.threads }) {
                records[k].xF32 = pairedRatio(r, f)
            }
        }
        return records
    }

    /// LSTM forward (inference and training) and backward (with db), GRU forward and backward, on
    /// B = n / H rows, with a memcpy of the same bytes per kernel.
    func gateJobs(_ n: Int, _ p: Plan, _ parallel: [Int], _ backends: (Int) -> [(String, Parallelism)],
                  _ buffer: (Int, Float, Float, UInt64) -> UnsafeMutablePointer<Float>) -> [Job] {
        let H = hidden, B = n / H, bh = B * H
        var jobs: [Job] = []
        let z = buffer(4 * bh, -4, 4, 3), cp = buffer(bh, -2, 2, 4), dh = buffer(bh, -1, 1, 5), dcn = buffer(bh, -1, 1, 6)
        let c = buffer(bh, 0, 0, 7), h = buffer(bh, 0, 0, 8), ws = buffer(5 * bh, 0, 0, 9), dz = buffer(4 * bh, 0, 0, 10)
        let dcp = buffer(bh, 0, 0, 11), db = buffer(4 * H, 0, 0, 12)
        let gx = buffer(3 * bh, -4, 4, 13), ghg = buffer(3 * bh, -4, 4, 14), gws = buffer(4 * bh, 0, 0, 15)
        let gdx = buffer(3 * bh, 0, 0, 16), gdhg = buffer(3 * bh, 0, 0, 17), gdhp = buffer(bh, 0, 0, 20)
        let copySource = buffer(8 * bh, -1, 1, 18), copyTarget = buffer(8 * bh, 0, 0, 19)
        func add(_ kernel: String, _ tier: String, _ backend: String, _ threads: Int, _ body: @escaping () -> Void) {
            jobs.append(Job(record: Record(kernel: kernel, tier: tier, n: bh, backend: backend, threads: threads,
                                           bytes: 4 * gateTraffic[kernel]! * bh, seconds: 0, spread: 0), body: body))
        }
        var names: [String] = []
        if p.kernels.contains("lstm") { names += ["lstm-fwd", "lstm-fwd-train", "lstm-bwd"] }
        if p.kernels.contains("gru") { names += ["gru-fwd", "gru-bwd"] }
        for name in names {
            let floats = 4 * gateTraffic[name]! * bh / 8 // a copy reads and writes: half the traffic each way
            for t in [1] + parallel {
                jobs.append(Job(record: Record(kernel: "memcpy(\(name))", tier: "", n: bh, backend: t == 1 ? "serial" : "dispatch",
                                               threads: t, bytes: 4 * gateTraffic[name]! * bh, seconds: 0, spread: 0)) {
                    parallelCopy(copyTarget, copySource, floats, threads: t)
                })
            }
            for tier in p.tiers {
                var lstm = ck_lstm_desc(batch: B, hidden: H, z_stride: 0, order: CK_GATES_IFGO, forget_bias: 0,
                                        cell_clip: 0, tier: tier.c)
                var gru = ck_gru_desc(batch: B, hidden: H, tier: tier.c)
                // every run needs a valid workspace: fill it once
                _ = ck_lstm_forward(&lstm, z, nil, cp, c, h, ws)
                _ = ck_gru_forward(&gru, gx, ghg, cp, h, gws)
                let lstmCell = try! LSTMCell(hiddenSize: H, tier: tier), gruCell = try! GRUCell(hiddenSize: H, tier: tier)
                /// The Swift API with a given parallelism (what users call).
                func swiftBody(_ parallelism: Parallelism) -> () -> Void {
                    var l = lstmCell, g = gruCell
                    l.parallelism = parallelism
                    g.parallelism = parallelism
                    let zb = UnsafeBufferPointer(start: z, count: 4 * bh), cpb = UnsafeBufferPointer(start: cp, count: bh)
                    let dhb = UnsafeBufferPointer(start: dh, count: bh), dcnb = UnsafeBufferPointer(start: dcn, count: bh)
                    let wsb = UnsafeBufferPointer(start: ws, count: 5 * bh), gxb = UnsafeBufferPointer(start: gx, count: 3 * bh)
                    let ghgb = UnsafeBufferPointer(start: ghg, count: 3 * bh), gwsb = UnsafeBufferPointer(start: gws, count: 4 * bh)
                    var cb = UnsafeMutableBufferPointer(start: c, count: bh), hb = UnsafeMutableBufferPointer(start: h, count: bh)
                    var wsm = UnsafeMutableBufferPointer(start: ws, count: 5 * bh), dzb = UnsafeMutableBufferPointer(start: dz, count: 4 * bh)
                    var dcpb = UnsafeMutableBufferPointer(start: dcp, count: bh), dbb = UnsafeMutableBufferPointer(start: db, count: 4 * H)
                    var gdxb = UnsafeMutableBufferPointer(start: gdx, count: 3 * bh), gdhgb = UnsafeMutableBufferPointer(start: gdhg, count: 3 * bh)
                    var gdhpb = UnsafeMutableBufferPointer(start: gdhp, count: bh)
                    switch name {
                    case "lstm-fwd": return { l.forward(preactivations: zb, previousCell: cpb, cell: &cb, hidden: &hb) }
                    case "lstm-fwd-train": return { l.forward(preactivations: zb, previousCell: cpb, cell: &cb, hidden: &hb, workspace: &wsm) }
                    case "lstm-bwd":
                        return { l.backward(hiddenGradient: dhb, nextCellGradient: dcnb, workspace: wsb, previousCell: cpb,
                                            preactivationGradient: &dzb, previousCellGradient: &dcpb, biasGradient: &dbb) }
                    case "gru-fwd": return { g.forward(inputProjections: gxb, hiddenProjections: ghgb, previousHidden: cpb, hidden: &hb) }
                    default:
                        return { g.backward(hiddenGradient: dhb, workspace: gwsb, previousHidden: cpb, inputProjectionGradient: &gdxb,
                                            hiddenProjectionGradient: &gdhgb, previousHiddenGradient: &gdhpb) }
                    }
                }
                add(name, "\(tier)", "serial", 1, swiftBody(.serial))
                for t in parallel {
                    for (backend, parallelism) in backends(t) {
                        #if OpenMP
                        // the C drivers: LSTMCell and GRUCell split rows with Dispatch for every parallelism
                        if case .openMP(let omp) = parallelism {
                            let threads = Int32(omp)
                            switch name {
                            case "lstm-fwd": add(name, "\(tier)", backend, t) { _ = ck_lstm_forward_omp(&lstm, z, nil, cp, c, h, nil, threads) }
                            case "lstm-fwd-train": add(name, "\(tier)", backend, t) { _ = ck_lstm_forward_omp(&lstm, z, nil, cp, c, h, ws, threads) }
                            case "lstm-bwd": add(name, "\(tier)", backend, t) { _ = ck_lstm_backward_omp(&lstm, dh, dcn, ws, cp, dz, dcp, db, threads) }
                            case "gru-fwd": add(name, "\(tier)", backend, t) { _ = ck_gru_forward_omp(&gru, gx, ghg, cp, h, nil, threads) }
                            default: add(name, "\(tier)", backend, t) { _ = ck_gru_backward_omp(&gru, dh, gws, cp, gdx, gdhg, gdhp, threads) }
                            }
                            continue
                        }
                        #endif
                        add(name, "\(tier)", backend, t, swiftBody(parallelism))
                    }
                }
            }
        }
        return jobs
    }

    var openMPBuilt: Bool {
        #if OpenMP
        true
        #else
        false
        #endif
    }

    // MARK: - tables

    func singleThreadTable(_ records: [Record]) -> String {
        let header = ["N", "kernel", "tier", "regime", "ns/elem", "elem/ns", "GB/s", "x memcpy", "x f32", "libm/this", "spread"]
        let rows = records.filter { $0.threads == 1 }.map { r in
            [sizeLabel(r.n), r.kernel, r.tierLabel, r.regime.rawValue, fixed(r.seconds / Double(r.n) * 1e9), fixed(Double(r.n) / r.seconds * 1e-9),
             fixed(Double(r.bytes) / r.seconds * 1e-9, 1), fixed(r.xMemcpy, 2), r.format != .f32 ? fixed(r.xF32, 2) : "",
             r.tier != "libm" ? fixed(r.libmOverThis, 1) : "", String(format: "%.0f%%", r.spread * 100)]
        }
        return "One thread:\n" + TextTable(headers: header, rows: rows).paddedMarkdown()
    }

    func scalingTable(_ records: [Record]) -> String {
        let header = ["N", "kernel", "tier", "regime", "backend", "threads", "ns/elem", "x 1 thread", "x memcpy", "x f32", "spread", "note"]
        let rows = records.filter { $0.threads > 1 || $0.backend == "automatic" }.map { r in
            [sizeLabel(r.n), r.kernel, r.tierLabel, r.regime.rawValue, r.backend, "\(r.threads)", fixed(r.seconds / Double(r.n) * 1e9),
             fixed(r.xOneThread, 2), fixed(r.xMemcpy, 2), r.format != .f32 ? fixed(r.xF32, 2) : "", String(format: "%.0f%%", r.spread * 100), r.note]
        }
        return "Threads (x 1 thread: the one-thread time of the same kernel / this; x memcpy: against copying the same bytes with as many threads):\n"
            + TextTable(headers: header, rows: rows).paddedMarkdown() + "\n\n" + scalingSummary(records) + "\n\n" + scalingPivot(records)
    }

    /// The "x 1 thread" column again, one row per kernel, tier, backend and thread count and one
    /// column per size (blank where that kernel was not run): the scaling table at a glance.
    func scalingPivot(_ records: [Record]) -> String {
        let parallel = records.filter { ($0.threads > 1 || $0.backend == "automatic") && !$0.kernel.hasPrefix("memcpy") }
        let sizes = Set(parallel.map(\.n)).sorted()
        var rows: [[String]] = []
        for r in parallel where !rows.contains(where: { $0[0...3] == [r.kernel, r.tierLabel, r.backend, "\(r.threads)"] }) {
            let same = parallel.filter { $0.kernel == r.kernel && $0.tierLabel == r.tierLabel && $0.backend == r.backend && $0.threads == r.threads }
            rows.append([r.kernel, r.tierLabel, r.backend, "\(r.threads)"]
                        + sizes.map { n in same.first { $0.n == n }.map(pivotCell) ?? "" })
        }
        return "Speed-up over one thread (x 1 thread) by size; regime per size: "
            + sizes.map { n in "\(sizeLabel(n)) \(Set(parallel.filter { $0.n == n }.map(\.regime.rawValue)).sorted().joined(separator: "/"))" }.joined(separator: ", ")
            + "; a speed-up above the thread count carries its cause (L2 share: each thread's share fits its core's L2, one thread's footprint does not):\n"
            + TextTable(headers: ["kernel", "tier", "backend", "threads"] + sizes.map(sizeLabel), rows: rows).paddedMarkdown()
    }

    /// Per backend and thread count, the smallest speed-up over all sizes, and for the fast-tier
    /// activations over 256K...4M: the numbers the issue's targets are about.
    func scalingSummary(_ records: [Record]) -> String {
        let parallel = records.filter { $0.threads > 1 && !$0.kernel.hasPrefix("memcpy") }
        var lines: [String] = []
        for backend in ["dispatch", "automatic", "openmp"] {
            for t in Set(parallel.map(\.threads)).sorted() {
                let rs = parallel.filter { $0.backend == backend && $0.threads == t }
                guard let worst = rs.min(by: { $0.xOneThread < $1.xOneThread }) else { continue }
                var line = "\(backend), \(t) threads: lowest x 1 thread \(fixed(worst.xOneThread, 2)) (\(worst.kernel) \(worst.tierLabel) N=\(sizeLabel(worst.n)))"
                let mid = rs.filter { ["sigmoid", "tanh"].contains($0.kernel) && $0.tier == "fast" && $0.format == .f32
                    && (1 << 18...1 << 22).contains($0.n) }
                if let m = mid.map(\.xOneThread).min() {
                    line += "; fast sigmoid/tanh at 256K...4M: lowest \(fixed(m, 2))"
                }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The size at which the half formats' rows are in cache: their own speed there is their in-cache speed.
    static let halfFormatInCache = 1 << 14
    /// The one-thread time per element a half-format row may take against the f32 kernel's, at the
    /// sizes these targets are set for: in cache, and at 16M, where the f32 kernel waits on memory.
    static let halfFormatTargets = [halfFormatInCache: 1.15, 1 << 24: 0.8]
    /// The least speed-up over one thread a half-format row (bench) or step (bench-gates) keeps
    /// where the f32 kernel's reaches it.
    static let halfFormatSpeedup = 1.7

    /// Every bf16 and f16 activation row against the f32 kernel of the same tier, size, backend and
    /// threads, with its own in-cache speed and its targets, met or missed.
    func halfFormatTable(_ records: [Record]) -> String {
        let header = ["N", "kernel", "tier", "regime", "backend", "threads", "ns/elem", "f32 ns/elem", "x f32", "x \(sizeLabel(Self.halfFormatInCache))",
                      "x 1 thread", "f32 x 1 thread", "targets"]
        var met = 0, set = 0
        func nsPerElement(_ r: Record?) -> Double { r.map { $0.seconds / Double($0.n) * 1e9 } ?? .nan }
        let rows = records.filter { $0.format != .f32 }.map { r -> [String] in
            func same(_ n: Int, _ format: StorageFormat) -> Record? {
                records.first { $0.kernel == r.kernel && $0.tier == r.tier && $0.format == format && $0.n == n
                    && $0.backend == r.backend && $0.threads == r.threads }
            }
            let f32 = same(r.n, .f32), inCache = r.n == Self.halfFormatInCache ? nil : same(Self.halfFormatInCache, r.format)
            var targets: [String] = []
            func verdict(_ text: String, _ ok: Bool) {
                set += 1
                met += ok ? 1 : 0
                targets.append("\(text): \(ok ? "met" : "MISSED")")
            }
            if r.threads == 1, let limit = Self.halfFormatTargets[r.n] { verdict("x f32 <= \(limit)", r.xF32 <= limit) }
            if r.threads > 1, let f = f32, f.xOneThread >= Self.halfFormatSpeedup {
                verdict("x 1 thread >= \(Self.halfFormatSpeedup)", r.xOneThread >= Self.halfFormatSpeedup)
            }
            return [sizeLabel(r.n), r.kernel, r.tierLabel, r.regime.rawValue, r.backend, "\(r.threads)", fixed(nsPerElement(r)),
                    fixed(nsPerElement(f32)), fixed(r.xF32, 2), inCache.map { fixed(nsPerElement(r) / nsPerElement($0), 2) } ?? "",
                    r.threads > 1 ? pivotCell(r) : "", r.threads > 1 ? fixed(f32?.xOneThread ?? .nan, 2) : "", targets.joined(separator: "; ")]
        }
        return "Half formats against f32 (x f32: this time per element / the f32 kernel's of the same tier, size, backend and threads, "
            + "batch by batch in the same run; x \(sizeLabel(Self.halfFormatInCache)): this ns/elem / its own at N = \(sizeLabel(Self.halfFormatInCache)), in cache; targets: one thread x f32 <= "
            + Self.halfFormatTargets.sorted { $0.key < $1.key }.map { "\($0.value) at \(sizeLabel($0.key))" }.joined(separator: " and ")
            + ", x 1 thread >= \(Self.halfFormatSpeedup) where the f32 kernel's is; a missed target does not change the exit status):\n"
            + TextTable(headers: header, rows: rows).paddedMarkdown() + "\n\nhalf-format targets met: \(met) of \(set)"
    }

    /// A speed-up, with its cause when it exceeds the thread count.
    func pivotCell(_ r: Record) -> String {
        fixed(r.xOneThread, 2) + (r.superlinear.map { " (\($0.rawValue))" } ?? "")
    }
}

/// Floats one call of a gate kernel reads and writes per hidden element: its footprint, for GB/s,
/// the memcpy comparator and the regime (bench and bench-gates).
let gateTraffic = ["lstm-fwd": 7, "lstm-fwd-train": 12, "lstm-bwd": 16, "gru-fwd": 8, "gru-fwd-train": 12, "gru-bwd": 15]
/// Of those, the elements in the half format when a gate kernel's per-step tensors are bf16 or f16
/// (LSTM: Z and h, dh and dZ; GRU: the projections and both hidden states, and their gradients).
let gateHalfTraffic = ["lstm-fwd": 5, "lstm-fwd-train": 5, "lstm-bwd": 5, "gru-fwd": 8, "gru-fwd-train": 8, "gru-bwd": 9]

/// Owns the elements a benchmark job reads or writes.
private final class Buffer<Element> {
    let pointer: UnsafeMutablePointer<Element>
    init(_ values: [Element]) {
        pointer = .allocate(capacity: max(1, values.count))
        pointer.initialize(from: values, count: values.count)
    }
    deinit { pointer.deallocate() }
}

/// memcpy of `count` floats on `threads` threads, split by the activations' own parallel driver
/// (one call when `threads` is 1): the memory-bound floor for a kernel run with as many threads.
private func parallelCopy(_ target: UnsafeMutablePointer<Float>, _ source: UnsafeMutablePointer<Float>, _ count: Int, threads: Int) {
    let t = UInt(bitPattern: target), s = UInt(bitPattern: source) // addresses: Sendable
    forEachChunk(count: count, parallelism: .threads(threads)) { r in
        memcpy(UnsafeMutablePointer<Float>(bitPattern: t)! + r.lowerBound, UnsafePointer<Float>(bitPattern: s)! + r.lowerBound,
               r.count * MemoryLayout<Float>.stride)
    }
}

