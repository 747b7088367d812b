// The arithmetic of denoiser evaluations (config key "precision"). float32 runs the mixture and
// empirical denoisers' distances, softmax and GEMMs in single precision (twice the SIMD width, half
// the memory traffic); the solver state, the schedules and every metric and log-density stay float64.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace ayslab {

enum class Precision { float64, float32 };

Precision parse_precision(std::string_view name);  // "float64" | "float32"; throws InputError
std::string precision_name(Precision p);
std::vector<std::string> precision_names();

}  // namespace ayslab
