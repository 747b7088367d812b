// The study's verdict (ayslab/evaluation/study.hpp): the rule on constructed paired differences, and a planted
// candidate that beats the current schedule on the draws it was chosen on but is worse in truth, which
// the held-out judge does not recommend.
#include "ayslab/evaluation/study.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

#include "ayslab/data/datasets.hpp"
#include "ayslab/streams.hpp"

using namespace ayslab;

namespace {
Moments of(std::initializer_list<double> values) {
    Moments m;
    for (const double v : values) m.add(v);
    return m;
}

// A row whose per-seed NLLs are current's plus `diff` (so its paired difference is `diff`).
StudyRow row(const std::string& name, std::initializer_list<double> current, std::initializer_list<double> diff,
             std::initializer_list<double> sw2_diff = {}) {
    StudyRow r{name, karras(4, 0.002, 80.0), SampleQuality(), of(diff), of(sw2_diff), Moments(), Moments()};
    auto c = current.begin();
    for (auto d = diff.begin(); d != diff.end(); ++d, ++c) r.quality.nll.add(*c + *d);
    return r;
}
}  // namespace

TEST_CASE("study verdict: a winner must beat the current schedule by more than n_se paired SE, the best of those wins") {
    const auto current = {1.0, 1.1, 0.9, 1.0};
    StudyRow base = row("current", current, {0, 0, 0, 0});
    // diff mean -0.1, SE of {-0.11, -0.09, -0.1, -0.1}: 0.0041 -> 24 SE better.
    const StudyRow clear = row("clear", current, {-0.11, -0.09, -0.10, -0.10});
    // mean -0.2 with SE 0.12: 1.7 SE, not enough at n_se = 2 (a rule that reads the mean alone takes it).
    const StudyRow noisy = row("noisy", current, {-0.45, 0.05, -0.35, 0.05});
    // better still and clear: the lowest mean among those that pass wins (not the first that passes).
    const StudyRow best = row("best", current, {-0.31, -0.29, -0.30, -0.30});
    // worse by many SE: a sign error (current minus candidate) would make it the winner.
    const StudyRow worse = row("worse", current, {0.51, 0.49, 0.5, 0.5});

    StudyVerdict v = decide({base, noisy, worse}, Metric::nll, 2.0);
    CHECK(v.keep);
    CHECK(v.winner == "current");
    v = decide({base, noisy, clear, worse}, Metric::nll, 2.0);
    CHECK_FALSE(v.keep);
    CHECK(v.winner == "clear");
    CHECK(v.margin == doctest::Approx(0.1).epsilon(1e-12));
    CHECK(v.margin_se == doctest::Approx(of({-0.11, -0.09, -0.10, -0.10}).se_mean()).epsilon(1e-12));
    CHECK(decide({base, clear, best}, Metric::nll, 2.0).winner == "best");
    // n_se is read: at 1 SE the noisy candidate (the lowest mean of all) passes and wins.
    CHECK(decide({base, noisy, clear}, Metric::nll, 1.0).winner == "noisy");
    // One seed has no standard error: never a winner, whatever its mean.
    CHECK(decide({base, row("one seed", {1.0}, {-5.0})}, Metric::nll, 2.0).keep);
    // The other judge (sliced W2) says the winner is worse beyond noise: flagged.
    const StudyRow split = row("split", current, {-0.11, -0.09, -0.10, -0.10}, {0.011, 0.009, 0.010, 0.010});
    CHECK(decide({base, split}, Metric::nll, 2.0).judges_disagree);
    CHECK_FALSE(decide({base, clear}, Metric::nll, 2.0).judges_disagree);
}

