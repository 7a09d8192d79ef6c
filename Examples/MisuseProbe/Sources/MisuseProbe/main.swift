import GateKernels

// One misuse per run (the first one stops the process): `MisuseProbe activation` or `MisuseProbe lstm`.
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
default:
    print("usage: MisuseProbe activation|lstm")
}
print("MisuseProbe: the misuse was not stopped")
