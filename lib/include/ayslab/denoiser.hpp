// The one interface every data distribution implements (MATH.md §2): the exact denoiser
// D(x; sigma) = E[x_0 | x_0 + sigma eps = x], batched over N x d row-major storage, plus the exact
// log-density of p_sigma and sampling of x_0. Score and eps-prediction derive from D (Tweedie).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace ayslab {

class Denoiser {
  public:
    virtual ~Denoiser() = default;
    virtual std::size_t dim() const = 0;
    // x, out: n rows of dim() values; out[i] = D(x[i]; sigma). x and out must not overlap.
    virtual void denoise(std::span<const double> x, std::size_t n, double sigma,
                         std::span<double> out) const = 0;
    // Rows with their own sigma: out[i] = D(x[i]; sigmas[i]). The default calls denoise() per row.
    virtual void denoise_rows(std::span<const double> x, std::size_t n, std::span<const double> sigmas,
                              std::span<double> out) const;
    // tr dD/dx for n rows (= tr Cov[x_0 | x] / sigma^2, Tweedie's second identity): the exact
    // divergence of the probability-flow drift. The default uses central differences of D.
    virtual void jacobian_trace(std::span<const double> x, std::size_t n, double sigma,
                                std::span<double> out) const;
    // log p_sigma(x) for one point, p_sigma the law of x_0 + sigma eps (sigma = 0: the data density).
    virtual double log_density(std::span<const double> x, double sigma) const = 0;
    // log p_sigma for n rows; the default calls log_density() per row.
    virtual void log_density_rows(std::span<const double> x, std::size_t n, double sigma,
                                  std::span<double> out) const;
    // Per-coordinate data variance averaged over coordinates.
    virtual double data_variance() const = 0;
    // True for a denoiser spread over MPI ranks (ShardedEmpiricalData): every rank must make the same
    // calls in the same order, so loops over it run their chunks in order on the calling thread.
    virtual bool collective() const { return false; }
    // n draws of x_0 into out (n rows); row i depends only on (seed, first + i).
    virtual void sample(std::size_t n, std::uint64_t seed, std::uint64_t first,
                        std::span<double> out) const = 0;
};

// Tweedie (MATH §2), with s = 1: score = (D - x) / sigma^2.
inline double score_from_denoised(double x, double denoised, double sigma) {
    return (denoised - x) / (sigma * sigma);
}
// eps-prediction: eps_hat = E[eps | x] = (x - D) / sigma = -sigma * score.
inline double eps_from_denoised(double x, double denoised, double sigma) { return (x - denoised) / sigma; }

// Checks a batch shape; throws InputError on mismatch.
void check_batch(const Denoiser& denoiser, std::span<const double> x, std::size_t n,
                 std::span<const double> out);

}  // namespace ayslab
