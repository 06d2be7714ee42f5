/* bx-units.c — conversion factors between voltage units.
 *
 * EDF physical dimensions are free text: "uV", "µV" (Latin-1 0xB5 or UTF-8),
 * "UV"/"MV" (DREAMS writes upper case), "mV", "V", "nV". Matching is
 * case-insensitive, which makes "MV" mean millivolt (never megavolt: no
 * biosignal is in megavolts).
 */
#include "bx-recording.h"

#include <string.h>

/* Returns the power of ten of the unit in volts (uV -> -6), or FALSE. */
static gboolean
voltage_exponent (const char *unit, int *exponent)
{
  g_autofree char *trimmed = NULL;
  const char *u;

  if (unit == NULL)
    return FALSE;
  trimmed = g_strstrip (g_strdup (unit));
  u = trimmed;

  if (g_ascii_strcasecmp (u, "V") == 0)
    *exponent = 0;
  else if (g_ascii_strcasecmp (u, "mV") == 0)
    *exponent = -3;
  else if (g_ascii_strcasecmp (u, "uV") == 0 || strcmp (u, "\xc2\xb5V") == 0 || strcmp (u, "\xce\xbcV") == 0
           || strcmp (u, "\xb5V") == 0 || strcmp (u, "\xc2\xb5v") == 0)
    *exponent = -6;
  else if (g_ascii_strcasecmp (u, "nV") == 0)
    *exponent = -9;
  else
    return FALSE;
  return TRUE;
}

gboolean
bx_unit_scale (const char *from_unit, const char *to_unit, double *factor)
{
  int from, to;
  static const double powers[] = { 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0,
                                   1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9 };

  if (!voltage_exponent (from_unit, &from) || !voltage_exponent (to_unit, &to))
    return FALSE;
  /* Exact powers of ten from a table: 1e-3 * 1e6 computed with pow() would
   * not always round to exactly 1000. */
  if (factor != NULL)
    *factor = powers[from - to + 9];
  return TRUE;
}
