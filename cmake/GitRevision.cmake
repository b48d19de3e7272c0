# FB_GIT_REVISION: the commit the build was made from ("unknown" outside a git checkout),
# with "-dirty" when the work tree had uncommitted changes at configure time.
execute_process(
  COMMAND git -C ${PROJECT_SOURCE_DIR} describe --always --dirty --abbrev=12
  OUTPUT_VARIABLE FB_GIT_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
  RESULT_VARIABLE fb_git_result)
if(NOT fb_git_result EQUAL 0 OR FB_GIT_REVISION STREQUAL "")
  set(FB_GIT_REVISION "unknown")
endif()
