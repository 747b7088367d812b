// Any bytes through the npy reader: a value or an InputError, never a crash, hang or other exception.
#include <cstdint>
#include <string>

#include "ayslab/data/io.hpp"
#include "ayslab/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        (void)ayslab::parse_npy(text, "fuzz");
    } catch (const ayslab::InputError&) {
    }
    return 0;
}
