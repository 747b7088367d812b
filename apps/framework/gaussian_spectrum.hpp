// Diagonal Gaussian test data: d = 1 gives N(0, c^2); d > 1 a decaying spectrum lambda_k ∝ k^-p
// scaled to mean c^2 (so every d has the same average variance).
#pragma once
#include <cmath>

#include "ayslab/data/gaussian.hpp"

namespace ayslab::app {

inline DiagonalGaussian gaussian_spectrum(std::size_t d, double c, double exponent) {
    std::vector<double> lambda(d);
    double sum = 0.0;
    for (std::size_t k = 0; k < d; ++k) sum += lambda[k] = std::pow(static_cast<double>(k + 1), -exponent);
    std::vector<double> sd(d);
    for (std::size_t k = 0; k < d; ++k) sd[k] = c * std::sqrt(lambda[k] * static_cast<double>(d) / sum);
    return DiagonalGaussian(std::vector<double>(d, 0.0), sd);
}

}  // namespace ayslab::app
