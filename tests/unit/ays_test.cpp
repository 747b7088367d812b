// The AYS optimiser: on Gaussian data, run without early stopping, it reaches the schedule that
// minimises the closed-form KLUB (an independent Newton optimisation); subdivision; start checks.
#include "ayslab/optimise/ays.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ayslab/data/gaussian.hpp"
#include "ayslab/divergence/klub.hpp"
#include "ayslab/error.hpp"
#include "ayslab/optimise/exact.hpp"

using namespace ayslab;

TEST_CASE("AYS without early stopping reaches the closed-form KLUB optimum (1-D Gaussian, 5 steps, seed 3)") {
    const auto data = DiagonalGaussian::isotropic(1, 0.0, 0.5);
    const auto start = karras(5, 0.01, 20.0);
    AysOptions o;
    o.samples = 2048;
    o.validation_samples = 2048;
    o.max_sweeps = o.patience = 30;
    o.seed = 3;
    o.threads = 2;
    const auto ays = optimise_ays(data, data, start, o);
    const auto best = optimise_klub_gaussian(start, data);
    double ays_klub = 0.0;
    for (double v : klub_schedule_gaussian(ays.stages[0].schedule, data.variance())) ays_klub += v;
    CHECK(ays_klub <= best.kl * 1.02);
    for (std::size_t i = 1; i < 5; ++i)
        CHECK(std::abs(std::log(ays.stages[0].schedule[i] / best.schedule[i])) < 0.1);
}

TEST_CASE("subdivision inserts geometric midpoints / stages double / sigma_min = 0 is refused") {
    const auto s = subdivide(karras(2, 1.0, 100.0));
    CHECK(s.size() == 5);
    CHECK(s[1] == doctest::Approx(std::sqrt(s[0] * s[2])));
    const auto data = DiagonalGaussian::isotropic(1, 0.0, 0.5);
    AysOptions o;
    o.samples = o.validation_samples = 64;
    o.max_sweeps = 1;
    o.subdivisions = 2;
    const auto r = optimise_ays(data, data, karras(3, 0.01, 10.0), o);
    REQUIRE(r.stages.size() == 3);
    CHECK(r.stages[2].schedule.steps() == 12);
    CHECK_THROWS_AS(optimise_ays(data, data, Schedule({10.0, 1.0, 0.0}), o), InputError);
}

TEST_CASE("with a quality proxy, a stage keeps the schedule with the best proxy and stops when the proxy stalls") {
    const auto data = DiagonalGaussian::isotropic(2, 0.0, 0.5);
    const auto start = karras(6, 0.01, 20.0);
    AysOptions o;
    o.samples = o.validation_samples = 256;
    o.max_sweeps = 20;
    o.patience = 2;
    o.seed = 5;
    // Distance from the start schedule in log sigma: every sweep that moves a point makes it worse, so
    // the stage must keep the start itself and stop after `patience` sweeps (the KLUB keeps falling:
    // a stop rule or a choice that still read the KLUB would move and run on).
    auto distance = [&](const Schedule& s) {
        double v = 0.0;
        for (std::size_t i = 0; i < s.size(); ++i) v += std::abs(std::log(s[i] / start[i]));
        return std::vector<double>{v};
    };
    o.quality = distance;
    o.quality_name = "distance from the start";
    const auto kept = optimise_ays(data, data, start, o);
    REQUIRE(kept.stages.size() == 1);
    const auto a = kept.stages[0].schedule.sigmas();
    CHECK(std::vector<double>(a.begin(), a.end()) == std::vector<double>(start.sigmas().begin(), start.sigmas().end()));
    CHECK(kept.stages[0].stop == "quality");
    CHECK(kept.trace.size() == 1 + o.patience);
    CHECK(kept.trace.back().klub < kept.trace.front().klub);  // the KLUB improved all the same
    // The opposite proxy rewards moving: the kept schedule is the trace's best-proxy sweep, and the
    // stage's KLUB is that sweep's validation KLUB (not the best KLUB of the stage).
    o.quality = [&](const Schedule& s) { return std::vector<double>{-distance(s)[0]}; };
    o.max_sweeps = 4;
    const auto moved = optimise_ays(data, data, start, o);
    const auto best = std::min_element(moved.trace.begin(), moved.trace.end(),
                                       [](const auto& x, const auto& y) { return x.quality < y.quality; });
    CHECK(moved.stages[0].quality.value == best->quality);
    CHECK(moved.stages[0].klub.value == best->klub);
    CHECK(best->sweep > 0);
    // Without a proxy the stage reports the KLUB as its reason (or the budget).
    o.quality = nullptr;
    const auto plain = optimise_ays(data, data, start, o);
    CHECK((plain.stages[0].stop == "klub" || plain.stages[0].stop == "max_sweeps"));
}

