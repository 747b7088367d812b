// ays-toy: AYS on each built-in 2-D set against EDM rho=7, log-SNR-uniform and time-uniform at 10 and
// 20 steps, by sample NLL and sliced W2 over seeds (MATH §5).
#include "ays_compare.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {
Result run(const Config& cfg, const RunContext& ctx) {
    Result r;
    DatasetOptions dopt;
    dopt.points = static_cast<std::size_t>(cfg.integer("points"));
    dopt.held_out = static_cast<std::size_t>(cfg.integer("held_out"));
    dopt.seed = cfg.seed();
    dopt.precision = parse_precision(cfg.string("precision"));
    dopt.shards = static_cast<std::size_t>(cfg.integer("data_shards"));
    dopt.threads = ctx.threads;
    for (const auto& name : cfg.strings("data")) ays_compare(make_dataset(name, dopt), cfg, ctx, r);
    return r;
}
}  // namespace

Experiment ays_toy_experiment() {
    Schema schema = {
        seed_key(),
        {"data", KeyType::string_list, "2-D data sets", {}, {}, toy_dataset_names()},
        {"points", KeyType::integer, "points of the generated sets", 10, 1e7},
        {"held_out", KeyType::integer, "held-out points for sliced W2", 10, 1e7},
    };
    for (auto& k : ays_compare_keys()) schema.push_back(k);
    return {"ays-toy",
            "AYS vs EDM rho=7 / log-SNR / time-uniform on the 2-D sets, by sample metrics (MATH §5)", schema,
            run};
}

}  // namespace ayslab::app
