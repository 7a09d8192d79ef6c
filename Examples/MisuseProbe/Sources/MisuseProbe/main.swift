import GateKernels

// One misuse per run (the first one stops the process): `MisuseProbe <case>`, the cases below.
switch CommandLine.arguments.dropFirst().first {
case "activation":
    let x = [Float](repeating: 0.5, count: 2048)
    var short = [Float](repeating: 0, count: 2047)
    Activation.sigmoid(x, result: &short)
case "lstm":
    // B = 64 rows of 4H = 32 preactivations need 2048 elements; one is missing.
    let cell = try LSTMCell(hiddenSize: 8)
    let z = [Float](repeating: 0.5, count: 2047), cPrev = [Float](repeating: 0, count: 64 * 8)
    var c = cPrev, h = cPrev
    cell.forward(preactivations: z, previousCell: cPrev, cell: &c, hidden: &h)
case "stride":
    // 2 rows of zRowStride Int.max: the size overflows Int.
    let cell = try LSTMCell(hiddenSize: 2)
    var c = [Float](repeating: 0, count: 4), h = c
    cell.forward(preactivations: [Float](repeating: 0, count: 16), zRowStride: Int.max, previousCell: c,
                 cell: &c, hidden: &h)
case "workspace":
    _ = try LSTMCell(hiddenSize: Int.max).workspaceCount(batch: 1)
case "threads":
    // nothing to compute, and still a misuse
    _ = Activation.sigmoid([Float](), parallelism: .threads(0))
case "half-activation":
    let x = [BFloat16](repeating: BFloat16(0.5), count: 2048)
    var short = [BFloat16](repeating: BFloat16(0), count: 2047)
    Activation.tanh(x, result: &short)
case "half-cell":
    // B = 4 rows of H = 8: h needs 32 elements; one is missing.
    let cell = try GRUCell(hiddenSize: 8)
    let x = [BFloat16](repeating: BFloat16(0.5), count: 96), hPrev = [BFloat16](repeating: BFloat16(0), count: 32)
    var h = [BFloat16](repeating: BFloat16(0), count: 31)
    cell.forward(inputProjections: x, hiddenProjections: x, previousHidden: hPrev, hidden: &h)
case "setter":
    var cell = try GRUCell(hiddenSize: 4)
    cell.parallelism = .threads(0)
default:
    print("usage: MisuseProbe activation|lstm|stride|workspace|threads|half-activation|half-cell|setter")
}
print("MisuseProbe: the misuse was not stopped")
