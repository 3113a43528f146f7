#include <opus/opus.h>
static inline int whoot_opus_set_bitrate(OpusEncoder *e, opus_int32 v) {
    return opus_encoder_ctl(e, OPUS_SET_BITRATE(v));
}
/* The encoder's look-ahead in samples, which an Ogg Opus file declares as pre-skip. */
static inline int whoot_opus_get_lookahead(OpusEncoder *e, opus_int32 *v) {
    return opus_encoder_ctl(e, OPUS_GET_LOOKAHEAD(v));
}
