// Config validation: every violation names the key; defaults cover every schema key.
#include "config.hpp"

#include <doctest/doctest.h>

#include "ayslab/error.hpp"
#include "registry.hpp"

using namespace ayslab;
using namespace ayslab::app;

namespace {
const Schema schema = {
    {"seed", KeyType::integer, "", 0, 1e9},
    {"c", KeyType::number, "", 0.0, 10.0},
    {"steps", KeyType::integer_list, "", 1, 100},
    {"solver", KeyType::string, "", {}, {}, {"euler", "heun"}},
};
const nlohmann::json defaults = {{"seed", 0}, {"c", 0.5}, {"steps", {5, 10}}, {"solver", "euler"}};
}  // namespace

TEST_CASE("overrides replace defaults and integral floats are accepted for integers") {
    const auto cfg = make_config(schema, defaults, {{"c", 2}, {"seed", 3.0}}, "test");
    CHECK(cfg.number("c") == 2.0);
    CHECK(cfg.integer("seed") == 3);
    CHECK(cfg.integers("steps") == std::vector<std::int64_t>{5, 10});
}

TEST_CASE("each violation is an input error naming the key") {
    CHECK_THROWS_WITH_AS(make_config(schema, defaults, {{"cc", 1}}, "f.json"),
                         doctest::Contains("f.json: unknown key 'cc'"), InputError);
    CHECK_THROWS_WITH_AS(make_config(schema, defaults, {{"c", "x"}}, "t"),
                         doctest::Contains("key 'c' must be a number"), InputError);
    CHECK_THROWS_WITH_AS(make_config(schema, defaults, {{"c", 11}}, "t"),
                         doctest::Contains("above its maximum"), InputError);
    CHECK_THROWS_WITH_AS(make_config(schema, defaults, {{"seed", 1.5}}, "t"),
                         doctest::Contains("must be an integer"), InputError);
    CHECK_THROWS_WITH_AS(make_config(schema, defaults, {{"steps", {5, 0}}}, "t"),
                         doctest::Contains("below its minimum"), InputError);
    CHECK_THROWS_WITH_AS(make_config(schema, defaults, {{"steps", nlohmann::json::array()}}, "t"),
                         doctest::Contains("non-empty"), InputError);
    CHECK_THROWS_WITH_AS(make_config(schema, defaults, {{"solver", "rk4"}}, "t"),
                         doctest::Contains("not one of"), InputError);
    nlohmann::json partial = defaults;
    partial.erase("c");
    CHECK_THROWS_WITH_AS(make_config(schema, partial, nlohmann::json::object(), "t"),
                         doctest::Contains("missing required key 'c'"), InputError);
}

TEST_CASE("--set values: JSON, bare strings and comma lists") {
    CHECK(parse_set_value(schema[1], "0.25") == nlohmann::json(0.25));
    CHECK(parse_set_value(schema[2], "5,10,20") == nlohmann::json({5, 10, 20}));
    CHECK(parse_set_value(schema[2], "[5, 10]") == nlohmann::json({5, 10}));
    CHECK(parse_set_value(schema[2], "7") == nlohmann::json({7}));
    CHECK(parse_set_value(schema[3], "heun") == nlohmann::json("heun"));
}

TEST_CASE("every experiment's embedded default config validates against its schema") {
    for (const auto& e : experiments()) {
        CAPTURE(e.name);
        CHECK_NOTHROW(make_config(e.schema, default_config(e.name), nlohmann::json::object(), "defaults"));
    }
}
