#include "ayslab/roofline.hpp"

#include "blas.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "ayslab/parallel.hpp"

namespace ayslab {

double gemm_gflops(std::size_t m, std::size_t n, std::size_t k, std::size_t threads, double seconds) {
    detail::single_threaded_blas();
    threads = resolve_threads(threads);
    std::atomic<long> calls{0};
    const auto start = std::chrono::steady_clock::now();
    parallel_for(threads, threads, [&](std::size_t) {
        std::vector<double> a(m * k, 0.5), b(n * k, 0.25), c(m * n);
        do {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(n),
                        static_cast<int>(k), 1.0, a.data(), static_cast<int>(k), b.data(),
                        static_cast<int>(k), 0.0, c.data(), static_cast<int>(n));
            ++calls;
        } while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds);
    });
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return 2.0 * static_cast<double>(m * n * k) * static_cast<double>(calls.load()) / elapsed / 1e9;
}

}  // namespace ayslab
