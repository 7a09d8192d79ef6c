/// The largest relative error `gradientCheck` accepts: finite differences in `Float` agree with a
/// correct backward to about 1e-3 here, while a wrong term is off by tens of percent.
public let gradientCheckTolerance = 2e-2

/// The outcome of comparing backpropagation with central finite differences.
public struct GradientCheckResult: Sendable {
    /// Parameters compared (all of the model's).
    public let parameters: Int
    /// The largest `|analytic − numeric| / max(|analytic|, |numeric|, floor)`.
    public let maxRelativeError: Double
    /// The parameter index where it occurred, with both gradients.
    public let worstIndex: Int, analytic: Double, numeric: Double
}

/// Full backward against central finite differences of the loss, for every parameter of a model
/// built from `config` (keep it tiny). The model runs one segment from a zero state, so every
/// gradient path (gates, recurrence, layers, output) is covered.
///
/// In `Float`, the step `h` trades truncation error (∝ h²) against rounding in the loss (∝ 1/h);
/// `floor` keeps gradients that are nearly zero from dividing by rounding noise.
public func gradientCheck(_ config: TrainerConfig, h: Float = 1e-2, floor: Double = 1e-2) throws -> GradientCheckResult {
    try gradientCheck(config, h: h, floor: floor, tamper: { _ in })
}

/// `gradientCheck`, with `tamper` applied to the backpropagated gradient before the comparison
/// (tests use it to show that a wrong gradient fails).
func gradientCheck(_ config: TrainerConfig, h: Float, floor: Double, tamper: (inout [Double]) -> Void) throws -> GradientCheckResult {
    let trainer = try Trainer(config)
    let model = trainer.model
    // Fill one segment of data the way a training step would, without updating.
    trainer.prepareBatch()
    var unused = 0
    _ = model.forward(gradient: true, correct: &unused)
    model.backward()
    var analytic = (0..<model.params.count).map { Double(model.params.grads[$0]) }
    tamper(&analytic)
    var worst = (error: 0.0, index: 0, numeric: 0.0)
    for k in 0..<model.params.count {
        let saved = model.params.values[k]
        model.params.values[k] = saved + h
        model.resetState()
        let plus = model.forward(gradient: false, correct: &unused)
        model.params.values[k] = saved - h
        model.resetState()
        let minus = model.forward(gradient: false, correct: &unused)
        model.params.values[k] = saved
        // The step actually taken, as rounded in Float.
        let taken = Double(saved + h) - Double(saved - h)
        let numeric = (plus - minus) / taken
        let error = abs(analytic[k] - numeric) / max(abs(analytic[k]), abs(numeric), floor)
        if error > worst.error { worst = (error, k, numeric) }
    }
    return GradientCheckResult(parameters: model.params.count, maxRelativeError: worst.error, worstIndex: worst.index,
                               analytic: analytic[worst.index], numeric: worst.numeric)
}
