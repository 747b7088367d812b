#include "ayslab/evaluation/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "ayslab/cluster.hpp"
#include "ayslab/data/nearest.hpp"
#include "ayslab/error.hpp"
#include "ayslab/parallel.hpp"
#include "ayslab/rng.hpp"

namespace ayslab {

namespace {
// A unit direction of the seed's (projection p) and a point set's sorted projections on it.
void direction(std::uint64_t seed, std::size_t p, std::vector<double>& dir, double& norm) {
    fill_normal({seed, static_cast<std::uint64_t>(Stream::metrics), p, 0}, dir);
    norm = 0.0;
    for (double v : dir) norm += v * v;
    norm = std::sqrt(norm);
}
void project_sorted(std::span<const double> x, std::size_t n, const std::vector<double>& dir, double norm, double* out) {
    const std::size_t d = dir.size();
    for (std::size_t i = 0; i < n; ++i) {
        double s = 0.0;
        for (std::size_t k = 0; k < d; ++k) s += x[i * d + k] * dir[k];
        out[i] = s / norm;
    }
    std::sort(out, out + n);
}
void check_point_sets(std::span<const double> a, std::size_t na, std::span<const double> b, std::size_t nb,
                      std::size_t d) {
    if (a.size() != na * d || b.size() != nb * d || na == 0 || nb == 0)
        throw InputError(
            fmt::format("sliced W2: point sets of {} and {} rows do not match dimension {}", na, nb, d));
}
}  // namespace

SlicedReference sliced_reference(std::span<const double> b, std::size_t nb, std::size_t d, std::size_t projections,
                                 std::uint64_t seed) {
    if (b.size() != nb * d || nb == 0) throw InputError(fmt::format("sliced W2: {} values are not {} rows of {}", b.size(), nb, d));
    if (projections == 0) throw InputError("sliced W2 needs at least one projection");
    SlicedReference r{nb, d, projections, seed, std::vector<double>(projections * nb)};
    std::vector<double> dir(d);
    double norm = 0.0;
    for (std::size_t p = 0; p < projections; ++p) {
        direction(seed, p, dir, norm);
        project_sorted(b, nb, dir, norm, r.sorted.data() + p * nb);
    }
    return r;
}

std::vector<double> sliced_wasserstein2_projections(std::span<const double> a, std::size_t na,
                                                    const SlicedReference& ref) {
    const std::size_t d = ref.d, nb = ref.n;
    if (a.size() != na * d || na == 0)
        throw InputError(fmt::format("sliced W2: point sets of {} and {} rows do not match dimension {}", na, nb, d));
    const std::size_t levels = std::max(na, nb);
    std::vector<double> dir(d), pa(na), terms(ref.projections);
    double norm = 0.0;
    for (std::size_t p = 0; p < ref.projections; ++p) {
        direction(ref.seed, p, dir, norm);
        project_sorted(a, na, dir, norm, pa.data());
        const double* pb = ref.sorted.data() + p * nb;
        double w2 = 0.0;
        for (std::size_t q = 0; q < levels; ++q) {
            const double level = (static_cast<double>(q) + 0.5) / static_cast<double>(levels);
            const double qa = pa[static_cast<std::size_t>(level * static_cast<double>(na))];
            const double qb = pb[static_cast<std::size_t>(level * static_cast<double>(nb))];
            w2 += (qa - qb) * (qa - qb);
        }
        terms[p] = w2 / static_cast<double>(levels);
    }
    return terms;
}

double sliced_wasserstein2(std::span<const double> a, std::size_t na, const SlicedReference& reference) {
    const auto terms = sliced_wasserstein2_projections(a, na, reference);
    double total = 0.0;
    for (double t : terms) total += t;  // (in order: the value the single loop gave)
    return std::sqrt(total / static_cast<double>(reference.projections));
}

std::vector<double> sliced_wasserstein2_projections(std::span<const double> a, std::size_t na,
                                                    std::span<const double> b, std::size_t nb, std::size_t d,
                                                    std::size_t projections, std::uint64_t seed) {
    check_point_sets(a, na, b, nb, d);
    return sliced_wasserstein2_projections(a, na, sliced_reference(b, nb, d, projections, seed));
}

double sliced_wasserstein2(std::span<const double> a, std::size_t na, std::span<const double> b,
                           std::size_t nb, std::size_t d, std::size_t projections, std::uint64_t seed) {
    check_point_sets(a, na, b, nb, d);
    return sliced_wasserstein2(a, na, sliced_reference(b, nb, d, projections, seed));
}

std::vector<double> negative_log_likelihoods(const Data& data, std::span<const double> x, std::size_t n, double sigma,
                                             std::size_t threads) {
    const std::size_t d = data.dim();
    if (x.size() != n * d) throw InputError("NLL: wrong buffer size");
    std::vector<double> lp(n);
    constexpr std::size_t chunk = 64;
    cluster::distributed_for_calling(
        data.denoiser(), chunk_count(n, chunk), threads, std::span(lp), chunk,
        [&](std::size_t c) {
            const std::size_t first = c * chunk, count = std::min(chunk, n - first);
            data.log_density_rows(x.subspan(first * d, count * d), count, sigma,
                                  std::span(lp).subspan(first, count));
        });
    for (double& v : lp) v = -v;
    return lp;
}

std::vector<double> negative_log_likelihoods_labelled(const Data& data, std::span<const double> x,
                                                      std::span<const Label> labels, std::size_t n, double sigma,
                                                      std::size_t threads) {
    if (labels.empty()) return negative_log_likelihoods(data, x, n, sigma, threads);
    const std::size_t d = data.dim();
    if (x.size() != n * d || labels.size() != n) throw InputError("NLL: wrong buffer size");
    check_labels(labels, n, data.classes());
    std::vector<double> lp(n);
    constexpr std::size_t chunk = 64;
    cluster::distributed_for_calling(
        data.denoiser(), chunk_count(n, chunk), threads, std::span(lp), chunk, [&](std::size_t c) {
            const std::size_t first = c * chunk, count = std::min(chunk, n - first);
            // The chunk's rows ordered by class; each run of one class in one call of its class's law.
            std::vector<std::size_t> order(count);
            std::iota(order.begin(), order.end(), first);
            std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return labels[a] < labels[b]; });
            std::vector<double> rows, out;
            for (std::size_t i = 0, j = 0; i < count; i = j) {
                const Label y = labels[order[i]];
                for (j = i; j < count && labels[order[j]] == y; ++j) {}
                rows.resize((j - i) * d);
                for (std::size_t k = i; k < j; ++k) std::copy_n(x.data() + order[k] * d, d, rows.data() + (k - i) * d);
                out.resize(j - i);
                (y == null_label ? data : data.given(y)).log_density_rows(rows, j - i, sigma, out);
                for (std::size_t k = i; k < j; ++k) lp[order[k]] = out[k - i];
            }
        });
    for (double& v : lp) v = -v;
    return lp;
}

