// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Earshot",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "earshot", targets: ["earshot"]),
        .library(name: "EarshotNodes", targets: ["EarshotNodes"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // MARK: system-library shims (static inline accessors only, no logic)
        /// HDF5 1.10 (Debian's libhdf5-dev, serial build) for artifacts.
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        /// zlib (Debian's zlib1g-dev) for the zlib-ratio MIA indicator's compressed length.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        /// libsndfile 1.2 (Debian's libsndfile1-dev): WAV, FLAC, OGG/Vorbis/Opus, MP3 decode; WAV encode.
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        /// libsoxr 0.1.3 (Debian's libsoxr-dev): sample-rate conversion.
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr", providers: [.apt(["libsoxr-dev"])]),
        /// FFTW 3.3 double precision (Debian's libfftw3-dev): real FFTs for STFT and YIN.
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3", providers: [.apt(["libfftw3-dev"])]),
        /// SHA-256 from the system libcrypto (OpenSSL 3).
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        /// libcurl 7.85 or later (Debian's libcurl4-openssl-dev): the remote cache's HTTP transfers.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // MARK: engine
        /// Starting programs: posix_spawn with owned descriptors, reaped children, process groups; PATH lookup.
        .target(name: "EarshotProcess", dependencies: ["CEarshotSpawn"]),
        /// glibc's posix_spawn GNU extensions (closefrom, chdir) and pipe2, which Swift's Glibc module does not show.
        .target(name: "CEarshotSpawn"),
        /// YAML experiment file → typed spec with source marks, foreach expansion, overrides, validation.
        .target(name: "EarshotSpec", dependencies: [.product(name: "Yams", package: "Yams")]),
        /// Content-addressed artifacts (deterministic HDF5), action index, hashing, fingerprints, verify, gc.
        .target(name: "EarshotStore", dependencies: ["EarshotSpec", "CHDF5", "CLibCrypto", "CCurl"]),
        /// DAG, waves, node keys (SHA-256 of canonical JSON), the printable plan and `why` explanations.
        .target(name: "EarshotGraph", dependencies: ["EarshotSpec", "EarshotStore"]),
        /// Executors (local structured concurrency), the node-kind protocol, progress, run records.
        .target(name: "EarshotRun", dependencies: ["EarshotGraph", "EarshotStore", "EarshotSpec", "EarshotProcess"]),
        /// Decode (libsndfile), resample (soxr), STFT (FFTW), WAV encode, signal effects, espeak-ng synthesis.
        .target(name: "EarshotAudio", dependencies: ["CSndFile", "CSoxr", "CFFTW", "EarshotProcess"]),
        /// Acoustic descriptors (MFCC, spectral, YIN pitch, RMS, ZCR) and their pooling.
        .target(name: "EarshotFeatures", dependencies: ["EarshotAudio"]),
        /// Dataset loaders (corpora in their owners' layouts, manifests, Kaldi, lhotse, Hub parquet), balanced cohorts,
        /// the split artifact, synthetic corpora.
        .target(name: "EarshotData", dependencies: ["EarshotStore", "EarshotAudio", "EarshotLearn", "EarshotProcess", "CZlib"]),
        /// Markdown/CSV/JSON tables and a self-contained HTML report with SVG figures, rendered from artifacts.
        .target(name: "EarshotReport", dependencies: ["EarshotStore", "EarshotSpec"]),
        /// Phase 1/2 numerics: TF-IDF, logistic regression (dense + sparse, L-BFGS), stratified CV, ROC/AUC/TPR@FPR,
        /// bootstrap, Pearson/Spearman. Foundation only.
        .target(name: "EarshotLearn"),
        /// Per-token statistics, MIA indicators and the scoring-worker protocol messages.
        .target(name: "EarshotScoring", dependencies: ["CZlib", "EarshotStore", "EarshotAudio", "EarshotFeatures", "EarshotProcess"]),
        /// The registry of node kinds: inputs, outputs, params, version and implementation of each.
        .target(name: "EarshotNodes", dependencies: [
            "EarshotRun", "EarshotGraph", "EarshotStore", "EarshotSpec", "EarshotData", "EarshotAudio", "EarshotFeatures",
            "EarshotLearn", "EarshotScoring", "EarshotReport", "EarshotProcess",
        ]),
        /// The `earshot` command: argument parsing, printing, exit codes.
        .executableTarget(name: "earshot", dependencies: [
            "EarshotNodes", "EarshotRun", "EarshotGraph", "EarshotStore", "EarshotSpec", "EarshotData",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: tests
        /// Tiny node kinds (const, scale, sum, …) for engine tests and the engine benchmark; a JSON Schema validator.
        .target(name: "EarshotTestKinds", dependencies: ["EarshotRun", "EarshotGraph", "EarshotStore", "EarshotSpec"],
                path: "Tests/EarshotTestKinds"),
        .testTarget(name: "EarshotSpecTests", dependencies: ["EarshotSpec"]),
        .testTarget(name: "EarshotStoreTests", dependencies: ["EarshotStore"]),
        .testTarget(name: "EarshotAudioTests", dependencies: ["EarshotAudio"], exclude: ["Fixtures"]),
        .testTarget(name: "EarshotFeaturesTests", dependencies: ["EarshotFeatures", "EarshotAudio"], exclude: ["Fixtures"]),
        .testTarget(name: "EarshotDataTests", dependencies: [
            "EarshotData", "EarshotAudio", "EarshotLearn", "EarshotNodes", "EarshotRun", "EarshotGraph", "EarshotStore", "EarshotSpec",
        ], exclude: ["Fixtures"]),
        .testTarget(name: "EarshotPhase1Tests", dependencies: [
            "EarshotTestKinds", "EarshotNodes", "EarshotRun", "EarshotGraph", "EarshotStore", "EarshotSpec", "EarshotData", "EarshotLearn",
            "EarshotAudio", "EarshotFeatures",
        ]),
        .testTarget(name: "EarshotPhase2Tests", dependencies: [
            "EarshotTestKinds", "EarshotNodes", "EarshotScoring", "EarshotData", "EarshotAudio", "EarshotLearn", "EarshotRun", "EarshotGraph",
            "EarshotStore", "EarshotSpec",
        ], exclude: ["Fixtures"]),
        .testTarget(name: "EarshotReportTests", dependencies: [
            "EarshotTestKinds", "EarshotReport", "EarshotNodes", "EarshotData", "EarshotAudio", "EarshotRun", "EarshotGraph", "EarshotStore",
            "EarshotSpec", "CZlib",
        ], exclude: ["Fixtures"]),
        .testTarget(name: "EarshotLearnTests", dependencies: ["EarshotLearn"], exclude: ["Fixtures"]),
        .testTarget(name: "EarshotScoringTests", dependencies: ["EarshotScoring"], exclude: ["Fixtures"]),
        /// The key resolver, the plan and `why` on their own (hand-made records, no executor).
        .testTarget(name: "EarshotGraphTests", dependencies: ["EarshotGraph", "EarshotSpec", "EarshotStore", "EarshotTestKinds"]),
        /// The scheduler and the public dispatcher protocol, with dispatchers defined outside `EarshotRun`.
        .testTarget(name: "EarshotRunTests", dependencies: ["EarshotRun", "EarshotGraph", "EarshotSpec", "EarshotStore", "EarshotTestKinds"]),
        .testTarget(name: "EarshotEngineTests", dependencies: [
            "EarshotTestKinds", "EarshotNodes", "EarshotRun", "EarshotGraph", "EarshotStore", "EarshotSpec", "EarshotLearn", "earshot",
        ]),

        // MARK: benchmarks
        /// `swift run -c release earshot-bench engine`: plan and no-op re-run times for generated 10k/100k-node experiments.
        /// `earshot-bench stress`: 10k/50k shell-step DAGs under `ulimit -n 1024` vs Snakemake; `earshot-bench command-noop`.
        .executableTarget(name: "earshot-bench", dependencies: [
            "EarshotTestKinds", "EarshotNodes", "EarshotRun", "EarshotGraph", "EarshotStore", "EarshotSpec", "EarshotProcess",
            .product(name: "Yams", package: "Yams"),
        ], path: "Benchmarks/earshot-bench"),
        /// `swift run -c release data-bench [decode|noop|synth|all]`: decode+resample vs librosa, no-op load_split, synthesis.
        .executableTarget(name: "data-bench", dependencies: [
            "CSndFile", "CSoxr", "EarshotData", "EarshotAudio", "EarshotNodes", "EarshotRun", "EarshotGraph", "EarshotStore", "EarshotSpec",
        ], path: "Benchmarks/data-bench"),
        /// `swift run -c release scoring-bench [reference|whisper|fake|all] [--items N]`: items/s and engine overhead per item.
        .executableTarget(name: "scoring-bench", dependencies: [
            "EarshotTestKinds", "EarshotNodes", "EarshotScoring", "EarshotData", "EarshotAudio", "EarshotRun", "EarshotGraph", "EarshotStore", "EarshotSpec",
        ], path: "Benchmarks/scoring-bench"),
        /// `taskset -c 0 swift run -c release phase1-bench acoustic [WAV…] | learn`: Earshot vs librosa / scikit-learn, one core.
        .executableTarget(name: "phase1-bench", dependencies: ["EarshotNodes", "EarshotLearn", "EarshotFeatures", "EarshotAudio"],
                          path: "Benchmarks/phase1-bench"),
    ],
    swiftLanguageModes: [.v6]
)
