// No allocation inside the per-step loop: a sampler run of 40 steps makes exactly as many heap
// allocations as a run of 10 (solver clones and workspaces are per run, never per step). Counts every
// operator new of this test program; runs on one thread so the count is deterministic.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "ayslab/data/datasets.hpp"
#include "ayslab/data/empirical.hpp"
#include "ayslab/data/mixture.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/solver/registry.hpp"

namespace {
std::atomic<long> allocations{0};
}

// The replacements pair malloc with free; GCC cannot see that they replace the global ones.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
    ++allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace ayslab;

namespace {
long allocations_of_run(const Data& data, const std::string& solver, std::size_t steps) {
    const std::size_t n = 300;
    std::vector<double> x(n * data.dim());
    sample_marginal(data, 80.0, x, n, 1, 1);
    const auto s = make_solver(solver);
    const Schedule schedule = karras(steps, 0.01, 80.0);
    const long before = allocations.load();
    sample(data.denoiser(), *s, schedule, x, n, {1, 1, 128});
    return allocations.load() - before;
}
}  // namespace

TEST_CASE("sampler runs allocate per run, never per step") {
    DatasetOptions o;
    const auto ring = make_dataset("ring8", o);
    o.precision = Precision::float32;
    const auto ring32 = make_dataset("ring8", o);
    std::vector<double> means(16 * 16);
    fill_normal_flat(3, 60, 0, 0, means);
    GaussianMixture gemm(std::vector<double>(16, 1.0), means, std::vector<double>(16, 0.1), 16);
    std::vector<double> pts(500 * 16);
    fill_normal_flat(4, 60, 0, 0, pts);
    const EmpiricalData points(pts, 16);
    const std::pair<const char*, const Data*> data[] = {{"ring (small-d kernel)", ring.data.get()},
                                                            {"ring float32", ring32.data.get()},
                                                            {"d=16 mixture (fused path)", &gemm},
                                                            {"point set (ideal denoiser)", &points}};
    for (const auto& entry : data)  // (not a structured binding: CAPTURE's lambda takes it by reference)
        for (const std::string solver :
             {"euler", "heun", "dpmpp-2m", "dpmpp-3m-sde", "linearised-sde", "euler-ancestral", "lms"}) {
            const char* label = entry.first;
            const Data& d = *entry.second;
            CAPTURE(label);
            CAPTURE(solver);
            allocations_of_run(d, solver, 10);  // warm the per-thread workspaces
            const long short_run = allocations_of_run(d, solver, 10);
            const long long_run = allocations_of_run(d, solver, 40);
            CHECK(long_run == short_run);
        }
}
