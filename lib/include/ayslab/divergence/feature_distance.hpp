// Distances between two sets of feature vectors (N x d, row-major), as the image literature judges
// samples: the Fréchet distance of the feature Gaussians (FID when the features are a network's) and
// the kernel distance (KID: the unbiased MMD^2 with the cubic polynomial kernel, over subsets).
// Any domain can use them on any features; docs/images.md applies them to Fashion-MNIST samples.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ayslab {

// Mean and covariance (unbiased, divisor N - 1, as numpy's cov) of N feature rows of dimension d.
struct FeatureGaussian {
    std::size_t d = 0, n = 0;
    std::vector<double> mean;        // d
    std::vector<double> covariance;  // d x d, row-major, symmetric
};
// Needs N > d (the covariance of fewer rows than dimensions is singular: FID is not defined on it);
// throws InputError saying so.
FeatureGaussian feature_gaussian(std::span<const double> features, std::size_t n, std::size_t d);

// ||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2), in float64; the square roots by symmetric
// eigen-decompositions (LAPACK dsyevd), negative eigenvalues of rounding clipped at 0. Equals the
// form with sqrtm(S1 S2) that pytorch-fid / clean-fid / torch-fidelity evaluate, since S1 S2 is
// similar to S1^1/2 S2 S1^1/2.
double frechet_distance(const FeatureGaussian& a, const FeatureGaussian& b);

struct KernelDistanceOptions {
    std::size_t subsets = 100;       // torch-fidelity's kid_subsets, clean-fid's num_subsets
    std::size_t subset_size = 1000;  // at most; min(N_a, N_b, this) rows per subset, as clean-fid
    std::uint64_t seed = 0;          // which rows each subset takes (without replacement)
    std::size_t threads = 1;
};
struct KernelDistance {
    double mean = 0.0;    // mean over subsets of the unbiased MMD^2
    double std = 0.0;     // their standard deviation (divisor = subsets, torch-fidelity's kid_std)
    double se = 0.0;      // std / sqrt(subsets - 1): the standard error if subsets were independent
    std::size_t subset_size = 0;
    std::vector<double> values;  // per subset
};
// k(x, y) = (x.y / d + 1)^3; per subset of m rows from each set:
// MMD^2_u = [sum_{i != j} k(x_i, x_j) + sum_{i != j} k(y_i, y_j)] / (m (m - 1)) - 2 sum_{i,j} k(x_i, y_j) / m^2
// (torch-fidelity's mmd2(mmd_est="unbiased") and clean-fid's kernel_distance term).
KernelDistance kernel_distance(std::span<const double> a, std::size_t na, std::span<const double> b, std::size_t nb,
                               std::size_t d, const KernelDistanceOptions& options = {});

}  // namespace ayslab
