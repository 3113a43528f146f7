#ifndef WHOOT_CQRENCODE_SHIM_H
#define WHOOT_CQRENCODE_SHIM_H
#include <qrencode.h>
#endif
