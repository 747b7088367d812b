#include "ayslab/data/device_mixture.hpp"

#include <fmt/format.h>

#include "ayslab/data/empirical.hpp"
#include "ayslab/data/mixture.hpp"
#include "ayslab/error.hpp"

namespace ayslab {

MixtureTables mixture_tables(const Data& data) {
    MixtureTables t;
    if (data.mixture(t)) return t;
    throw InputError("an exact denoiser on a device needs a Gaussian mixture or a point set (ring8, mixture, "
                     "mixture-file, moons, swiss-roll, checkerboard, fashion-mnist, file)");
}

DeviceMixtureDenoiser::DeviceMixtureDenoiser(const MixtureTables& t, const std::string& device)
    : dim_(t.dim), classes_(t.classes), tables_(upload_mixture(t, device)) {}

void DeviceMixtureDenoiser::denoise(std::span<const double> x, std::size_t n, double sigma,
                                    std::span<double> out) const {
    check_batch(*this, x, n, out);
    device_mixture_denoise(tables_.get(), x, n, {&sigma, 1}, {}, out);
}

void DeviceMixtureDenoiser::denoise_rows(std::span<const double> x, std::size_t n, std::span<const double> sigmas,
                                         std::span<double> out) const {
    check_batch(*this, x, n, out);
    if (sigmas.size() != n) throw InputError(fmt::format("{} sigmas for {} rows", sigmas.size(), n));
    device_mixture_denoise(tables_.get(), x, n, sigmas, {}, out);
}

void DeviceMixtureDenoiser::denoise_labelled(std::span<const double> x, std::size_t n, double sigma,
                                             std::span<const Label> labels, std::span<double> out) const {
    check_labels(labels, n, classes_);
    check_batch(*this, x, n, out);
    device_mixture_denoise(tables_.get(), x, n, {&sigma, 1}, labels, out);
}

void DeviceMixtureDenoiser::denoise_rows_labelled(std::span<const double> x, std::size_t n,
                                                  std::span<const double> sigmas, std::span<const Label> labels,
                                                  std::span<double> out) const {
    check_labels(labels, n, classes_);
    check_batch(*this, x, n, out);
    if (sigmas.size() != n) throw InputError(fmt::format("{} sigmas for {} rows", sigmas.size(), n));
    device_mixture_denoise(tables_.get(), x, n, sigmas, labels, out);
}

}  // namespace ayslab
