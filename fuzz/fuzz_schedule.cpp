// Any bytes through the schedule reader: a value or an InputError, never a crash, hang or other exception.
#include <cstdint>
#include <string>

#include "ayslab/error.hpp"
#include "ayslab/schedule/schedule_factory.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        (void)ayslab::parse_schedule_text(text, "fuzz");
    } catch (const ayslab::InputError&) {
    }
    return 0;
}
