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

double Data::class_weight(Label y) const {
    check_labels({&y, 1}, 1, classes());
    if (y == null_label) return 1.0;
    throw InputError("this data has no classes");  // reached only by a Data that declares classes
}

const Data& Data::given(Label y) const {
    check_labels({&y, 1}, 1, classes());
    if (y == null_label) return *this;
    throw InputError("this data has no classes");
}

void Data::sample_labelled(std::size_t, std::uint64_t, std::uint64_t, std::span<double>, std::span<Label>) const {
    throw InputError("this data has no labels");
}

}  // namespace ayslab
