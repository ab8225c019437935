// The C runtime floor of a shipped binary: AWS Lambda's provided.al2023 has glibc 2.34 and GCC 11's
// libstdc++ (symbol versions up to GLIBCXX_3.4.29). Built on a newer system (Debian 12: glibc 2.36,
// GCC 12), the statically linked Swift runtime binds three functions to versions that are newer
// than that, and the dynamic loader refuses such a binary before main:
//
// - hypot and hypotf at GLIBC_2.35 (Foundation's CGFloat and the Glibc overlay). glibc 2.35 gave
//   them new versions that drop the old SVID error-handling wrapper; the results are the same.
// - std::condition_variable::wait(std::unique_lock<std::mutex>&) at GLIBCXX_3.4.30 (ICU, inside
//   Foundation). GCC 12 gave it a new version that is no longer noexcept, so that thread
//   cancellation can unwind through it; nothing here cancels threads.
//
// The linker's --wrap=NAME sends every reference to NAME to __wrap_NAME, defined below, which
// calls the version that every glibc and libstdc++ since long before the floor have (.symver binds
// the call to it). lambda/check_runtime_floor.py proves the result with objdump.
#if defined(__linux__)
#include <features.h> // defines __GLIBC__ on glibc systems
#endif

#if defined(__linux__) && defined(__GLIBC__)

#if defined(__x86_64__)
#define TOME_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define TOME_GLIBC_BASE "GLIBC_2.17"
#else
#error "the runtime floor knows glibc's base symbol version for x86_64 and aarch64 only"
#endif

double tome_hypot_base(double x, double y);
float tome_hypotf_base(float x, float y);
__asm__(".symver tome_hypot_base, hypot@" TOME_GLIBC_BASE);
__asm__(".symver tome_hypotf_base, hypotf@" TOME_GLIBC_BASE);

double __wrap_hypot(double x, double y) { return tome_hypot_base(x, y); }
float __wrap_hypotf(float x, float y) { return tome_hypotf_base(x, y); }

// The member function's first argument is the condition variable (this), the second the lock.
void tome_condition_variable_wait_base(void *condition, void *lock);
__asm__(".symver tome_condition_variable_wait_base, "
        "_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE@GLIBCXX_3.4.11");

void __wrap__ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE(void *condition, void *lock) {
    tome_condition_variable_wait_base(condition, lock);
}

#endif
