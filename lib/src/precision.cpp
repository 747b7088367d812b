#include "ayslab/precision.hpp"

#include <fmt/format.h>

#include "ayslab/error.hpp"

namespace ayslab {

Precision parse_precision(std::string_view name) {
    if (name == "float64") return Precision::float64;
    if (name == "float32") return Precision::float32;
    throw InputError(fmt::format("precision '{}' is not one of float64, float32", name));
}

std::string precision_name(Precision p) { return p == Precision::float32 ? "float32" : "float64"; }

std::vector<std::string> precision_names() { return {"float64", "float32"}; }

}  // namespace ayslab
