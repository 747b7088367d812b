// A run's fingerprint (its whole config and hashes of the files it names, as JSON text) is stored in
// every checkpoint; a resume whose fingerprint differs is refused, naming the first key that differs.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace ayslab {

// FNV-1a, 64 bits: the hash of the files and arrays a run fingerprint names and of a feature network's
// parameters. mix() folds more bytes in; value() is the hash so far.
class Fnv1a {
  public:
    void mix(const void* data, std::size_t bytes) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < bytes; ++i) {
            h_ ^= p[i];
            h_ *= 0x100000001b3ULL;
        }
    }
    std::uint64_t value() const { return h_; }

  private:
    std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

// The first leaf where two fingerprints differ, e.g. "'config/data' was \"ring8\" then, \"moons\" now";
// empty when they are equal.
std::string fingerprint_difference(const std::string& then, const std::string& now);

}  // namespace ayslab
