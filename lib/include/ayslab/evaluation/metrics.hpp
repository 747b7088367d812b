// Sample metrics: sliced Wasserstein-2 between point sets, negative log-likelihood under an exact
// density, nearest-neighbour distance to a data set.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "ayslab/data/data.hpp"
#include "ayslab/stats.hpp"

namespace ayslab {

// sqrt of the mean over `projections` random unit directions (addressed by seed) of the squared W2
// between the projected 1-D empirical laws (quantile coupling on max(na, nb) levels).
double sliced_wasserstein2(std::span<const double> a, std::size_t na, std::span<const double> b,
                           std::size_t nb, std::size_t d, std::size_t projections, std::uint64_t seed);
// Its terms: the squared 1-D W2 of each projection (the same directions for the same seed), whose
// mean is the square of the above — per-projection values that pair two point sets' distances.
std::vector<double> sliced_wasserstein2_projections(std::span<const double> a, std::size_t na,
                                                    std::span<const double> b, std::size_t nb, std::size_t d,
                                                    std::size_t projections, std::uint64_t seed);

// One side of the above made once: point set b's sorted projections on the seed's directions, for
// judging many point sets against the same reference rows (a held-out set of 10 000 images projected
// once, not once per call). The terms are the same bits as sliced_wasserstein2_projections(a, b).
struct SlicedReference {
    std::size_t n = 0, d = 0, projections = 0;
    std::uint64_t seed = 0;
    std::vector<double> sorted;  // projections x n, each projection's values ascending
};
SlicedReference sliced_reference(std::span<const double> b, std::size_t nb, std::size_t d, std::size_t projections,
                                 std::uint64_t seed);
std::vector<double> sliced_wasserstein2_projections(std::span<const double> a, std::size_t na,
                                                    const SlicedReference& reference);
double sliced_wasserstein2(std::span<const double> a, std::size_t na, const SlicedReference& reference);

// Moments of -log p_sigma(x) over the rows of x.
Moments negative_log_likelihood(const Data& data, std::span<const double> x, std::size_t n, double sigma,
                                std::size_t threads = 1);

// Per-sample values of the above: -log p_sigma(x_i), for a median or a share.
std::vector<double> negative_log_likelihoods(const Data& data, std::span<const double> x, std::size_t n, double sigma,
                                             std::size_t threads = 1);
// -log p_sigma(x_i | y_i) per row, each row under its own class's law (Data::given(y)); labels: n, or
// empty for negative_log_likelihoods' unlabelled values.
std::vector<double> negative_log_likelihoods_labelled(const Data& data, std::span<const double> x,
                                                      std::span<const Label> labels, std::size_t n, double sigma,
                                                      std::size_t threads = 1);
// The distance from each row of x to its nearest data point (point-set data).
std::vector<double> nearest_distances(const Data& data, std::span<const double> x, std::size_t n,
                                      std::size_t threads = 1);
// Moments of values (shifted by the first, for accuracy).
Moments moments_of(std::span<const double> values);
// The median (mean of the two middle values for an even count).
double median(std::vector<double> values);

// Moments of the distance from each row of x to its nearest data point.
Moments nearest_distance(const Data& data, std::span<const double> x, std::size_t n,
                         std::size_t threads = 1);

}  // namespace ayslab
