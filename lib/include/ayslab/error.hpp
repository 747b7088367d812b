// Typed errors thrown by the library; only the CLI turns them into messages and exit codes.
#pragma once
#include <stdexcept>
#include <string>

namespace ayslab {

namespace detail {
// what() is a C string: a NUL inside a message (a UTF-16 file's bytes, a "\u0000" in a config value)
// would cut it there, so it is written as \x00 when the error is made.
inline std::string without_nul(std::string s) {
    for (std::size_t i = s.find('\0'); i != std::string::npos; i = s.find('\0', i + 4)) s.replace(i, 1, "\\x00");
    return s;
}
}  // namespace detail

// The caller gave something invalid (a config value, a schedule, a file, a dimension).
struct InputError : std::runtime_error {
    explicit InputError(const std::string& message) : std::runtime_error(detail::without_nul(message)) {}
    explicit InputError(const char* message) : std::runtime_error(message) {}
};

// A computation broke down (NaN/Inf produced, an optimiser failed); not the caller's fault.
struct NumericalError : std::runtime_error {
    explicit NumericalError(const std::string& message) : std::runtime_error(detail::without_nul(message)) {}
    explicit NumericalError(const char* message) : std::runtime_error(message) {}
};

}  // namespace ayslab