TEST_CASE("study verdict by FID reads the FID differences and their means, and checks sliced W2 against it") {
    // NLL differences say nothing (zero); the FID differences decide. A verdict that read the NLL under
    // Metric::fid would keep; one that ranked by the NLL means would pick the first passing row.
    const auto current = {1.0, 1.1, 0.9, 1.0};
    auto with_fid = [&](const std::string& name, std::initializer_list<double> fid, std::initializer_list<double> fid_diff,
                        std::initializer_list<double> sw2_diff) {
        StudyRow r = row(name, current, {0, 0, 0, 0}, sw2_diff);
        r.fid_vs_current = of(fid_diff);
        for (const double v : fid) r.quality.fid.add(v);
        return r;
    };
    const StudyRow base = with_fid("current", {10, 11, 9, 10}, {0, 0, 0, 0}, {0, 0, 0, 0});
    const StudyRow good = with_fid("good", {9, 10, 8, 9}, {-1.0, -1.1, -0.9, -1.0}, {0, 0, 0, 0});
    const StudyRow better = with_fid("better", {7, 8, 6, 7}, {-3.1, -2.9, -3.0, -3.0}, {0.011, 0.009, 0.010, 0.010});
    const StudyVerdict v = decide({base, good, better}, Metric::fid, 2.0);
    CHECK_FALSE(v.keep);
    CHECK(v.winner == "better");
    CHECK(v.metric == Metric::fid);
    CHECK(v.margin == doctest::Approx(3.0).epsilon(1e-12));
    CHECK(v.judges_disagree);  // sliced W2 ranks "better" worse beyond 2 SE
    CHECK(metric_name(Metric::fid) == "fid");
    // Decided by KID: the KID differences and means (FID's say the other order here).
    auto with_kid = [&](StudyRow r, std::initializer_list<double> kid, std::initializer_list<double> kid_diff) {
        r.kid_vs_current = of(kid_diff);
        for (const double k : kid) r.quality.kid.add(k);
        return r;
    };
    const StudyRow kbase = with_kid(base, {0.05, 0.05, 0.05, 0.05}, {0, 0, 0, 0});
    const StudyRow kgood = with_kid(good, {0.02, 0.02, 0.02, 0.02}, {-0.031, -0.029, -0.03, -0.03});
    const StudyRow kbetter = with_kid(better, {0.06, 0.06, 0.06, 0.06}, {0.011, 0.009, 0.01, 0.01});
    const StudyVerdict k = decide({kbase, kbetter, kgood}, Metric::kid, 2.0);
    CHECK(k.winner == "good");
    CHECK(k.metric == Metric::kid);
    CHECK(k.margin == doctest::Approx(0.03).epsilon(1e-12));
    CHECK(metric_name(Metric::kid) == "kid");
}

TEST_CASE("study: a candidate better on the draws it was chosen on but worse in truth is not recommended on held-out starts") {
    // Ring of 8 (exact denoiser), Heun with 10 steps, current EDM rho = 7. Candidates: EDM rho = 7 with
    // its interior log sigmas jittered (N(0, 0.3), std::mt19937_64 seed 1). The plant is the first one
    // that a study on 3 seeds x 16 particles at evaluation seed 11 (the "optimisation draws") recommends
    // and that 4 seeds x 4000 particles at seed 777 show worse than the current schedule by more than 3
    // paired SE. The study on held-out starts (streams::held_out_judge(11), 4 seeds x 1000 particles)
    // must keep the current schedule (judged on the draws it was chosen on, it would take the plant).
    const Dataset ds = make_dataset("ring8", {});
    const Problem problem{"ring8", ds.data.get(), &ds.data->denoiser(), &ds.held_out};
    const Schedule current = karras(10, 0.002, 80.0, 7.0);
    auto options = [](std::size_t particles, std::size_t seeds, std::uint64_t seed) {
        StudyOptions o;
        o.judge.particles = particles;
        o.judge.seeds = seeds;
        o.judge.projections = 16;
        o.judge.seed = seed;
        o.judge.threads = 2;
        o.n_se = 2.0;
        return o;
    };
    const StudyOptions chosen_on = options(16, 3, 11), truth = options(4000, 4, 777),
                       held_out = options(1000, 4, streams::held_out_judge(11));
    std::mt19937_64 rng(1);
    std::normal_distribution<double> jitter(0.0, 0.3);
    std::optional<Schedule> plant;
    for (int k = 0; k < 200 && !plant; ++k) {
        std::vector<double> s(current.sigmas().begin(), current.sigmas().end());
        for (std::size_t i = 1; i + 1 < s.size(); ++i) s[i] = std::exp(std::log(s[i]) + jitter(rng));
        std::sort(s.begin(), s.end(), std::greater<>());
        if (std::adjacent_find(s.begin(), s.end()) != s.end() || s[1] >= s[0] || s[s.size() - 2] <= s.back()) continue;
        const Schedule candidate(s);
        if (study(problem, "heun", {"current", current}, {{"plant", candidate}}, chosen_on).verdict.keep) continue;
        const StudyCell t = study(problem, "heun", {"current", current}, {{"plant", candidate}}, truth);
        if (t.rows[1].nll_vs_current.mean() > 3.0 * t.rows[1].nll_vs_current.se_mean()) plant = candidate;
    }
    REQUIRE(plant.has_value());
    const StudyCell cell = study(problem, "heun", {"current", current}, {{"plant", *plant}}, held_out);
    CHECK(cell.verdict.keep);
    CHECK(cell.verdict.winner == "current");
}

