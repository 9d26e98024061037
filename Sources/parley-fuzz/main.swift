// parley-fuzz: Parley's fuzz targets, for libFuzzer (scripts/fuzz builds them with
// -DPARLEY_FUZZ, AddressSanitizer and coverage) or, in an ordinary build, run over given inputs
// (a crash file, a corpus folder) to reproduce a finding without the fuzzing build.
//
//   parley-fuzz list
//   parley-fuzz TARGET [libFuzzer options] [CORPUS…]    (the fuzzing build)
//   parley-fuzz TARGET FILE_OR_FOLDER…                  (any build: runs each input once)
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: parley-fuzz list | TARGET [options] [inputs…]")
    exit(64)
}
if arguments[1] == "list" {
    for target in FuzzTarget.all { print(target.name.padding(toLength: 24, withPad: " ", startingAt: 0) + target.summary) }
    exit(0)
}
guard let target = FuzzTarget.named(arguments[1]) else {
    print("parley-fuzz: no target \(arguments[1]); the targets: \(FuzzTarget.all.map(\.name).joined(separator: ", "))")
    exit(64)
}
FuzzDriver.target = target
target.prepare()

#if PARLEY_FUZZ
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

// libFuzzer reads its own options: it gets the program name and what follows the target's.
var fuzzerArguments: [UnsafeMutablePointer<CChar>?] = ([arguments[0]] + arguments.dropFirst(2)).map { strdup($0) } + [nil]
var argc = Int32(fuzzerArguments.count - 1)
let status = fuzzerArguments.withUnsafeMutableBufferPointer { buffer in
    var argv = buffer.baseAddress!
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        FuzzDriver.target.run(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
}
exit(status)
#else
var inputs = 0
for argument in arguments.dropFirst(2) {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder) else {
        print("parley-fuzz: no such file or folder: \(argument)")
        exit(66)
    }
    let files = isFolder.boolValue
        ? ((try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []).sorted().map { argument + "/" + $0 }
        : [argument]
    for file in files {
        guard let data = FileManager.default.contents(atPath: file) else { continue }
        target.run(Array(data))
        inputs += 1
    }
}
print("parley-fuzz: \(target.name): \(inputs) inputs, no finding")
#endif
