#include "ayslab/data/sharded.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "ayslab/error.hpp"
#include "ayslab/parallel.hpp"

namespace ayslab {

namespace {
constexpr std::size_t row_block = 64;  // rows per task inside a shard
}

ShardedEmpiricalData::ShardedEmpiricalData(const std::vector<double>& points, std::size_t dim,
                                           std::size_t shards, std::size_t threads)
    : dim_(dim), threads_(threads) {
    if (dim_ == 0 || points.empty() || points.size() % dim_ != 0)
        throw InputError(
            fmt::format("empirical data: {} values do not make rows of dimension {}", points.size(), dim_));
    const std::size_t n = points.size() / dim_;
    if (shards < 1 || shards > n)
        throw InputError(fmt::format("data shards = {} must be between 1 and the {} data points", shards, n));
    for (std::size_t s = 0; s < shards; ++s) first_row_.push_back(cluster::block_of(n, s, shards).first);
    first_row_.push_back(n);
    // The variance of the whole set (every rank has it before keeping its shards).
    std::vector<double> mean(dim_, 0.0);
    for (std::size_t j = 0; j < n; ++j)
        for (std::size_t k = 0; k < dim_; ++k) mean[k] += points[j * dim_ + k] / static_cast<double>(n);
    double var = 0.0;
    for (std::size_t j = 0; j < n; ++j)
        for (std::size_t k = 0; k < dim_; ++k) var += std::pow(points[j * dim_ + k] - mean[k], 2);
    variance_ = var / static_cast<double>(n * dim_);
    mine_ = cluster::my_block(shards);
    for (std::size_t s = mine_.first; s < mine_.last; ++s)
        local_.push_back(std::make_unique<EmpiricalData>(
            std::vector<double>(points.begin() + static_cast<std::ptrdiff_t>(first_row_[s] * dim_),
                                points.begin() + static_cast<std::ptrdiff_t>(first_row_[s + 1] * dim_)),
            dim_));
}

void ShardedEmpiricalData::set_precision(Precision p) {
    for (auto& shard : local_) shard->set_precision(p);
}

void ShardedEmpiricalData::evaluate_rows(const double* x, std::size_t n, const double* sigmas,
                                    std::size_t sigma_stride, double* out, double* log_sum,
                                    bool full_precision) const {
    // Per shard s: n log sums, then (if out) n x d denoised values: one slot of the shared buffer.
    const std::size_t d = dim_, s_count = shards(), width = n * (1 + (out ? d : 0));
    thread_local std::vector<double> shared_slots;
    std::vector<double>& buffer = shared_slots;  // this thread's: the workers below write into it
    buffer.resize(s_count * width);
    const std::size_t blocks = chunk_count(n, row_block), mine = mine_.last - mine_.first;
    parallel_for(mine * blocks, threads_, [&](std::size_t task) {
        const std::size_t s = mine_.first + task / blocks, i0 = (task % blocks) * row_block;
        const std::size_t m = std::min(row_block, n - i0);
        double* slot = buffer.data() + s * width;
        local_[s - mine_.first]->evaluate_rows(x + i0 * d, m, sigmas + i0 * sigma_stride, sigma_stride,
                                          out ? slot + n + i0 * d : nullptr, slot + i0, full_precision);
    });
    cluster::share_chunks(std::span(buffer), s_count, width);
    // Merge in shard order: L = m + log sum_s exp(L_s - m), D = sum_s exp(L_s - L) D_s.
    for (std::size_t i = 0; i < n; ++i) {
        double top = -std::numeric_limits<double>::infinity();
        for (std::size_t s = 0; s < s_count; ++s) top = std::max(top, buffer[s * width + i]);
        double z = 0.0;
        for (std::size_t s = 0; s < s_count; ++s) z += std::exp(buffer[s * width + i] - top);
        const double total = top + std::log(z);
        if (log_sum) log_sum[i] = total;
        if (!out) continue;
        double* oi = out + i * d;
        std::fill_n(oi, d, 0.0);
        for (std::size_t s = 0; s < s_count; ++s) {
            const double w = std::exp(buffer[s * width + i] - total);
            const double* ds = buffer.data() + s * width + n + i * d;
            for (std::size_t k = 0; k < d; ++k) oi[k] += w * ds[k];
        }
    }
}

void ShardedEmpiricalData::evaluate(const Batch& b, std::span<double> out) const {
    check_labels(b.labels, b.n, 0);
    check_rows(*this, b, out, dim_);
    thread_local std::vector<double> log_sum;
    log_sum.resize(b.n);
    if (b.one_sigma())
        evaluate_rows(b.x.data(), b.n, &b.sigma, 0, out.data(), log_sum.data(), false);
    else
        evaluate_rows(b.x.data(), b.n, b.sigmas.data(), 1, out.data(), log_sum.data(), false);
}

void ShardedEmpiricalData::log_density_rows(std::span<const double> x, std::size_t n, double sigma,
                                            std::span<double> out) const {
    empirical_log_density_rows(x, n, dim_, sigma, size(), out, [&](double* log_sum) {
        evaluate_rows(x.data(), n, &sigma, 0, nullptr, log_sum, true);
    });
}

void ShardedEmpiricalData::sample(std::size_t n, std::uint64_t seed, std::uint64_t first,
                                  std::span<double> out) const {
    if (out.size() != n * dim_) throw InputError("empirical sample: output has the wrong size");
    // The same rows as EmpiricalData::sample; the rank holding a row writes it, then rows are shared.
    const std::size_t total = size(), p = cluster::ranks();
    thread_local std::vector<std::uint32_t> owner;
    owner.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t j = empirical_draw_row(seed, first + i, total);
        const auto s = static_cast<std::size_t>(std::upper_bound(first_row_.begin(), first_row_.end(), j) -
                                                first_row_.begin()) -
                       1;
        std::size_t r = 0;
        while (cluster::block_of(shards(), r, p).last <= s) ++r;
        owner[i] = static_cast<std::uint32_t>(r);
        if (s >= mine_.first && s < mine_.last) {
            const auto& pts = local_[s - mine_.first]->points();
            std::copy_n(pts.data() + (j - first_row_[s]) * dim_, dim_, out.data() + i * dim_);
        }
    }
    cluster::share_rows(out, dim_, owner);
}

void ShardedEmpiricalData::nearest_squared_distance(std::span<const double> x, std::size_t n,
                                                    std::span<double> out) const {
    if (x.size() != n * dim_ || out.size() != n) throw InputError("nearest distance: wrong buffer sizes");
    thread_local std::vector<double> shared_slots;
    std::vector<double>& buffer = shared_slots;  // this thread's: the workers below write into it
    buffer.assign(shards() * n, 0.0);
    parallel_for(mine_.last - mine_.first, threads_, [&](std::size_t i) {
        local_[i]->nearest_squared_distance(x, n, std::span(buffer).subspan((mine_.first + i) * n, n));
    });
    cluster::share_chunks(std::span(buffer), shards(), n);
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = std::numeric_limits<double>::infinity();
        for (std::size_t s = 0; s < shards(); ++s) out[i] = std::min(out[i], buffer[s * n + i]);
    }
}

}  // namespace ayslab
