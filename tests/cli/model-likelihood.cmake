# likelihood with a user's model file (the exact denoiser of the `gaussian` data set as EDM's F, its
# divergence by autograd) gives the data's exact log-density: the probability-flow ODE at rtol 1e-6
# is within 1e-5 nats of it (measured: 1.3e-6 with the model, 1.6e-6 with the exact denoiser). A wrong
# divergence factor (c_in missing, c_out's sign) is off by > 0.1 nats.
execute_process(COMMAND ${EXE} likelihood --set datasets=gaussian --set denoiser=model --set model=${MODEL}
                        --set parametrisation=edm --set model_time=sigma --set rtol=1e-6 --set atol=1e-6
                        --set evaluated_points=2 --set probes=2 --set sigma_min=0.02 --out ${DIR}/likelihood.json
                        --quiet
                RESULT_VARIABLE _code ERROR_VARIABLE _err)
if(NOT _code EQUAL 0)
  message(FATAL_ERROR "likelihood with a model exited ${_code}: ${_err}")
endif()
execute_process(COMMAND /usr/bin/python3 -c "
import json, sys
rows = json.load(open('${DIR}/likelihood.json'))['results']['gaussian']
worst = max(abs(r['ode_log_p'] - r['exact_log_p']) for r in rows)
print(f'largest |log p (model ODE) - log p (exact density)|: {worst:.3g} nats over {len(rows)} points')
sys.exit(0 if worst < 1e-5 else 1)"
                RESULT_VARIABLE _cmp OUTPUT_VARIABLE _out)
message(STATUS "${_out}")
if(NOT _cmp EQUAL 0)
  message(FATAL_ERROR "the model's log-likelihood is not the exact one: ${_out}")
endif()
