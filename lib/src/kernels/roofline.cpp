#include "ayslab/kernels/roofline.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "ayslab/parallel.hpp"
#include "blas.hpp"

namespace ayslab {

namespace {
template <class T>
double rate(std::size_t m, std::size_t n, std::size_t k, std::size_t threads, double seconds) {
    detail::single_threaded_blas();
    threads = resolve_threads(threads);
    std::atomic<long> calls{0};
    const auto start = std::chrono::steady_clock::now();
    parallel_for(threads, threads, [&](std::size_t) {
        std::vector<T> a(m * k, T(0.5)), b(n * k, T(0.25)), c(m * n);
        const int mi = static_cast<int>(m), ni = static_cast<int>(n), ki = static_cast<int>(k);
        do {
            detail::gemm(true, mi, ni, ki, a.data(), ki, b.data(), ki, T(0), c.data(), ni);
            ++calls;
        } while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds);
    });
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return 2.0 * static_cast<double>(m * n * k) * static_cast<double>(calls.load()) / elapsed / 1e9;
}
}  // namespace

double gemm_gflops(std::size_t m, std::size_t n, std::size_t k, std::size_t threads, double seconds,
                   Precision precision) {
    return precision == Precision::float32 ? rate<float>(m, n, k, threads, seconds)
                                           : rate<double>(m, n, k, threads, seconds);
}

}  // namespace ayslab
