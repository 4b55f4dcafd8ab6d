/* The build's vectorisation attribute for the kernels' hot loops. */
#ifndef AE_VECTORISE_H
#define AE_VECTORISE_H

/*
 * Hot loops are compiled for AVX-512, AVX2 and plain x86-64; the loader picks the best the CPU has. That needs GNU
 * ifunc, which Linux's loader has and Windows' does not (there they are plain x86-64).
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define VECTORISED __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTORISED
#endif

#endif