Moments negative_log_likelihood(const Data& data, std::span<const double> x, std::size_t n, double sigma,
                                std::size_t threads) {
    return moments_of(negative_log_likelihoods(data, x, n, sigma, threads));
}

std::vector<double> nearest_distances(const Data& data, std::span<const double> x, std::size_t n,
                                      std::size_t threads) {
    const auto* points = data.nearest_points();
    if (!points) throw InputError("nearest distance needs a data set of points");
    const std::size_t d = data.dim();
    if (x.size() != n * d) throw InputError("nearest distance: wrong buffer size");
    std::vector<double> d2(n);
    constexpr std::size_t chunk = 64;
    cluster::distributed_for_calling(
        data.denoiser(), chunk_count(n, chunk), threads, std::span(d2), chunk,
        [&](std::size_t c) {
            const std::size_t first = c * chunk, count = std::min(chunk, n - first);
            points->nearest_squared_distance(x.subspan(first * d, count * d), count,
                                             std::span(d2).subspan(first, count));
        });
    for (double& v : d2) v = std::sqrt(v);
    return d2;
}

Moments nearest_distance(const Data& data, std::span<const double> x, std::size_t n,
                         std::size_t threads) {
    return moments_of(nearest_distances(data, x, n, threads));
}

Moments moments_of(std::span<const double> values) {
    Moments m(values.empty() ? 0.0 : values[0]);
    for (double v : values) m.add(v);
    return m;
}

double median(std::vector<double> values) {
    if (values.empty()) throw InputError("median of no values");
    const std::size_t k = values.size() / 2;
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
    const double upper = values[k];
    if (values.size() % 2 == 1) return upper;
    return 0.5 * (*std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k)) + upper);
}

}  // namespace ayslab
