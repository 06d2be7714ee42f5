/* bx-modality.c — guessing what a channel carries from its EDF header.
 *
 * The label is split into upper-case tokens at spaces and - _ . : / ( ) and
 * looked up in three tables, in this order:
 *   1. a keyword that names a modality ("ECG", "EMG1", "Pleth", "SaO2",
 *      "Flow", "LOC", "Chin" ...) or says the channel is something else
 *      ("PR" pulse rate, "HR", "Temp", "Event", "Trigger", "Status", "DC01");
 *      a keyword in the first token (the EDF+ "signal type" position, as in
 *      "EEG Fpz-Cz" or "ECG ECG1") is surest;
 *   2. an electrode name of the 10-20/10-10 system ("Fp1", "C3", "O1-A1",
 *      "T7-Ref"): EEG;
 *   3. the transducer text ("Oral-nasal thermistors", "pulse oximeter");
 *   4. the unit alone ("%" at a low rate: SpO2), weakly.
 * Anything else is OTHER with a low confidence.
 */
#include "bx-modality.h"

#include <stdlib.h>
#include <string.h>

static const char *const modality_names[BX_N_MODALITIES] = {
  "EEG", "EOG", "EMG", "ECG", "PPG", "RESP", "SPO2", "POSITION", "OTHER",
};

const char *
bx_modality_to_string (BxModality modality)
{
  if ((int)modality < 0 || modality >= BX_N_MODALITIES)
    return "OTHER";
  return modality_names[modality];
}

gboolean
bx_modality_from_string (const char *name, BxModality *out_modality)
{
  if (name == NULL)
    return FALSE;
  for (int m = 0; m < BX_N_MODALITIES; m++)
    if (g_ascii_strcasecmp (name, modality_names[m]) == 0)
      {
        if (out_modality != NULL)
          *out_modality = (BxModality)m;
        return TRUE;
      }
  if (g_ascii_strcasecmp (name, "pleth") == 0)
    {
      if (out_modality != NULL)
        *out_modality = BX_MODALITY_PPG;
      return TRUE;
    }
  return FALSE;
}

typedef struct
{
  const char *keyword; /* upper case */
  BxModality modality;
  double confidence;
  gboolean numbered; /* also matches keyword + digits: "EMG1", "NAF2" */
} Keyword;

