// A run's fingerprint (its whole config and hashes of the files it names, as JSON text) is stored in
// every checkpoint; a resume whose fingerprint differs is refused, naming the first key that differs.
#pragma once
#include <string>

namespace ayslab {

// The first leaf where two fingerprints differ, e.g. "'config/data' was \"ring8\" then, \"moons\" now";
// empty when they are equal.
std::string fingerprint_difference(const std::string& then, const std::string& now);

}  // namespace ayslab
