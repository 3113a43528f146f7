#include <opus/opus.h>
static inline int whoot_opus_set_bitrate(OpusEncoder *e, opus_int32 v) {
    return opus_encoder_ctl(e, OPUS_SET_BITRATE(v));
}
