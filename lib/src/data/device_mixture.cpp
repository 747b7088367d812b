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

void DeviceMixtureDenoiser::evaluate(const Batch& b, std::span<double> out) const {
    check_labels(b.labels, b.n, classes_);
    check_rows(*this, b, out, dim_);
    device_mixture_denoise(tables_.get(), b.x, b.n, b.one_sigma() ? std::span<const double>(&b.sigma, 1) : b.sigmas,
                           b.labels, out);
}

}  // namespace ayslab
