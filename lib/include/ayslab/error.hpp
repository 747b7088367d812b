// Typed errors thrown by the library; only the CLI turns them into messages and exit codes.
#pragma once
#include <stdexcept>
#include <string>

namespace ayslab {

// The caller gave something invalid (a config value, a schedule, a file, a dimension).
struct InputError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A computation broke down (NaN/Inf produced, an optimiser failed); not the caller's fault.
struct NumericalError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace ayslab
