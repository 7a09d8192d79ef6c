import GateKernels

// `.openMP` exists only when the dependency's OpenMP trait is on: compiling this proves it is.
let x = (0..<(1 << 20)).map { Float($0 % 2001 - 1000) / 50 }
let serial = Activation.tanh(x)
let parallel = Activation.tanh(x, parallelism: .openMP(2))
guard serial.map(\.bitPattern) == parallel.map(\.bitPattern) else {
    fatalError("the OpenMP backend's results differ from the serial ones")
}
print("TraitConsumer: tanh over \(x.count) elements with Parallelism.openMP(2), bits identical to serial")
