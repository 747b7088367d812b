// EDM's preconditioning (Karras et al. 2022, NVlabs/edm EDMPrecond; MATH §8), written once in C++:
//     D(x; sigma) = c_skip x + c_out F(c_in x, c_noise),
//     c_skip = sd^2 / (sigma^2 + sd^2), c_out = sigma sd / sqrt(sigma^2 + sd^2),
//     c_in = 1 / sqrt(sigma^2 + sd^2), c_noise = ln(sigma) / 4,
// and EDM's loss weight lambda(sigma) = 1 / c_out^2 = (sigma^2 + sd^2) / (sigma sd)^2, which makes the
// network's own target F unit-variance. Used by NetworkDenoiser (a model file with parametrisation=edm)
// and the EDM loss; the networks trained here carry the same formulas as TorchScript
// (lib/src/torch/network.cpp, edm_preamble: the one TorchScript copy, shared by the MLP and the U-Net;
// tests/unit/network_test.cpp checks it against this one).
#pragma once
#include <cmath>

namespace ayslab {

struct EdmPreconditioning {
    double c_in, c_skip, c_out, c_noise;
};

inline EdmPreconditioning edm_preconditioning(double sigma, double sigma_data) {
    const double sd = sigma_data, r = std::sqrt(sigma * sigma + sd * sd);
    return {1.0 / r, sd * sd / (r * r), sigma * sd / r, 0.25 * std::log(sigma)};
}

// lambda(sigma) = 1 / c_out^2, in the form that keeps the loss's pinned values.
inline double edm_loss_weight(double sigma, double sigma_data) {
    const double sd2 = sigma_data * sigma_data;
    return (sigma * sigma + sd2) / (sigma * sigma * sd2);
}

}  // namespace ayslab
