/* bx-stage-style.c — stage colours and hypnogram rows. */
#include "bx-stage-style.h"

void
bx_stage_get_colour (int stage, GdkRGBA *out)
{
  /* GNOME palette; wake warm, deeper sleep darker blue, REM red as on paper hypnograms. */
  static const char *colours[] = {
    "#e5a50a",  /* W */
    "#62a0ea",  /* N1 */
    "#1c71d8",  /* N2 */
    "#1a5fb4",  /* N3 */
    "#0d3d7a",  /* N4 */
    "#e01b24",  /* R */
    "#9141ac",  /* MT */
  };

  if (stage >= 0 && stage < (int) G_N_ELEMENTS (colours))
    gdk_rgba_parse (out, colours[stage]);
  else
    gdk_rgba_parse (out, "#9a9996");
}

int
bx_stage_get_row (int stage)
{
  switch (stage)
    {
    case BX_STAGE_WAKE:
      return 0;
    case BX_STAGE_REM:
      return 1;
    case BX_STAGE_N1:
      return 2;
    case BX_STAGE_N2:
      return 3;
    case BX_STAGE_N3:
      return 4;
    case BX_STAGE_N4:
      return 5;
    case BX_STAGE_MOVEMENT:
      return 0;
    default:
      return -1;
    }
}

const char *
bx_stage_short_name (int stage)
{
  static const char *names[] = { "W", "N1", "N2", "N3", "N4", "R", "MT" };

  if (stage >= 0 && stage < (int) G_N_ELEMENTS (names))
    return names[stage];
  return "?";
}
