# ays with a user's model file gives, to float32 accuracy, the schedule the data's exact denoiser gets:
# the fixtures are the exact denoiser of the `gaussian` data set in three conventions (tests/fixtures).
# Same seed, same draws, the KLUB as the stop (a proxy may keep the start schedule for both, which
# would compare nothing); the schedules compared by Debian's python3.
# Tolerances: the KLUB is flat in the large-sigma knots, so float32 rounding in D (relative ~1e-7)
# moves their argmin by ~1e-4 relative (measured: denoiser 7.7e-5, edm 9.0e-5, v 1.6e-4, x0 2.3e-4;
# 30 golden steps instead of 20 give the same, so it is not the line search's resolution). Where D is a
# difference of two large terms (eps: D = x~ - sigma eps; score: D = (x_t + s^2 sigma^2 score)/s) float32
# loses about log10(sigma) more digits at sigma = 20: measured 7.5e-4 (eps) and 8.0e-4 (score). A wrong
# convention is 40-500x further: score fixture read as subvp 0.10, edm with sigma_data 0.6 0.035.
set(_common --set data=gaussian --set sigma_max=80 --set sigma_min=0.02 --set steps=10 --set samples=256
            --set validation_samples=1024 --set max_sweeps=3 --set eval_particles=200 --set eval_seeds=2
            --set samplers=euler --set stop_on=klub --quiet)
set(_runs "exact|exact|denoiser|edm|sigma|2e-4"
          "denoiser-sigma|model|denoiser|edm|sigma|2e-4"
          "eps-ddpm|model|eps|ddpm-linear|t|2e-3"
          "score-vp|model|score|vp|t|2e-3")
set(_compare "")
foreach(_run IN LISTS _runs)
  string(REPLACE "|" ";" _f "${_run}")
  list(GET _f 0 _name)
  list(GET _f 1 _den)
  list(GET _f 2 _par)
  list(GET _f 3 _proc)
  list(GET _f 4 _time)
  list(GET _f 5 _tol)
  execute_process(COMMAND ${EXE} ays ${_common} --set denoiser=${_den} --set model=${FIXTURES}/${_name}.pt
                          --set parametrisation=${_par} --set model_process=${_proc} --set model_time=${_time}
                          --out ${DIR}/${_name}.json
                  RESULT_VARIABLE _code ERROR_VARIABLE _err)
  if(NOT _code EQUAL 0)
    message(FATAL_ERROR "ays with ${_name} exited ${_code}: ${_err}")
  endif()
  if(NOT _name STREQUAL "exact")
    string(APPEND _compare "('${_name}', ${_tol}),")
  endif()
endforeach()
execute_process(COMMAND /usr/bin/python3 -c "
import json, sys
def sig(n): return json.load(open('${DIR}/' + n + '.json'))['results']['schedule']['sigmas']
a = sig('exact'); ok = True
for name, tol in [${_compare}]:
    b = sig(name)
    worst = max(abs(x - y) / x for x, y in zip(a, b)) if len(a) == len(b) else float('inf')
    print(f'{name}: largest relative difference of the AYS sigmas from the exact denoiser\\'s: {worst:.3g} (tolerance {tol})')
    ok = ok and worst < tol
sys.exit(0 if ok else 1)"
                RESULT_VARIABLE _cmp OUTPUT_VARIABLE _out)
message(STATUS "${_out}")
if(NOT _cmp EQUAL 0)
  message(FATAL_ERROR "model and exact AYS schedules differ: ${_out}")
endif()
