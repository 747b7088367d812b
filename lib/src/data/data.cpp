#include "ayslab/data/data.hpp"

#include "ayslab/error.hpp"

namespace ayslab {

void Data::log_density_rows(std::span<const double> x, std::size_t n, double sigma,
                                std::span<double> out) const {
    const std::size_t d = dim();
    if (x.size() != n * d || out.size() != n) throw InputError("log_density_rows: wrong buffer sizes");
    for (std::size_t i = 0; i < n; ++i) out[i] = log_density(x.subspan(i * d, d), sigma);
}

bool Data::moments(std::vector<double>&, std::vector<double>&) const { return false; }

}  // namespace ayslab
