import Foundation

/// What the network learns.
public enum Task: Sendable {
    /// The adding problem (Hochreiter & Schmidhuber, 1997): each step gets a value uniform in [0, 1]
    /// and a marker; exactly two steps are marked, one in each half of the sequence, and the target
    /// at the end is the sum of the two marked values. Predicting the mean (1) scores an MSE of
    /// 1/6 ≈ 0.167; doing better requires carrying the first value over at least T/2 steps.
    case adding
    /// A character-level language model on this text: next-character prediction with softmax and
    /// cross-entropy; the last 10% is held out for validation.
    case characters(String)

    var name: String {
        switch self {
        case .adding: "adding"
        case .characters: "chars"
        }
    }
}

/// The adding problem's MSE when always predicting the mean: the variance of a sum of two U(0,1).
public let addingBaseline = 1.0 / 6.0

/// A prediction of the adding problem counts as correct within this absolute error (the
/// criterion of Hochreiter & Schmidhuber).
public let addingTolerance: Float = 0.04

/// Adding-problem batches: `T·B × 2` inputs (value, marker) time-major, `B` targets.
struct AddingData {
    var rng: SplitMix64

    mutating func fill(inputs: Floats, targets: Floats, steps T: Int, batch B: Int) {
        inputs.zero()
        for b in 0..<B {
            for t in 0..<T { inputs[(t * B + b) * 2] = rng.unit() }
            let first = rng.index(T / 2), second = T / 2 + rng.index(T - T / 2)
            inputs[(first * B + b) * 2 + 1] = 1
            inputs[(second * B + b) * 2 + 1] = 1
            targets[b] = inputs[(first * B + b) * 2] + inputs[(second * B + b) * 2]
        }
    }
}

/// A text split into B parallel streams, read `T` characters per segment (truncated BPTT: the
/// state is carried from one segment to the next, and reset when the streams wrap around).
struct CharacterStreams {
    let symbols: [Int]
    let batch: Int, steps: Int
    private var segment = 0
    private let streamLength: Int

    init(symbols: [Int], batch: Int, steps: Int) {
        (self.symbols, self.batch, self.steps) = (symbols, batch, steps)
        streamLength = symbols.count / batch
        precondition(streamLength > steps, "the text has \(symbols.count) characters: too short for \(batch) streams of segments of \(steps) + 1")
    }

    /// Segments per pass over the streams.
    var segmentsPerEpoch: Int { (streamLength - 1) / steps }

    /// Writes one-hot inputs (`T·B × V`) and target indices (`T·B`); returns whether the state
    /// must be reset first (a new pass).
    mutating func next(inputs: Floats, targets: inout [Int], vocabulary V: Int) -> Bool {
        let fresh = segment == 0
        inputs.zero()
        for t in 0..<steps {
            for b in 0..<batch {
                let p = b * streamLength + segment * steps + t
                inputs[(t * batch + b) * V + symbols[p]] = 1
                targets[t * batch + b] = symbols[p + 1]
            }
        }
        segment = (segment + 1) % segmentsPerEpoch
        return fresh
    }
}

/// A text's characters as indices into its sorted alphabet.
struct Vocabulary {
    let characters: [Character]
    let index: [Character: Int]

    init(_ text: String) {
        characters = Array(Set(text)).sorted()
        index = Dictionary(uniqueKeysWithValues: characters.enumerated().map { ($1, $0) })
    }

    func encode(_ text: some StringProtocol) -> [Int] { text.map { index[$0]! } }
}

/// The public-domain text shipped with the trainer (Data/), located from this source file so it is
/// found from tests and from `swift run` alike.
public func bundledTextURL() -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Data/public-domain.txt")
}
