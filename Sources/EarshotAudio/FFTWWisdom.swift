import CFFTW

/// FFTW wisdom for the real forward transforms the acoustic features run with their default parameters (r2c of
/// sizes 512, 768 and 1536, out of place, on FFTW-aligned arrays), recorded once with
/// `fftw-wisdom -n -o FILE rof512 rof768 rof1536` (Debian's libfftw3-bin, FFTW 3.3.10, PATIENT planning) on
/// an x86-64 machine with AVX.
///
/// Why it exists: FFTW_ESTIMATE's cost model picks plans 1.6–1.9× slower than these for sizes 512 and 768 (on the
/// development machine, single transforms: 0.72 → 0.39 µs and 1.17 → 0.62 µs), while planning with
/// FFTW_MEASURE or PATIENT at run time depends on timings, so the plan — and with it the last bits of every
/// result — could differ from one run to the next. Importing this fixed text keeps FFTW_ESTIMATE's property
/// that every run uses the same plan. FFTW refuses wisdom written by another FFTW version or naming solvers this
/// CPU lacks; the import then fails as a whole and planning falls back to plain FFTW_ESTIMATE.
/// Replacing this text changes feature values in the last bits: bump the versions of the node kinds that use
/// `RealFFT` when you do.
enum FFTWWisdom {
    static let recorded = """
    (fftw-3.3.10 fftw_wisdom #x458a31c8 #x92381c4c #x4f974889 #xcd46f97e
      (fftw_codelet_n2fv_32_avx 0 #x11048 #x11048 #x0 #x7e3cbc29 #x947ff6ff #xe07668b6 #x0570ed1c)
      (fftw_codelet_r2cfII_2 2 #x11048 #x11048 #x0 #x78c29da6 #x74a561e9 #x89ce8aa0 #xdd996bbc)
      (fftw_codelet_t2fv_4_avx 0 #x11048 #x11048 #x0 #xcf6061a3 #x568aee5c #x3ed75045 #xd3c2f0a4)
      (fftw_codelet_hc2cfdftv_12_avx 0 #x11048 #x11048 #x0 #xc73e3fac #x25766c01 #xfaafd293 #x177178ca)
      (fftw_codelet_r2cfII_12 2 #x11048 #x11048 #x0 #x7c89b45f #x8153744b #xbec52e3e #x0686f594)
      (fftw_codelet_r2cf_2 2 #x11048 #x11048 #x0 #x4bf7f8d9 #x64aa2220 #x1d28527a #x056c408f)
      (fftw_codelet_r2cf_12 2 #x11048 #x11048 #x0 #x07a51a2e #x3a7d1863 #x1b30c184 #x4d0c6dc2)
      (fftw_codelet_hc2cfdftv_2_avx 0 #x11048 #x11048 #x0 #x4d4b1bfd #x8518ad3f #x36f383f1 #x5a841548)
      (fftw_codelet_n2fv_64_avx 0 #x11048 #x11048 #x0 #x0325f2a8 #x09d79e92 #x087cac0f #xb9ee6d12)
      (fftw_codelet_n2fv_64_avx 0 #x11048 #x11048 #x0 #x47293ba1 #x7b3e3619 #xcff5e754 #xf54b5a5c)
      (fftw_codelet_r2cfII_12 2 #x11048 #x11048 #x0 #x7c1e1017 #x229dd753 #x9b6a67d6 #x5671b0cd)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x33bf247c #xd606941e #xfb7bcfce #x580c56b5)
      (fftw_codelet_hc2cfdftv_12_avx 0 #x11048 #x11048 #x0 #x97aeac40 #xe4b8f845 #xb66a3b8e #xd375ef97)
      (fftw_codelet_r2cf_12 2 #x11048 #x11048 #x0 #xaec204a5 #x40934709 #x465c52f3 #x1111e21c)
      (fftw_codelet_t2fv_4_avx 0 #x11048 #x11048 #x0 #x6e6e0e7e #x97b7cadb #x6203eab3 #x3e0cb1f2)
    )
    """
}
