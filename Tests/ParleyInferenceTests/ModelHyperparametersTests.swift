import Foundation
@testable import ParleyInference
import Testing

/// Hyper-parameters read from real files' metadata.
@Suite struct ModelHyperparametersTests {
    @Test func gemma3HasLocalLayersWithTheirOwnRopeBaseAndEveryNthLayerGlobal() throws {
        let model = Golden.Model.gemma3_270m
        guard FileManager.default.fileExists(atPath: model.path) else { throw Golden.ModelMissing(model: model) }
        let hyper = try ModelHyperparameters(file: GGUFFile(path: model.path))
        #expect(hyper.layers == 18)
        #expect(hyper.slidingWindow == 512)
        #expect((0..<18).filter { !hyper.isSliding(layer: $0) } == [5, 11, 17])
        #expect(hyper.ropeBase(layer: 0) == 10_000)
        #expect(hyper.ropeBase(layer: 5) == 1_000_000)
        #expect(hyper.embeddingScale == Float(640).squareRoot())
        #expect(hyper.queryScale == Float(1) / 16)
        #expect(hyper.activation == .gelu && hyper.hasGemmaNorms && hyper.ropeStyle == .halves)
        #expect(hyper.headDimension == 256 && hyper.heads == 4 && hyper.kvHeads == 1)
    }

    @Test func qwen2HasBiasesAndNeoXRopeAndNoLocalLayers() throws {
        let model = Golden.Model.qwen2_5_0_5b
        guard FileManager.default.fileExists(atPath: model.path) else { throw Golden.ModelMissing(model: model) }
        let hyper = try ModelHyperparameters(file: GGUFFile(path: model.path))
        #expect(hyper.hasQKVBias && hyper.ropeStyle == .halves && hyper.activation == .silu)
        #expect(hyper.slidingWindow == nil && !hyper.isSliding(layer: 0))
        #expect(hyper.vocabularySize == 151_936)
    }
}
