# The git revision is read at configure time; "unknown" outside a git checkout.
execute_process(
  COMMAND git rev-parse --short=12 HEAD
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
  OUTPUT_VARIABLE AYSLAB_GIT_REVISION
  OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_QUIET
  RESULT_VARIABLE _git_result)
if(NOT _git_result EQUAL 0 OR AYSLAB_GIT_REVISION STREQUAL "")
  set(AYSLAB_GIT_REVISION "unknown")
endif()
