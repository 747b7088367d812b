// ays-toy: AYS on each built-in 2-D set against EDM rho=7, log-SNR-uniform and time-uniform at 10 and
// 20 steps, by sample NLL and sliced W2 over seeds (MATH §5).
#include "ays_compare.hpp"
#include "keys.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {
Result run(const Config& cfg, const RunContext& ctx) {
    Result r;
    const DatasetOptions dopt = read_dataset_options(cfg, ctx);
    for (const auto& name : cfg.strings("data")) ays_compare(make_dataset(name, dopt), cfg, ctx, r);
    return r;
}
}  // namespace

Experiment ays_toy_experiment() {
    KeySpec data = shared_list_key("data");
    data.description = "2-D data sets";
    data.choices = toy_dataset_names();
    const Schema schema = Schema{seed_key(), data} + shared_keys({"points", "held_out"}) + ays_compare_keys();
    return {"ays-toy",
            "AYS vs EDM rho=7 / log-SNR / time-uniform on the 2-D sets, by sample metrics (MATH §5)", schema,
            run};
}

}  // namespace ayslab::app
