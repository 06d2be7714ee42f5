/* libFuzzer driver: BX_FUZZ_ENTRY names one entry of bx-fuzz-targets.h. */
#include "bx-fuzz-targets.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  return BX_FUZZ_ENTRY (data, size);
}
