import EarshotSpec
import Testing

/// `KindParams`: one declaration gives the signature (names, types, bounds, defaults) and the decoded value.
@Suite struct KindParamsDeclarationTests {
    enum Side: String, ParamChoice { case left, right }

    struct Shared: KindParams {
        @Param("shared count", in: 1...10) var count = 3
    }

    struct Example: KindParams {
        @Param("fft size", in: 2...65_536) var nFFT = 512
        @Param("strength", in: 1e-6...1e6, name: "C") var c = 1.0
        @Param("side") var side: Side = .right
        @Param("maybe a level", in: -60...120) var snrDB: Double? = nil
        @Param("files", type: .list(.path)) var files: [String] = []
        @Param("required program") var run: [String]
        var shared = Shared()
    }

    @Test func signaturesComeFromTheDeclaration() {
        let s = Example.signatures
        #expect(s.map(\.name) == ["n_fft", "C", "side", "snr_db", "files", "run", "count"])
        #expect(s[0].type.description == "int in [2, 65536]" && s[0].defaultValue == .int(512))
        #expect(s[1].defaultValue == .double(1))
        #expect(s[2].type.description == "'left'|'right'" && s[2].defaultValue == .string("right"))
        #expect(s[3].type.description == "double in [-60.0, 120.0] or null" && s[3].defaultValue == .null)
        #expect(s[4].type.description == "[path]")
        #expect(s[5].defaultValue == nil, "a param declared without a value is required")
        #expect(s.allSatisfy { $0.type.isBounded })
    }

    @Test func validatedParamsDecodeIntoTheValue() throws {
        let p = try Example(decoding: ["n_fft": .int(1024), "C": .double(0.5), "side": .string("left"), "snr_db": .double(10),
                                       "files": .array([.string("/a")]), "run": .array([.string("sh")]), "count": .int(7)])
        #expect(p.nFFT == 1024 && p.c == 0.5 && p.side == .left && p.snrDB == 10 && p.files == ["/a"] && p.run == ["sh"])
        #expect(p.shared.count == 7)
        #expect(p.values["snr_db"] == .double(10) && p.values["count"] == .int(7))
    }

    @Test func aMissingOrMistypedParamIsAnErrorNamingIt() {
        #expect { _ = try Example(decoding: ["n_fft": .string("big")]) } throws: { "\($0)".contains("param 'n_fft' must be an int") }
        #expect { _ = try Example(decoding: [:]) } throws: { "\($0)".contains("'n_fft'") }
        // Lenient (while validating outputs): absent params take their defaults.
        #expect((try? Example(decoding: ["side": .string("left")], lenient: true))?.nFFT == 512)
    }

    @Test func validationChecksOptionalNumbers() throws {
        let t = ParamType.optional(.double(min: -60, max: 120))
        #expect(try SpecValidator.check(.null, as: t, name: "snr_db", directory: "/") == .null)
        #expect(try SpecValidator.check(.int(10), as: t, name: "snr_db", directory: "/") == .double(10))
        #expect(throws: (any Error).self) { try SpecValidator.check(.int(1000), as: t, name: "snr_db", directory: "/") }
    }
}