TEST_CASE("the stop proxy replaces the kept schedule only when better by more than quality_n_se paired SE") {
    const auto data = DiagonalGaussian::isotropic(2, 0.0, 0.5);
    const auto start = karras(6, 0.01, 20.0);
    AysOptions o;
    o.samples = o.validation_samples = 256;
    o.max_sweeps = 4;
    o.patience = 4;
    o.seed = 5;
    // Per draw i: -0.01 d(s) + z_i d(s), d = the distance from the start in log sigma, z fixed with mean
    // exactly 0 and standard deviation 1 over n = 100 draws. Against the start, a moved schedule's
    // paired difference has mean -0.01 d and SE d / 10: better by 0.1 SE only — noise. With
    // quality_n_se = 2 the start is kept; with quality_n_se = 0 (the rule that compares means) the
    // first sweep replaces it. The fault caught: a rule that ignores the paired SE.
    constexpr std::size_t n = 100;
    std::vector<double> z(n);
    for (std::size_t i = 0; i < n; ++i) z[i] = (i % 2 == 0 ? 1.0 : -1.0) * std::sqrt(static_cast<double>(n - 1) / n);
    auto noisy = [&](const Schedule& s) {
        double dist = 0.0;
        for (std::size_t i = 0; i < s.size(); ++i) dist += std::abs(std::log(s[i] / start[i]));
        std::vector<double> v(n);
        for (std::size_t i = 0; i < n; ++i) v[i] = -0.01 * dist + z[i] * dist;
        return v;
    };
    o.quality = noisy;
    o.quality_n_se = 2.0;
    const auto kept = optimise_ays(data, data, start, o);
    const auto a = kept.stages[0].schedule.sigmas();
    CHECK(std::vector<double>(a.begin(), a.end()) == std::vector<double>(start.sigmas().begin(), start.sigmas().end()));
    CHECK(kept.stages[0].stop == "quality");
    o.quality_n_se = 0.0;
    const auto moved = optimise_ays(data, data, start, o);
    CHECK(moved.stages[0].schedule[2] != start[2]);
    CHECK(moved.stages[0].quality.value < 0.0);
}

