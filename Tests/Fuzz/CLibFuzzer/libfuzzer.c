// The declaration in include/libfuzzer.h is all this target provides; SwiftPM wants one
// source file per C target.
#include "libfuzzer.h"
