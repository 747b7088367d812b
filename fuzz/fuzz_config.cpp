// Any bytes as a config: parsed as JSON and validated against every experiment's schema. Bad input
// must end in InputError (or be accepted), never a crash, hang or other exception.
#include <cstdint>
#include <string>

#include "ayslab/error.hpp"
#include "ayslab/io/json_input.hpp"
#include "registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    nlohmann::json doc;
    try {  // the reader run-experiment uses for config files (depth bounded)
        doc = ayslab::parse_json_input(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    } catch (const ayslab::InputError&) {
        return 0;
    }
    if (doc.is_discarded()) return 0;
    for (const auto& e : ayslab::app::experiments()) {
        try {
            const auto cfg =
                ayslab::app::make_config(e.schema, ayslab::app::default_config(e.name), doc, "fuzz");
            (void)cfg;
        } catch (const ayslab::InputError&) {
        }
    }
    return 0;
}
