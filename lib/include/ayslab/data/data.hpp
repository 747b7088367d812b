// A data distribution (MATH.md §2): draws of x_0, the exact log-density of p_sigma (the law of
// x_0 + sigma eps) and the data variance, and its exact denoiser. Metrics and x_0 draws take a Data;
// samplers, KLUB and AYS take a Denoiser — the data's exact one, or another (a trained network).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ayslab/data/nearest.hpp"
#include "ayslab/denoisers/denoiser.hpp"

namespace ayslab {

class DiagonalGaussian;

// A mixture's tables: weights (K, normalised), means and variances (K x d, row-major; 0 for a point
// set's rows), and each component's class (K entries, or empty: no classes). What Data::mixture()
// returns for data that is an exact Gaussian mixture (a point set is one with zero variances).
struct MixtureTables {
    std::size_t dim = 0;
    std::vector<double> weights, means, variances;
    std::vector<Label> component_class;
    std::size_t classes = 0;
};

class Data {
  public:
    virtual ~Data() = default;
    virtual std::size_t dim() const = 0;
    // The exact denoiser E[x_0 | x_0 + sigma eps = x] of this distribution. Its collective() also
    // says whether the data's own calls (draws, densities) must be made by every MPI rank in order.
    virtual const Denoiser& denoiser() const = 0;
    // log p_sigma(x) for one point (sigma = 0: the data density).
    virtual double log_density(std::span<const double> x, double sigma) const = 0;
    // log p_sigma for n rows; the default calls log_density() per row.
    virtual void log_density_rows(std::span<const double> x, std::size_t n, double sigma,
                                  std::span<double> out) const;
    // For a law whose kernel is the rows' one (it overrides log_density_rows): its log_density.
    double log_density_of_row(std::span<const double> x, double sigma) const {
        double v = 0.0;
        log_density_rows(x, 1, sigma, {&v, 1});
        return v;
    }
    // Per-coordinate data variance averaged over coordinates.
    virtual double data_variance() const = 0;
    // n draws of x_0 into out (n rows); row i depends only on (seed, first + i).
    virtual void sample(std::size_t n, std::uint64_t seed, std::uint64_t first, std::span<double> out) const = 0;
    // Data made of points can say how far a sample is from the nearest one (null otherwise).
    virtual const NearestPoint* nearest_points() const { return nullptr; }
    // The exact mean (d) and covariance (d x d, row-major) of x_0 in closed form, when the data has
    // one (Gaussians and Gaussian mixtures): true and filled; false otherwise.
    virtual bool moments(std::vector<double>& mean, std::vector<double>& covariance) const;
    // The data as a diagonal Gaussian when it is one (closed-form KLUBs and KLs), null otherwise.
    virtual const DiagonalGaussian* diagonal_gaussian() const { return nullptr; }
    // The data as a Gaussian mixture's tables, for data that is one (GaussianMixture; EmpiricalData, its
    // rows with zero variance): what the device denoiser uploads. False otherwise (out untouched).
    virtual bool mixture(MixtureTables& out) const {
        (void)out;
        return false;
    }

    // Labelled data (classes() > 0): each x_0 has a class y with probability class_weight(y), and
    // given(y) is the law of x_0 | y (its own draws, exact log-densities p_sigma(x | y) and exact
    // denoiser). The exact denoiser() is then conditional: denoise_labelled() gives E[x_0 | x, y].
    virtual std::size_t classes() const { return 0; }
    virtual double class_weight(Label y) const;
    // The data given class y (lives as long as this Data). InputError for a label out of range.
    virtual const Data& given(Label y) const;
    // n draws of (x_0, y): the x_0 rows are sample()'s (same seed and first), labels (n) their classes.
    virtual void sample_labelled(std::size_t n, std::uint64_t seed, std::uint64_t first, std::span<double> out,
                                 std::span<Label> labels) const;
};

}  // namespace ayslab