TEST_CASE("an interrupted AYS run resumed from its checkpoint ends exactly where an uninterrupted one does") {
    const auto data = DiagonalGaussian::isotropic(2, 0.0, 0.5);
    AysOptions o;
    o.samples = o.validation_samples = 128;
    o.max_sweeps = 3;
    o.patience = 3;
    o.subdivisions = 1;
    o.seed = 11;
    const auto start = karras(4, 0.01, 20.0);
    const auto full = optimise_ays(data, data, start, o);
    o.checkpoint = std::filesystem::temp_directory_path() / "ayslab-test-ays.checkpoint";
    std::filesystem::remove(o.checkpoint);
    int seen = 0;
    struct Interrupt {};
    CHECK_THROWS_AS(optimise_ays(data, data, start, o,
                                 [&](const AysTraceEntry&) {
                                     if (++seen == 5) throw Interrupt{};  // after the 2nd stage started
                                 }),
                    Interrupt);
    REQUIRE(std::filesystem::exists(o.checkpoint));
    o.resume = true;
    const auto resumed = optimise_ays(data, data, start, o);
    REQUIRE(resumed.stages.size() == full.stages.size());
    for (std::size_t k = 0; k < full.stages.size(); ++k) {
        const auto a = full.stages[k].schedule.sigmas(), b = resumed.stages[k].schedule.sigmas();
        CHECK(std::vector<double>(a.begin(), a.end()) == std::vector<double>(b.begin(), b.end()));
        CHECK(full.stages[k].klub.value == resumed.stages[k].klub.value);
    }
    CHECK(resumed.trace.size() == full.trace.size());
    CHECK_FALSE(std::filesystem::exists(o.checkpoint));  // removed when done
    // A checkpoint made with other settings is refused.
    o.resume = false;
    int calls = 0;
    CHECK_THROWS_AS(optimise_ays(data, data, start, o,
                                 [&](const AysTraceEntry&) {
                                     if (++calls == 2) throw Interrupt{};
                                 }),
                    Interrupt);
    o.resume = true;
    o.seed = 12;
    CHECK_THROWS_WITH_AS(optimise_ays(data, data, start, o), doctest::Contains("different 'seed'"), InputError);
    // ... and one made for other data (the run's fingerprint) is refused naming what changed, and kept.
    o.seed = 11;
    o.fingerprint = R"({"config":{"data":"moons","points":4000}})";
    {
        AysOptions made = o;
        made.resume = false;
        made.fingerprint = R"({"config":{"data":"ring8","points":4000}})";
        std::filesystem::remove(o.checkpoint);
        int n = 0;
        CHECK_THROWS_AS(optimise_ays(data, data, start, made,
                                     [&](const AysTraceEntry&) {
                                         if (++n == 2) throw Interrupt{};
                                     }),
                        Interrupt);
    }
    CHECK_THROWS_WITH_AS(optimise_ays(data, data, start, o),
                         doctest::Contains(R"('config/data' was "ring8" then, "moons" now)"), InputError);
    CHECK(std::filesystem::exists(o.checkpoint));
    std::filesystem::remove(o.checkpoint);
}

TEST_CASE("a damaged AYS checkpoint is refused naming the field, and left where it is") {
    // The edits that crashed --resume (or were accepted silently) before fields were validated.
    const auto data = DiagonalGaussian::isotropic(2, 0.0, 0.5);
    AysOptions o;
    o.samples = o.validation_samples = 64;
    o.max_sweeps = 3;
    o.patience = 3;
    o.subdivisions = 1;
    o.seed = 3;
    const auto start = karras(4, 0.01, 20.0);
    o.checkpoint = std::filesystem::temp_directory_path() / "ayslab-test-damaged.checkpoint";
    std::filesystem::remove(o.checkpoint);
    struct Interrupt {};
    int seen = 0;
    CHECK_THROWS_AS(optimise_ays(data, data, start, o,
                                 [&](const AysTraceEntry&) {
                                     if (++seen == 3) throw Interrupt{};
                                 }),
                    Interrupt);
    REQUIRE(std::filesystem::exists(o.checkpoint));
    nlohmann::json good;
    std::ifstream(o.checkpoint) >> good;
    const std::pair<std::string, nlohmann::json> edits[] = {
        {"level", 5},       {"level", -1},     {"level", 0.5},     {"current", nlohmann::json::array()},
        {"stale", -5},      {"sweep", 1e18},   {"level_started", "yes"}, {"best_klub", {1.0, -2.0}},
        {"best", {20.0, 1.0, 2.0, 0.5, 0.01}}, {"stages", {1, 2}},
    };
    o.resume = true;
    for (const auto& edit : edits) {  // no structured binding: clang 14 cannot capture one in CAPTURE's lambda
        const auto& field = edit.first;
        const auto& value = edit.second;
        CAPTURE(field);
        CAPTURE(value.dump());
        auto doc = good;
        doc[field] = value;
        std::ofstream(o.checkpoint) << doc.dump();
        CHECK_THROWS_WITH_AS(optimise_ays(data, data, start, o), doctest::Contains(doctest::String(("'" + field + "'").c_str())), InputError);
        CHECK(std::filesystem::exists(o.checkpoint));
    }
    // The undamaged one still resumes.
    std::ofstream(o.checkpoint) << good.dump();
    CHECK_NOTHROW(optimise_ays(data, data, start, o));
    std::filesystem::remove(o.checkpoint);
}
