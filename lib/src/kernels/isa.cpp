#include "isa.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <string>

#include "ayslab/error.hpp"

namespace ayslab::detail {

// AYSLAB_ISA=baseline|avx2|avx512 caps the copy chosen at run time (0, 1, 2; unset: 2), so the copies
// can be timed and compared on one machine: they give the same bits.
[[maybe_unused]] static int isa_cap() {
    static const int cap = [] {
        const char* v = std::getenv("AYSLAB_ISA");
        const std::string s = v ? v : "";
        if (s.empty() || s == "avx512") return 2;
        if (s == "avx2") return 1;
        if (s == "baseline") return 0;
        throw InputError(fmt::format("AYSLAB_ISA={}: not one of baseline, avx2, avx512", s));
    }();
    return cap;
}

bool have_avx2() {
#if defined(__x86_64__) && defined(AYSLAB_HAVE_ISA_COPIES)
    static const bool yes = isa_cap() >= 1 && __builtin_cpu_supports("avx2");
    return yes;
#else
    return false;
#endif
}

bool have_avx512() {
#if defined(__x86_64__) && defined(AYSLAB_HAVE_ISA_COPIES)
    static const bool yes = isa_cap() >= 2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                            __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
    return yes;
#else
    return false;
#endif
}

}  // namespace ayslab::detail