TEST_CASE("study with a screen: every candidate on the screen's one seed, the finalists the best there, judged on the "
          "judge's own starts as without a screen") {
    // Ring of 8 (exact denoiser), Euler with 8 steps, current EDM rho = 7; candidates EDM rho = 1, 3, 5,
    // 12, 30. Screen: 400 particles on one seed at streams::held_out_screen(5); judge 3 seeds x 300 at
    // streams::held_out_judge(5).
    const Dataset ds = make_dataset("ring8", {});
    const Problem problem{"ring8", ds.data.get(), &ds.data->denoiser(), &ds.held_out};
    const NamedSchedule current{"current", karras(8, 0.002, 80.0, 7.0)};
    std::vector<NamedSchedule> candidates;
    for (const double rho : {1.0, 3.0, 5.0, 12.0, 30.0})
        candidates.push_back({fmt::format("rho{}", rho), karras(8, 0.002, 80.0, rho)});
    StudyOptions o;
    o.judge.particles = 300;
    o.judge.seeds = 3;
    o.judge.projections = 16;
    o.judge.seed = streams::held_out_judge(5);
    o.judge.threads = 2;
    o.screen_particles = 400;
    o.finalists = 2;
    o.screen_seed = streams::held_out_screen(5);
    const StudyCell cell = study(problem, "euler", current, candidates, o);
    REQUIRE(cell.screened.size() == candidates.size());
    // The screen's values are each candidate's metric on one seed of 400 starts at the screen's seed.
    StudyOptions one = o;
    one.screen_particles = 0;
    one.judge.particles = 400;
    one.judge.seeds = 1;
    one.judge.seed = o.screen_seed;
    const StudyCell alone = study(problem, "euler", current, candidates, one);
    std::vector<double> finalist_values, other_values;
    std::vector<NamedSchedule> finalists;
    for (std::size_t j = 0; j < candidates.size(); ++j) {
        CAPTURE(j);
        CHECK(cell.screened[j].name == candidates[j].name);
        CHECK(cell.screened[j].value == alone.rows[j + 1].quality.nll.mean());
        (cell.screened[j].finalist ? finalist_values : other_values).push_back(cell.screened[j].value);
        if (cell.screened[j].finalist) finalists.push_back(candidates[j]);
    }
    // Exactly `finalists` go on, and they are the lowest (a screen that kept the first, or the worst, fails).
    REQUIRE(finalist_values.size() == 2);
    CHECK(*std::max_element(finalist_values.begin(), finalist_values.end()) <
          *std::min_element(other_values.begin(), other_values.end()));
    // The full judge: current and the finalists in the given order, on the judge's starts: the same values
    // as a study of those alone without a screen.
    REQUIRE(cell.rows.size() == 3);
    StudyOptions plain = o;
    plain.screen_particles = 0;
    const StudyCell unscreened = study(problem, "euler", current, finalists, plain);
    for (std::size_t j = 0; j < 3; ++j) {
        CHECK(cell.rows[j].name == unscreened.rows[j].name);
        CHECK(cell.rows[j].quality.nll_per_seed == unscreened.rows[j].quality.nll_per_seed);
    }
    CHECK(cell.verdict.winner == unscreened.verdict.winner);
    // No screen when the candidates are no more than the finalists.
    o.finalists = 5;
    CHECK(study(problem, "euler", current, candidates, o).screened.empty());
}
