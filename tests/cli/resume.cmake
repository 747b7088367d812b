# Runs ays to completion (A); runs it again, interrupted by SIGINT once its first checkpoint exists (so
# the test does not depend on the machine's speed), then with --resume (B); the optimised schedules of
# A and B must be identical.
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})
set(_args ays --set max_sweeps=4 --set patience=4 --set eval_seeds=2 --set eval_particles=100 --threads 1 --quiet)
string(JOIN " " _argline ${_args})
execute_process(COMMAND ${EXE} ${_args} --out ${DIR}/a.json RESULT_VARIABLE _a)
# In the background; wait (at most 120 s) for the checkpoint, then interrupt.
execute_process(COMMAND bash -c "'${EXE}' ${_argline} --out '${DIR}/b.json' & pid=$!; \
for i in $(seq 1200); do [ -e '${DIR}/b.json.checkpoint' ] && break; sleep 0.1; done; \
kill -INT $pid; wait $pid"
                RESULT_VARIABLE _i)
if(NOT _i EQUAL 130 AND NOT _i EQUAL 0)
  message(FATAL_ERROR "the interrupted run exited ${_i} (expected 130, or 0 had it finished first)")
endif()
if(_i EQUAL 130 AND NOT EXISTS ${DIR}/b.json.checkpoint)
  message(FATAL_ERROR "the interrupted run left no checkpoint")
endif()
if(_i EQUAL 130)
  # Resuming with other data is refused, naming the key, and the checkpoint is kept.
  execute_process(COMMAND ${EXE} ${_args} --set data=moons --out ${DIR}/b.json --resume
                  RESULT_VARIABLE _m ERROR_VARIABLE _merr)
  if(NOT _m EQUAL 2 OR NOT _merr MATCHES "'config/data' was \"ring8\" then, \"moons\" now" OR
     NOT EXISTS ${DIR}/b.json.checkpoint)
    message(FATAL_ERROR "resume with other data: exit ${_m}, '${_merr}'")
  endif()
endif()
execute_process(COMMAND ${EXE} ${_args} --out ${DIR}/b.json --resume RESULT_VARIABLE _b)
if(NOT _a EQUAL 0 OR NOT _b EQUAL 0)
  message(FATAL_ERROR "runs failed: ${_a} ${_b}")
endif()
file(READ ${DIR}/a.json _ja)
file(READ ${DIR}/b.json _jb)
string(JSON _sa GET "${_ja}" results schedule sigmas)
string(JSON _sb GET "${_jb}" results schedule sigmas)
if(NOT _sa STREQUAL _sb)
  message(FATAL_ERROR "resumed schedule differs:\n${_sa}\n${_sb}")
endif()
if(EXISTS ${DIR}/b.json.checkpoint)
  message(FATAL_ERROR "checkpoint not removed after a complete run")
endif()
message(STATUS "interrupted (exit ${_i}) and resumed: same schedule")
