// The documentation's tables against the code they describe: docs/samplers.md's sampler table lists
// exactly the registry's solvers, each with its kind (ODE / SDE) and NFE per step.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>
#include <string>

#include "ayslab/solver/registry.hpp"

using namespace ayslab;

TEST_CASE("docs/samplers.md's sampler table and the solver registry agree (names, ODE/SDE, NFE per step)") {
    std::ifstream in(std::string(AYSLAB_DOCS_DIR) + "/samplers.md");
    REQUIRE(in);
    // The first table: rows "| `a`, `b` | ODE | 2 | ..." until the first blank line after it.
    std::map<std::string, std::pair<std::string, std::string>> documented;  // name -> (kind, NFE cell)
    bool inside = false;
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("| name |")) {
            inside = true;
            continue;
        }
        if (!inside || line.starts_with("|---")) continue;
        if (!line.starts_with("|")) break;
        const auto a = line.find('|', 1), b = line.find('|', a + 1), c = line.find('|', b + 1);
        REQUIRE(c != std::string::npos);
        const std::string names = line.substr(1, a - 1), kind = line.substr(a + 2, b - a - 3),
                          nfe = line.substr(b + 2, c - b - 3);
        // Every `quoted` word in the first cell is a sampler name (no std::regex: GCC 12's sanitizer
        // build warns inside <regex>).
        for (std::size_t open = names.find('`'); open != std::string::npos;) {
            const auto close = names.find('`', open + 1);
            REQUIRE(close != std::string::npos);
            documented[names.substr(open + 1, close - open - 1)] = {kind, nfe};
            open = names.find('`', close + 1);
        }
    }
    std::set<std::string> registry;
    for (const auto& e : solver_registry()) {
        const std::string name(e.traits.name);
        registry.insert(name);
        CAPTURE(name);
        REQUIRE(documented.count(name) == 1);
        const auto& [kind, nfe] = documented.at(name);
        CHECK(kind == (e.traits.stochastic ? "SDE" : "ODE"));
        // The NFE cell starts with the registry's count ("adaptive" for 0); "1 + `corrector_steps`" is
        // pc-langevin's, read at the default options.
        if (nfe.starts_with("1 + `corrector_steps`")) {
            CHECK(e.traits.nfe_per_step == 1 + SolverOptions{}.corrector_steps);
        } else {
            const std::string expected =
                e.traits.nfe_per_step == 0 ? "adaptive" : std::to_string(e.traits.nfe_per_step);
            CHECK(nfe.starts_with(expected));
        }
    }
    for (const auto& entry : documented) {  // no structured binding: clang 14 cannot capture one in CAPTURE's lambda
        const auto& name = entry.first;
        CAPTURE(name);
        CHECK(registry.count(name) == 1);  // no documented sampler that does not exist
    }
}
