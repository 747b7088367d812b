// How the cores are split with a model (parallel.hpp's inner_threads, NetworkDenoiser::call; issue 41,
// item 1): a recording ModelFunction sees how many rows each call gets, the intra-op threads it is
// handed, and how many calls run at once. Faults caught: the cores multiplied (a sliced call given every
// core, or a worker's nested loop given all of them), a call left whole on several cores (the MLP case
// that spun), a model whose calls would queue (a Python callable) sliced, rows lost between slices.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <numeric>
#include <thread>
#include <vector>

#include "ayslab/denoisers/network.hpp"
#include "ayslab/parallel.hpp"

using namespace ayslab;

namespace {
class Recorder final : public ModelFunction {
  public:
    explicit Recorder(bool concurrent) : concurrent_(concurrent) {}
    std::size_t dim() const override { return 2; }
    bool takes_labels() const override { return false; }
    std::string description() const override { return "recorder"; }
    double rounding() const override { return 0x1p-52; }
    bool concurrent() const override { return concurrent_; }
    void forward(std::span<const double> x, std::span<const double>, std::size_t n, std::span<double> out,
                 std::size_t threads, std::span<const std::int64_t>) const override {
        const int now = ++running_;
        {
            const std::lock_guard lock(mutex_);
            rows.push_back(n);
            intra.push_back(threads);
            most = std::max(most, now);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // long enough for slices to overlap
        std::copy(x.begin(), x.end(), out.begin());                  // D = x (denoiser parametrisation)
        --running_;
    }
    mutable std::vector<std::size_t> rows, intra;
    mutable int most = 0;

  private:
    bool concurrent_;
    mutable std::atomic<int> running_{0};
    mutable std::mutex mutex_;
};

std::vector<double> ramp(std::size_t n) {
    std::vector<double> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<double>(i);
    return x;
}
}  // namespace

TEST_CASE("threads: a worker of a parallel loop gets its share of the cores for nested work") {
    CHECK(inner_threads(4) == 4);  // outside any loop: what was asked
    std::vector<std::size_t> seen(8), nested(8);
    parallel_for(8, 4, [&](std::size_t c) {
        seen[c] = inner_threads(4);
        // A loop nested in a worker runs on that worker's share: 1 thread, not 4 more.
        std::atomic<std::size_t> threads_seen{0};
        parallel_for(4, 4, [&](std::size_t) { threads_seen = std::max<std::size_t>(threads_seen, inner_threads(4)); });
        nested[c] = threads_seen;
    });
    for (std::size_t c = 0; c < 8; ++c) {
        CHECK(seen[c] == 1);    // 4 cores over 4 workers
        CHECK(nested[c] == 1);  // the nested loop ran serially on the share
    }
    parallel_for(2, 4, [&](std::size_t c) { seen[c] = inner_threads(4); });  // 2 chunks: 2 workers, 2 cores each
    CHECK(seen[0] == 2);
    CHECK(seen[1] == 2);
    CHECK(inner_threads(3) == 3);  // back outside: the caller's share restored
}

TEST_CASE("threads: a model's call from one thread is cut into slices run at once, one intra-op thread each") {
    const std::size_t n = 5000;  // 2 cores, slices of at most 2048 rows: 2048, 2048 and 904, two at a time
    auto model = std::make_shared<Recorder>(true);
    const NetworkDenoiser d(model, ModelConvention{}, 2);
    const auto x = ramp(2 * n);
    std::vector<double> out(2 * n);
    d.denoise(x, n, 1.0, out);
    CHECK(out == x);  // every row answered, in place
    REQUIRE(model->rows.size() == 3);
    CHECK(std::accumulate(model->rows.begin(), model->rows.end(), std::size_t{0}) == n);
    CHECK(*std::max_element(model->rows.begin(), model->rows.end()) <= NetworkDenoiser::max_slice_rows);
    CHECK(std::all_of(model->intra.begin(), model->intra.end(), [](std::size_t t) { return t == 1; }));
    CHECK(model->most == 2);                   // two slices at once on two cores, never three
    CHECK(d.evaluations().calls == 1);         // one call of the denoiser, whatever the slicing
    CHECK(d.evaluations().rows == n);

    // Fewer than 2 x 64 rows: one call on every core.
    model->rows.clear();
    model->intra.clear();
    d.denoise({x.data(), 2 * 100}, 100, 1.0, {out.data(), 2 * 100});
    CHECK(model->rows == std::vector<std::size_t>{100});
    CHECK(model->intra == std::vector<std::size_t>{2});
}

TEST_CASE("threads: a model whose calls would queue (a Python callable's GIL, a GPU) is called whole, on every core") {
    auto model = std::make_shared<Recorder>(false);
    const NetworkDenoiser d(model, ModelConvention{}, 2);
    CHECK_FALSE(d.concurrent_calls());
    const std::size_t n = 5000;
    const auto x = ramp(2 * n);
    std::vector<double> out(2 * n);
    d.denoise(x, n, 1.0, out);
    CHECK(out == x);
    CHECK(model->rows == std::vector<std::size_t>{n});
    CHECK(model->intra == std::vector<std::size_t>{2});
}