/* Keywords that name the modality (or say "not a waveform we model"). */
static const Keyword keywords[] = {
  { "EEG", BX_MODALITY_EEG, 0.95, TRUE },
  { "EOG", BX_MODALITY_EOG, 0.95, TRUE },
  { "HEOG", BX_MODALITY_EOG, 0.95, FALSE },
  { "VEOG", BX_MODALITY_EOG, 0.95, FALSE },
  { "LOC", BX_MODALITY_EOG, 0.9, FALSE }, /* left outer canthus */
  { "ROC", BX_MODALITY_EOG, 0.9, FALSE },
  { "E1", BX_MODALITY_EOG, 0.8, FALSE }, /* AASM names of the EOG derivations */
  { "E2", BX_MODALITY_EOG, 0.8, FALSE },
  { "EMG", BX_MODALITY_EMG, 0.95, TRUE },
  { "CHIN", BX_MODALITY_EMG, 0.9, TRUE },
  { "SUBMENTAL", BX_MODALITY_EMG, 0.9, FALSE },
  { "MENTALIS", BX_MODALITY_EMG, 0.9, FALSE },
  { "TIBIALIS", BX_MODALITY_EMG, 0.85, FALSE },
  { "LEG", BX_MODALITY_EMG, 0.8, TRUE },
  { "LAT", BX_MODALITY_EMG, 0.7, FALSE }, /* left anterior tibialis */
  { "RAT", BX_MODALITY_EMG, 0.7, FALSE },
  { "ECG", BX_MODALITY_ECG, 0.95, TRUE },
  { "EKG", BX_MODALITY_ECG, 0.95, TRUE },
  { "PLETH", BX_MODALITY_PPG, 0.95, FALSE },
  { "PLETHYSMOGRAM", BX_MODALITY_PPG, 0.95, FALSE },
  { "PPG", BX_MODALITY_PPG, 0.95, TRUE },
  { "BVP", BX_MODALITY_PPG, 0.9, FALSE },
  { "SAO2", BX_MODALITY_SPO2, 0.95, FALSE },
  { "SPO2", BX_MODALITY_SPO2, 0.95, FALSE },
  { "OXIMETRY", BX_MODALITY_SPO2, 0.8, FALSE },
  { "RESP", BX_MODALITY_RESP, 0.9, FALSE },
  { "RESPIRATION", BX_MODALITY_RESP, 0.9, FALSE },
  { "FLOW", BX_MODALITY_RESP, 0.9, FALSE },
  { "AIRFLOW", BX_MODALITY_RESP, 0.9, FALSE },
  { "CFLOW", BX_MODALITY_RESP, 0.85, FALSE },
  { "PTAF", BX_MODALITY_RESP, 0.85, FALSE },
  { "NASAL", BX_MODALITY_RESP, 0.85, FALSE },
  { "CANNULA", BX_MODALITY_RESP, 0.85, FALSE },
  { "NAF", BX_MODALITY_RESP, 0.8, TRUE }, /* nasal airflow (DREAMS) */
  { "THOR", BX_MODALITY_RESP, 0.9, FALSE },
  { "THORAX", BX_MODALITY_RESP, 0.9, FALSE },
  { "THORACIC", BX_MODALITY_RESP, 0.9, FALSE },
  { "CHEST", BX_MODALITY_RESP, 0.8, FALSE },
  { "ABDO", BX_MODALITY_RESP, 0.9, FALSE },
  { "ABD", BX_MODALITY_RESP, 0.85, FALSE },
  { "ABDOMEN", BX_MODALITY_RESP, 0.9, FALSE },
  { "ABDOMINAL", BX_MODALITY_RESP, 0.9, FALSE },
  { "BELT", BX_MODALITY_RESP, 0.85, FALSE },
  { "EFFORT", BX_MODALITY_RESP, 0.85, FALSE },
  { "VAB", BX_MODALITY_RESP, 0.8, FALSE }, /* DREAMS: ventilation abdominale */
  { "VTH", BX_MODALITY_RESP, 0.8, FALSE }, /* DREAMS: ventilation thoracique */
  { "POS", BX_MODALITY_POSITION, 0.85, FALSE },
  { "POSITION", BX_MODALITY_POSITION, 0.9, FALSE },
  { "BODY", BX_MODALITY_POSITION, 0.7, FALSE },
  /* Not waveforms of the modalities above. */
  { "PR", BX_MODALITY_OTHER, 0.85, FALSE }, /* pulse rate */
  { "HR", BX_MODALITY_OTHER, 0.85, FALSE },
  { "RATE", BX_MODALITY_OTHER, 0.85, FALSE },
  { "BPM", BX_MODALITY_OTHER, 0.8, FALSE },
  { "TEMP", BX_MODALITY_OTHER, 0.85, FALSE },
  { "TEMPERATURE", BX_MODALITY_OTHER, 0.85, FALSE },
  { "EVENT", BX_MODALITY_OTHER, 0.85, FALSE },
  { "MARKER", BX_MODALITY_OTHER, 0.85, FALSE },
  { "TRIGGER", BX_MODALITY_OTHER, 0.85, FALSE },
  { "STATUS", BX_MODALITY_OTHER, 0.85, FALSE },
  { "HYPNOGRAM", BX_MODALITY_OTHER, 0.9, FALSE },
  { "PHONO", BX_MODALITY_OTHER, 0.8, FALSE },
  { "SNORE", BX_MODALITY_OTHER, 0.8, FALSE },
  { "LIGHT", BX_MODALITY_OTHER, 0.8, FALSE },
  { "ACC", BX_MODALITY_OTHER, 0.7, TRUE }, /* accelerometer axes */
  { "DC", BX_MODALITY_OTHER, 0.7, TRUE },  /* DC inputs of Nihon Kohden */
  { "ANNOTATIONS", BX_MODALITY_OTHER, 0.9, FALSE },
};

static gboolean
is_digits (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    if (!g_ascii_isdigit (*s))
      return FALSE;
  return TRUE;
}

static const Keyword *
lookup_keyword (const char *token)
{
  for (gsize i = 0; i < G_N_ELEMENTS (keywords); i++)
    {
      gsize n = strlen (keywords[i].keyword);

      if (strcmp (token, keywords[i].keyword) == 0)
        return &keywords[i];
      if (keywords[i].numbered && strncmp (token, keywords[i].keyword, n) == 0 && is_digits (token + n))
        return &keywords[i];
    }
  return NULL;
}

/* 10-20 / 10-10 electrode names (upper case): a site prefix followed by a
 * number or Z ("FP1", "FPZ", "C3", "T10", "PO7", "OZ"), plus the ear/mastoid
 * references and Nihon Kohden's nasopharyngeal PG1/PG2. */
static gboolean
is_electrode (const char *token)
{
  static const char *const sites[]
      = { "FP", "AF", "FC", "FT", "CP", "TP", "PO", "F", "C", "T", "P", "O", "I", "N" };
  static const char *const extra[] = { "A1", "A2", "M1", "M2", "PG1", "PG2" };

  for (gsize i = 0; i < G_N_ELEMENTS (extra); i++)
    if (strcmp (token, extra[i]) == 0)
      return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (sites); i++)
    {
      gsize n = strlen (sites[i]);
      const char *rest = token + n;

      if (strncmp (token, sites[i], n) != 0)
        continue;
      if (strcmp (rest, "Z") == 0)
        return TRUE;
      if (is_digits (rest) && strlen (rest) <= 2 && rest[0] != '0' && atoi (rest) <= 12)
        return TRUE;
    }
  return FALSE;
}

