#!/usr/bin/env bash
# Checks that the multiversioned reduction kernels use the wide vector registers: the avx512f
# clones of the float32 sum, int32 sum and float32 max combine kernels must contain zmm
# instructions, and their avx2 clones ymm instructions. Prints what it found for each.
# Usage: scripts/check-vectorized.sh BUILD_DIR   (a GCC build without FB_SANITIZE: the clones
# are not made under sanitizers or with clang)
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
lib="$1/collectives/libfb_collectives.a"
if [ ! -f "$lib" ]; then
  echo "check-vectorized: $lib not found (build the fb_collectives target first)" >&2
  exit 2
fi
command -v objdump >/dev/null || { echo "check-vectorized: objdump not found" >&2; exit 2; }

disasm=$(mktemp)
trap 'rm -f "$disasm"' EXIT
objdump -d -C --no-show-raw-insn "$lib" >"$disasm"

# label | the demangled function name, up to its parameter list
# (the loops are fb::reduce_detail's, the elements and ops core/element_ops.hpp's)
ns=fb::reduce_detail
el=fb::element
kernels=(
  "float32 sum|$ns::Elementwise<$el::Native<float> >::combine2<$el::Sum>("
  "int32 sum|$ns::Elementwise<$el::Native<int> >::combine2<$el::Sum>("
  "float32 max|$ns::Elementwise<$el::Native<float> >::combine2<$el::Max>("
)

failed=0
for entry in "${kernels[@]}"; do
  label=${entry%%|*}
  name=${entry#*|}
  for clone in avx512f:zmm avx2:ymm; do
    isa=${clone%%:*}
    reg=${clone#*:}
    # Prints: functions matched, instructions, instructions naming the register, an example.
    read -r found total wide example < <(
      awk -v name="$name" -v tail="[clone .$isa]>:" -v reg="%$reg" '
        /^[0-9a-f]+ <.*>:$/ {
          inside = index($0, name) > 0 && substr($0, length($0) - length(tail) + 1) == tail
          found += inside
          next
        }
        inside && /^ +[0-9a-f]+:\t/ {
          total++
          if (index($0, reg) > 0) {
            wide++
            sub(/^ +[0-9a-f]+:\t/, "")
            gsub(/ +/, " ")
            if (first == "") first = $0
            if (example == "" && $0 !~ /^v?mov/) example = $0  # prefer arithmetic to moves
          }
        }
        END { printf "%d %d %d %s\n", found, total, wide, (example != "" ? example : first) }
      ' "$disasm")
    if [ "$found" -eq 0 ]; then
      echo "FAIL $label combine: no $isa clone in $lib (multiversioning off: sanitizers or clang?)"
      failed=1
    elif [ "$wide" -eq 0 ]; then
      echo "FAIL $label combine, $isa clone: $total instructions, none uses $reg registers"
      failed=1
    else
      echo "ok   $label combine, $isa clone: $wide of $total instructions use $reg (e.g. $example)"
    fi
  done
done

if [ "$failed" -ne 0 ]; then
  echo "check-vectorized: some kernels are not vectorised for their target" >&2
  exit 1
fi
echo "check-vectorized: all checked kernel clones use their widest registers"
