import CKernels

/// Stops the program with `message` unless `condition` holds: the library's one check for misuse
/// (mismatched buffer sizes, partly overlapping buffers, thread counts below 1, kernel errors).
///
/// Not `precondition`: in -O builds it traps without its message, and these checks are inlined
/// into the user's -O module. The check stays inlinable (it costs a compare); its failure path,
/// `misuse(_:file:line:)`, is compiled in this library, and its `fatalError` prints the message in
/// every build.
@inlinable @inline(__always)
func require(_ condition: Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    if _slowPath(!condition) { misuse(message(), file: file, line: line) }
}

/// The failure path of `require(_:_:file:line:)`; the file and line are the check's.
@usableFromInline @inline(never)
func misuse(_ message: String, file: StaticString, line: UInt) -> Never {
    fatalError(message, file: file, line: line)
}

/// Stops the program with the kernel's status message unless `status` is `CK_OK` (a status the
/// Swift-side checks should have made impossible).
@inlinable
func requireOK(_ status: ck_status, _ name: String, file: StaticString = #fileID, line: UInt = #line) {
    require(status == CK_OK, "\(name): \(String(cString: ck_status_string(status)))", file: file, line: line)
}

/// The product of `factors` (buffer sizes), or a stop with `what` and the factors when it overflows
/// `Int`: the one place where the Swift API multiplies sizes, so that an absurd size gets a message
/// instead of an arithmetic-overflow trap.
func sizeProduct(_ factors: Int..., of what: @autoclosure () -> String) -> Int {
    var product = 1, overflow = false
    for factor in factors where !overflow {
        (product, overflow) = product.multipliedReportingOverflow(by: factor)
    }
    require(!overflow, "\(what()): \(factors.map(String.init).joined(separator: " · ")) elements overflow Int")
    return product
}
