// The exact mixture / point-set denoiser as LibTorch operations (data/device_mixture.hpp), run here on
// LibTorch's CPU device (CI has no GPU; on a GPU only the device changes): it equals the native exact
// denoiser for isotropic and diagonal mixtures and a point set, with one sigma or a sigma per row, with
// and without labels. Both are float64; they differ by summation order only (measured at most 1.2e-13
// relative to 1 + |D|; tolerance 1e-10). Catches a wrong metric a_k (variance vs precision), a missing
// log-determinant term (wrong responsibilities for unequal variances), the posterior-mean gain, per-row
// sigmas mixed up, and a label mask that keeps another class's components.
#include "ayslab/data/device_mixture.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "ayslab/data/datasets.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/error.hpp"
#include "ayslab/denoisers/network.hpp"
#include "ayslab/rng.hpp"

using namespace ayslab;

namespace {
double worst(const std::vector<double>& a, const std::vector<double>& b) {
    double w = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) w = std::max(w, std::abs(a[i] - b[i]) / (1.0 + std::abs(b[i])));
    return w;
}
}  // namespace

TEST_CASE("exact denoisers as LibTorch operations equal the native ones (ring8, a diagonal mixture, moons / sigma per call and per row / labels)") {
    if (!torch_available()) return;
    for (const char* name : {"ring8", "mixture", "moons"}) {
        const std::string data_name = name;
        CAPTURE(data_name);
        DatasetOptions o;
        o.points = 300;
        const auto ds = make_dataset(name, o);
        const Data& data = *ds.data;
        const Denoiser& native = data.denoiser();
        const DeviceMixtureDenoiser device(mixture_tables(data), "cpu");
        REQUIRE(device.classes() == data.classes());
        const std::size_t n = 257, d = data.dim();
        std::vector<double> x(n * d), sigmas(n), a(n * d), b(n * d);
        std::vector<Label> labels(n);
        data.sample_labelled(n, 5, 0, x, labels);
        fill_normal_flat(9, 1, 0, 0, a);
        for (std::size_t i = 0; i < n; ++i) {
            sigmas[i] = 0.01 * std::pow(1.05, static_cast<double>(i % 120));  // 0.01 .. 3.4
            for (std::size_t j = 0; j < d; ++j) x[i * d + j] += sigmas[i] * a[i * d + j];
        }
        for (const double sigma : {0.003, 0.2, 5.0, 80.0}) {
            CAPTURE(sigma);
            native.denoise(x, n, sigma, a);
            device.denoise(x, n, sigma, b);
            CHECK(worst(b, a) < 1e-10);
            native.denoise_labelled(x, n, sigma, labels, a);
            device.denoise_labelled(x, n, sigma, labels, b);
            CHECK(worst(b, a) < 1e-10);
        }
        native.denoise_rows(x, n, sigmas, a);
        device.denoise_rows(x, n, sigmas, b);
        CHECK(worst(b, a) < 1e-10);
        native.denoise_rows_labelled(x, n, sigmas, labels, a);
        device.denoise_rows_labelled(x, n, sigmas, labels, b);
        CHECK(worst(b, a) < 1e-10);
        // The labelled output is not the unconditional one (the mask acts): at sigma = 0.2 on the ring
        // every row moves to its own component.
        device.denoise(x, n, 0.2, a);
        device.denoise_labelled(x, n, 0.2, labels, b);
        if (std::string(name) == "ring8") CHECK(worst(a, b) > 1e-3);
    }
    // Data without an exact mixture is refused; so is a device LibTorch cannot reach (bad name).
    const auto g = DiagonalGaussian::isotropic(2, 0.0, 1.0);
    CHECK_THROWS_AS(mixture_tables(g), InputError);
    const auto ring = make_dataset("ring8", DatasetOptions{});
    CHECK_THROWS_AS(DeviceMixtureDenoiser(mixture_tables(*ring.data), "tpu"), InputError);
}