/* Reference names that may follow an electrode: "Fp1-Ref", "C3-AVG". */
static gboolean
is_reference (const char *token)
{
  return strcmp (token, "REF") == 0 || strcmp (token, "AVG") == 0 || strcmp (token, "AV") == 0
         || strcmp (token, "CAR") == 0 || strcmp (token, "LE") == 0;
}

static char **
tokenize (const char *text)
{
  g_autofree char *upper = NULL;

  if (text == NULL)
    return g_new0 (char *, 1);
  upper = g_utf8_strup (text, -1);
  for (char *p = upper; *p != '\0'; p++)
    if (strchr ("-_.:/()[],;+", *p) != NULL || g_ascii_isspace (*p))
      *p = ' ';
  return g_strsplit_set (g_strstrip (upper), " ", -1);
}

static gboolean
is_voltage_unit (const char *unit)
{
  g_autofree char *u = unit != NULL ? g_strstrip (g_ascii_strdown (unit, -1)) : NULL;

  return u != NULL
         && (strcmp (u, "uv") == 0 || strcmp (u, "mv") == 0 || strcmp (u, "v") == 0 || strcmp (u, "nv") == 0
             || strcmp (u, "\xc2\xb5v") == 0);
}

BxModality
bx_modality_detect (const char *label, const char *transducer, const char *physical_dimension,
                    double sample_rate, double *confidence)
{
  g_auto (GStrv) tokens = tokenize (label);
  g_auto (GStrv) transducer_tokens = tokenize (transducer);
  BxModality result = BX_MODALITY_OTHER;
  double sure = 0.2;
  gboolean found = FALSE;
  int position = 0;

  /* 1. Keywords; the first token is the EDF+ signal-type position. */
  for (char **t = tokens; *t != NULL && !found; t++)
    {
      const Keyword *k;

      if (**t == '\0')
        continue;
      /* "Pulse" is the pleth curve on PSG systems (DREAMS), but a test
       * generator's "pulse" in µV is a square pulse train: only trust it
       * when the unit is not a voltage. */
      if (strcmp (*t, "PULSE") == 0 && t[1] == NULL && !is_voltage_unit (physical_dimension))
        {
          result = BX_MODALITY_PPG;
          sure = 0.75;
          found = TRUE;
          break;
        }
      k = lookup_keyword (*t);
      if (k != NULL)
        {
          result = k->modality;
          sure = position == 0 ? k->confidence : k->confidence - 0.05;
          found = TRUE;
        }
      position++;
    }

  /* 2. Electrode names. */
  if (!found)
    {
      int electrodes = 0, others = 0;

      for (char **t = tokens; *t != NULL; t++)
        {
          if (**t == '\0' || is_reference (*t))
            continue;
          if (is_electrode (*t))
            electrodes++;
          else
            others++;
        }
      if (electrodes > 0)
        {
          result = BX_MODALITY_EEG;
          found = TRUE;
          /* "Fpz-Cz": surely EEG; "POL T1": an electrode name among other words. */
          sure = others == 0 ? 0.8 : 0.55;
        }
    }

  /* 3. Transducer. */
  if (!found)
    for (char **t = transducer_tokens; *t != NULL && !found; t++)
      {
        const Keyword *k = **t != '\0' ? lookup_keyword (*t) : NULL;

        if (k == NULL && (g_str_has_prefix (*t, "THERMISTOR") || strcmp (*t, "THERMOCOUPLE") == 0))
          {
            result = BX_MODALITY_RESP;
            sure = 0.6;
            found = TRUE;
          }
        else if (k == NULL && strcmp (*t, "OXIMETER") == 0)
          {
            result = BX_MODALITY_SPO2;
            sure = 0.5;
            found = TRUE;
          }
        else if (k != NULL && k->modality != BX_MODALITY_OTHER)
          {
            result = k->modality;
            sure = 0.6;
            found = TRUE;
          }
      }

  /* 4. Unit alone. */
  if (!found && physical_dimension != NULL)
    {
      g_autofree char *u = g_strstrip (g_strdup (physical_dimension));

      if (strcmp (u, "%") == 0 && (sample_rate <= 0 || sample_rate <= 32))
        {
          result = BX_MODALITY_SPO2;
          sure = 0.35;
        }
    }

  if (confidence != NULL)
    *confidence = sure;
  return result;
}
