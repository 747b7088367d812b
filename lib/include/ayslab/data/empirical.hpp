// Empirical data {y_j} with the ideal denoiser (MATH.md §2): r_j ∝ exp(-|x - y_j|^2 / (2 sigma^2)),
// D = sum_j r_j y_j, and the exact log p_sigma of the mixture of N Gaussians N(y_j, sigma^2 I).
// Batched as two GEMM-shaped products (OpenBLAS) with an online log-sum-exp over blocks of data, so
// memory stays bounded for any N and nothing over- or underflows at tiny or huge sigma.
#pragma once
#include <memory>
#include <vector>

#include "ayslab/data/data.hpp"
#include "ayslab/data/part_classes.hpp"
#include "ayslab/precision.hpp"

namespace ayslab {

// The data row drawn for particle `index` from a set of `total` points (uniform, with replacement):
// the one rule EmpiricalData and ShardedEmpiricalData share, so both draw the same rows.
std::size_t empirical_draw_row(std::uint64_t seed, std::uint64_t index, std::size_t total);
// log of 1/N (2 pi sigma^2)^(-d/2): log p_sigma(x) = this + log sum_j exp(-|x - y_j|^2 / 2 sigma^2).
double empirical_log_normaliser(std::size_t total, std::size_t dim, double sigma);
// log p_sigma of n rows (d values each) of a point set of `total` rows, from its kernel
// log_sum(out) = log sum_j exp(-|x_i - y_j|^2 / (2 sigma^2)) per row; InputError on bad sizes or sigma <= 0.
template <class LogSum>
void empirical_log_density_rows(std::span<const double> x, std::size_t n, std::size_t dim, double sigma,
                                std::size_t total, std::span<double> out, LogSum&& log_sum) {
    if (x.size() != n * dim || out.size() != n) throw InputError("log_density_rows: wrong buffer sizes");
    if (!(sigma > 0.0)) throw InputError("the empirical log-density needs sigma > 0");
    log_sum(out.data());
    const double norm = empirical_log_normaliser(total, dim, sigma);
    for (double& v : out) v += norm;
}

// Data and its own exact (ideal) denoiser, with the exact divergence.
class EmpiricalData final : public PartClasses<EmpiricalData>, public NearestPoint {
  public:
    // points: N x dim, row-major; N >= 1, all finite.
    EmpiricalData(std::vector<double> points, std::size_t dim);

    std::size_t dim() const override { return dim_; }
    const Denoiser& denoiser() const override { return *this; }
    const NearestPoint* nearest_points() const override { return this; }
    std::size_t size() const { return norms_.size(); }
    const std::vector<double>& points() const { return points_; }
    const std::vector<Label>& row_classes() const { return part_classes(); }  // empty: no classes
    bool mixture(MixtureTables& out) const override {  // the rows, equally weighted, with zero variance
        out = {dim(), std::vector<double>(size(), 1.0 / static_cast<double>(size())), points(),
               std::vector<double>(size() * dim(), 0.0), row_classes(), classes()};
        return true;
    }

    double log_density(std::span<const double> x, double sigma) const override { return log_density_of_row(x, sigma); }
    void log_density_rows(std::span<const double> x, std::size_t n, double sigma,
                          std::span<double> out) const override;
    double data_variance() const override { return variance_; }
    // Draws data points uniformly (with replacement), addressed by (seed, first + i).
    void sample(std::size_t n, std::uint64_t seed, std::uint64_t first, std::span<double> out) const override;

    // Classes: row j belongs to class row_class[j] (size() entries; classes 0..C-1 each own a row).
    // The data given y is the rows of y (the ideal denoiser over them, their exact density); class
    // weights are the rows' shares. InputError on a bad list.
    // (The class members are PartClasses', data/part_classes.hpp.)
    void set_classes(const std::vector<Label>& row_class);
    // Draws row `index` of a sample() call into `row`; returns the data row it copied.
    std::size_t draw_part(std::uint64_t seed, std::uint64_t index, std::span<double> row) const;

    // float32: denoise() and denoise_rows() compute in single precision (log densities, nearest
    // distances and the Jacobian trace stay float64). Keeps a float copy of the points.
    void set_precision(Precision p);
    Precision precision() const { return precision_; }

    // Squared distance from each row of x to its nearest data point (n values).
    void nearest_squared_distance(std::span<const double> x, std::size_t n,
                                  std::span<double> out) const override;
    bool nearest_rows(std::span<const double> x, std::size_t n, std::span<double> out) const override;

    // D (if out is not null) and log sum_j exp(-|x - y_j|^2 / (2 sigma_i^2)) (log_sum, n values) for n
    // rows, sigma_i = sigmas[i * sigma_stride]; in float64 when full_precision, else in precision().
    void evaluate_rows(const double* x, std::size_t n, const double* sigmas, std::size_t sigma_stride, double* out,
                  double* log_sum, bool full_precision) const;

  private:
    friend class PartClasses<EmpiricalData>;
    // The exact denoiser at one sigma, at a sigma per row (unlabelled batches), and its exact trace.
    void denoise_at(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const;
    void denoise_rows_at(const Batch& b, std::span<double> out) const;
    void trace_at(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const;
    // One pass over the data for a block of rows: fills out (n x d, if not empty) with D and
    // log_sum (n) with log sum_j exp(-|x - y_j|^2 / (2 sigma_i^2)).
    template <class T>
    void pass(const double* x, std::size_t n, const double* sigmas, double* out, double* log_sum) const;

    std::size_t dim_;
    std::vector<double> points_, norms_;  // |y_j|^2
    std::vector<float> points_f_, norms_f_;
    Precision precision_ = Precision::float64;
    double variance_ = 0.0;
};

}  // namespace ayslab
