# fb_configure_target(<target>): warnings (as errors unless FB_WERROR=OFF) and sanitizers.
function(fb_configure_target target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion)
  if(FB_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(FB_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# Libraries are linked into sanitizer executables too: propagate the link flag.
if(FB_SANITIZE)
  add_link_options(-fsanitize=address,undefined)
endif()
