import CKernels
import GateKernels
import GateKernelsEval
import Testing

// The Swift layer of the half-format activations: the C kernels' bits for every input of each
// format, through every buffer shape and parallelism (the C tests prove the kernels themselves).

/// Every bit pattern of a 16-bit format.
let allHalfBits = (0...UInt16.max).map { $0 }

/// The registry's kernel (its C entry point, on the active ISA) over every bit pattern.
func cBits(_ function: ActivationFunction, _ format: StorageFormat, _ tier: Tier) -> [UInt16] {
    var y = [UInt16](repeating: 0, count: allHalfBits.count)
    #expect(UnaryKernel(function, tier, format: format).run(allHalfBits, &y, allHalfBits.count) == CK_OK)
    return y
}

let parallelisms: [Parallelism] = [.serial, .threads(2), .automatic]

@Test(arguments: Tier.allCases)
func bfloat16BuffersGiveTheKernelsBits(tier: Tier) {
    let x = allHalfBits.map(BFloat16.init(bitPattern:))
    let sigmoid = cBits(.sigmoid, .bf16, tier), tanh = cBits(.tanh, .bf16, tier)
    for p in parallelisms {
        #expect(Activation.sigmoid(x, tier: tier, parallelism: p).map(\.bitPattern) == sigmoid)
        #expect(Activation.tanh(x[...], tier: tier, parallelism: p).map(\.bitPattern) == tanh)
        var y = ContiguousArray(x)
        Activation.tanhInPlace(&y, tier: tier, parallelism: p)
        #expect(y.map(\.bitPattern) == tanh)
        var r = [BFloat16](repeating: BFloat16(bitPattern: 0), count: x.count)
        x.withUnsafeBufferPointer { Activation.sigmoid($0, result: &r, tier: tier, parallelism: p) }
        #expect(r.map(\.bitPattern) == sigmoid)
    }
}

#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
@Test(arguments: Tier.allCases)
func float16BuffersGiveTheKernelsBits(tier: Tier) {
    let x = allHalfBits.map(Float16.init(bitPattern:))
    let sigmoid = cBits(.sigmoid, .f16, tier), tanh = cBits(.tanh, .f16, tier)
    for p in parallelisms {
        #expect(Activation.sigmoid(x, tier: tier, parallelism: p).map(\.bitPattern) == sigmoid)
        var y = x
        Activation.tanhInPlace(&y[...], tier: tier, parallelism: p)
        #expect(y.map(\.bitPattern) == tanh)
    }
    // spot values: sigmoid(0) = 0.5, tanh(1) correctly rounded
    #expect(Activation.sigmoid([Float16(0)], tier: tier) == [0.5])
    if tier != .approximate { #expect(Activation.tanh([Float16(1)], tier: tier) == [Float16(Float(0.7615941559557649))]) }
}
#endif

@Test func bfloat16ConversionsRoundToNearestEven() {
    // every bf16 value converts to Float and back unchanged (NaNs: quiet already, or made quiet)
    for b in allHalfBits {
        let back = BFloat16(Float(BFloat16(bitPattern: b))).bitPattern
        let isNaN = b & 0x7fff > 0x7f80
        #expect(back == (isNaN ? b | 0x40 : b))
    }
    // ties go to the even neighbour, everything else to the nearest
    #expect(BFloat16(1 + 0x1p-8).bitPattern == 0x3f80)              // tie, 1.0 is even
    #expect(BFloat16(1 + 0x1p-7 + 0x1p-8).bitPattern == 0x3f82)     // tie, up to the even 1 + 2^-6
    #expect(BFloat16(1 + 0x1p-8 + 0x1p-20).bitPattern == 0x3f81)    // above the tie
    #expect(BFloat16(-Float.infinity).bitPattern == 0xff80)
    #expect(BFloat16(Float.greatestFiniteMagnitude).bitPattern == 0x7f80) // rounds to inf
    #expect(Float(BFloat16(bitPattern: 0x4049)) == 3.140625)
    #expect(BFloat16(3.14159).description == "3.140625")
}

@Test("every half-format kernel of the registry keeps its contract over all 65,536 inputs",
      arguments: UnaryKernel.all(isas: ISA.supported, formats: [.bf16, .f16]))
func halfFormatContract(kernel: UnaryKernel) {
    let report = HalfAccuracyReport(kernel)
    #expect(report.failures.isEmpty, "\(kernel.function) \(kernel): \(report.failures)")
}
