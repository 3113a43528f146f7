#ifndef WHOOT_LIBFUZZER_H
#define WHOOT_LIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry for programs that keep their own main (LLVM 12 and later). Defined
/// only when the program is linked with -sanitize=fuzzer; reference it only then.
int LLVMFuzzerRunDriver(int *argc, char ***argv,
                        int (*callback)(const uint8_t *data, size_t size));

#endif
