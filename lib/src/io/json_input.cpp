#include "ayslab/io/json_input.hpp"

#include <fmt/format.h>

#include "ayslab/error.hpp"

namespace ayslab {

namespace {
template <class Input>
nlohmann::json parse_bounded(Input&& input, const std::string& where) {
    // The callback sees every value's depth as the parser opens it; stopping there keeps the deep part
    // from ever being built.
    const nlohmann::json::parser_callback_t bound = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        if (depth > max_json_depth)
            throw InputError(fmt::format("{}: JSON nested deeper than {} levels", where, max_json_depth));
        return true;
    };
    return nlohmann::json::parse(std::forward<Input>(input), bound, /*allow_exceptions=*/false);
}
}  // namespace

nlohmann::json parse_json_input(const std::string& text, const std::string& where) {
    return parse_bounded(text, where);
}

nlohmann::json parse_json_input(std::istream& in, const std::string& where) { return parse_bounded(in, where); }

}  // namespace ayslab
