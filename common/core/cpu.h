/* cpu: which instructions the processor has, for code that has two copies. */
#ifndef CPU_H
#define CPU_H

/*
 * On x86-64 with glibc, the answer the loader found when the process
 * started, read from its record.  target_clones asked libgcc instead,
 * whose probe runs cpuid before main: each cpuid is a trap to the
 * hypervisor in a virtual machine, and the probe took 0.06 ms of every
 * start of every program there, a tenth of the time of /bin/true.
 */
#if defined(__x86_64__) && defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)) && \
    (defined(__clang__) || __GNUC__ >= 6)
#include <sys/platform/x86.h>

#define CPU_DISPATCH 1

static inline int
cpu_has_avx2(void)
{
	return CPU_FEATURE_ACTIVE(AVX2);
}

static inline int
cpu_has_popcnt(void)
{
	return CPU_FEATURE_ACTIVE(POPCNT);
}
#endif

#endif
