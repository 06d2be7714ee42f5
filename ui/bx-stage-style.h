/* bx-stage-style.h — how sleep stages look: colours, hypnogram rows, names. */
#pragma once

#include <gdk/gdk.h>

#include "recording/bx-hypnogram.h"

G_BEGIN_DECLS

/* Colour of a stage (or class index for non-sleep label sets). */
void bx_stage_get_colour (int stage, GdkRGBA *out);
/* Row of a stage in the hypnogram, top to bottom W, R, N1, N2, N3, N4
 * (the clinical convention, REM drawn just under wake); -1 if none. */
int bx_stage_get_row (int stage);
#define BX_STAGE_N_ROWS 6
/* Short name: "W", "N1", ..., "R", "MT", "?" — without calling into core so
 * drawing never depends on a locale. */
const char *bx_stage_short_name (int stage);

G_END_DECLS
