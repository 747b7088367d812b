// One regression case per experiment, at a small budget: every check passes, the key numbers match
// the stored values in cases.json within each entry's stated tolerance, and a second run with a
// different thread count gives the same document bit for bit (all but the "run" member).
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>

#include "registry.hpp"

using namespace ayslab::app;

namespace {
nlohmann::json load_cases() {
    std::ifstream in(AYSLAB_REGRESSION_DIR "/cases.json");
    REQUIRE(in.good());
    return nlohmann::json::parse(in);
}

nlohmann::json run_case(const nlohmann::json& c, std::size_t threads) {
    const auto& e = find_experiment(c.at("experiment").get<std::string>());
    const auto cfg = make_config(e.schema, default_config(e.name), c.at("overrides"), "cases.json");
    auto doc = run_experiment(e, cfg, {threads, false});
    doc.erase("run");
    return doc;
}
}  // namespace

TEST_CASE("regression cases") {
    // AYSLAB_REGRESSION_CASE (CTest sets it: one entry per case) runs that case only; it must exist.
    const char* only = std::getenv("AYSLAB_REGRESSION_CASE");
    std::size_t ran = 0;
    for (const auto& c : load_cases()) {
        const auto name = c.at("experiment").get<std::string>();
        if (only != nullptr && name != only) continue;
        ++ran;
        SUBCASE(name.c_str()) {
            const auto doc = run_case(c, 1);
            for (const auto& check : doc.at("checks")) {
                INFO(check.dump());
                CHECK(check.at("passed").get<bool>());
            }
            CHECK(doc.at("passed").get<bool>());
            for (const auto& e : c.at("expect")) {
                const nlohmann::json::json_pointer ptr(e.at("pointer").get<std::string>());
                INFO(e.at("pointer").get<std::string>());
                REQUIRE(doc.contains(ptr));
                const double got = doc.at(ptr).get<double>(), want = e.at("value").get<double>();
                const double tol = e.at("relative_tolerance").get<double>();
                CHECK(std::abs(got - want) <= tol * std::abs(want));
            }
            CHECK(run_case(c, 2) == doc);
        }
    }
    INFO("AYSLAB_REGRESSION_CASE = " << (only ? only : "(all)"));
    CHECK(ran > 0);
}
