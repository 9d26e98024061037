import CParleyKernels
import ParleyInference

extension FuzzTarget {
    /// The C kernels' entry points (every quantised type) on arbitrary blocks (any scales, NaN and infinity included)
    /// and shapes: matrix-vector and matrix-matrix products at every implementation level the CPU
    /// has, the packed forms, fp16 conversion and attention. Buffers are exactly as large as the
    /// shapes need, so AddressSanitizer sees any read past them. Properties: the AVX2 and
    /// AVX-512 levels agree bit for bit (as the header promises), and the packed products are the
    /// same bits at every level, whatever the batch (for the K-quants, the unpacked ones' bits); a
    /// token's product is the same alone or in a batch.
    static let kernels = FuzzTarget(name: "kernels", summary: "blocks and shapes → the C kernels") { data in
        var input = FuzzInput(data)
        let type: Int32 = [2, 3, 6, 8, 12, 13, 14][input.int(in: 0...6)]
        let (perBlock, blockBytes) = GGMLType(rawValue: UInt32(type))!.block
        let blocks = input.int(in: 1...(perBlock == 32 ? 8 : 2))
        let n = blocks * perBlock
        let rows = input.int(in: 1...3) * 8
        let batch = input.int(in: 1...3)
        let weights = (0..<rows * blocks * blockBytes).map { _ in input.byte() }
        let activations = (0..<batch * n).map { _ in Float(Int8(bitPattern: input.byte())) / 16 }
        let best = Int(pk_max_implementation())

        // The activations as the type multiplies them: per 32, or per 256 for the K-quants.
        let perSuperBlock = pk_act_kind(type) == 1
        let actBlocks = perSuperBlock ? n / 256 : n / 32
        let actBytes = perSuperBlock ? MemoryLayout<pk_act_q8_K>.stride : MemoryLayout<pk_act_q8>.stride
        var quantised = [UInt8](repeating: 0, count: batch * actBlocks * actBytes)
        for row in 0..<batch {
            activations.withUnsafeBufferPointer { x in
                quantised.withUnsafeMutableBytes { y in
                    let out = y.baseAddress! + row * actBlocks * actBytes
                    if perSuperBlock {
                        pk_quantize_act_q8_K(x.baseAddress! + row * n, out.assumingMemoryBound(to: pk_act_q8_K.self), n)
                    } else {
                        pk_quantize_act_q8(x.baseAddress! + row * n, out.assumingMemoryBound(to: pk_act_q8.self), n)
                    }
                }
            }
        }
        var results: [[Float]] = []
        var packedResults: [[Float]] = []
        for level in 0...best {
            var plain = [Float](repeating: 0, count: batch * rows)
            weights.withUnsafeBytes { w in
                pk_matmul_at(Int32(level), type, w.baseAddress, blocks * blockBytes, n, quantised, actBlocks, batch, &plain, rows, 0, rows)
            }
            var single = [Float](repeating: 0, count: rows)
            weights.withUnsafeBytes { w in
                pk_matvec_at(Int32(level), type, w.baseAddress, blocks * blockBytes, n, quantised, &single, 0, rows)
            }
            expect(sameBits(single, Array(plain.prefix(rows))), "type \(type) level \(level): a token's product depends on the batch")
            results.append(plain)
            let packedSize = pk_packed_size(type, rows, n)
            guard packedSize > 0 else { continue }
            var packed = [UInt8](repeating: 0, count: packedSize)
            let ok = weights.withUnsafeBytes { w in pk_pack(type, w.baseAddress, blocks * blockBytes, rows, n, &packed) }
            guard ok != 0 else { continue }
            var fromPacked = [Float](repeating: 0, count: batch * rows)
            pk_packed_matmul_at(Int32(level), type, packed, n, quantised, actBlocks, batch, &fromPacked, rows, 0, rows / 8)
            var oneByOne = [Float](repeating: 0, count: batch * rows)
            for token in 0..<batch {
                quantised.withUnsafeBytes { x in
                    oneByOne.withUnsafeMutableBufferPointer { y in
                        pk_packed_matmul_at(Int32(level), type, packed, n, x.baseAddress! + token * actBlocks * actBytes, actBlocks, 1, y.baseAddress! + token * rows, rows, 0, rows / 8)
                    }
                }
            }
            expect(sameBits(fromPacked, oneByOne), "type \(type) level \(level): a packed product depends on the batch")
            if perSuperBlock {
                expect(sameBits(fromPacked, plain), "type \(type) level \(level): packing changed a K-quant product")
            }
            packedResults.append(fromPacked)
        }
        if best == 2 {
            expect(sameBits(results[1], results[2]), "type \(type): AVX2 and AVX-512 differ")
        }
        for (level, packed) in packedResults.enumerated().dropFirst() {
            expect(sameBits(packed, packedResults[0]), "type \(type): packed products differ between levels 0 and \(level)")
        }
        var halves = [UInt16](repeating: 0, count: n)
        activations.prefix(n).withUnsafeBufferPointer { pk_fp32_to_fp16_row($0.baseAddress, &halves, n) }
        var back = [Float](repeating: 0, count: n)
        pk_fp16_to_fp32_row(halves, &back, n)
        expect(zip(back, activations).allSatisfy { $0 == $1 }, "fp16 did not hold a value that fits it exactly")
    }
}

/// Equal bits, any NaN equal to any other.
private func sameBits(_ a: [Float], _ b: [Float]) -> Bool {
    zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
}
