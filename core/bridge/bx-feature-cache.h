/* bx-feature-cache.h — BxPairFeatures on disk, reused across runs.
 *
 * Computing the pair features (one forward of both frozen models over every
 * paired window) is the expensive part of `features`, `search` and `train`;
 * its result depends only on
 *   - the prepared windows of both sides (their bytes),
 *   - both checkpoints (their SHA-256),
 *   - the preprocessing (a recipe string, e.g. the window set's JSON),
 *   - the task head (its weights decide the pseudo labels), and
 *   - whether the old last-layer targets were kept.
 * The SHA-256 of all of these is the cache key; an entry is the safetensors
 * file `<dir>/<key>.safetensors` with tensors new.<i> (n, d_new_i),
 * old_in.<j> (n, d_old_j), targets (n, numel_L) when kept, pseudo_labels
 * (n) int32 and pseudo_confidence (n), written atomically. An entry that
 * cannot be read or does not match its key is ignored (and recomputed).
 * Default directory: $XDG_CACHE_HOME/bioxbridge/features.
 */
#pragma once

#include "bridge/bx-pair-features.h"

G_BEGIN_DECLS

typedef struct
{
  const float *old_prepared; /* (n, old_numel) */
  gsize old_numel;
  const float *new_prepared; /* (n, new_numel) */
  gsize new_numel;
  guint n;
  const char *old_sha256; /* checkpoint hashes */
  const char *new_sha256;
  const char *preprocessing; /* any text describing the preprocessing, may be NULL */
  const BxTaskHead *head;
  gboolean keep_targets;
} BxFeatureCacheKey;

/* Lower-case hex SHA-256 of everything in `key`. g_free. */
char *bx_feature_cache_key (const BxFeatureCacheKey *key);

/* g_get_user_cache_dir()/bioxbridge/features. g_free. */
char *bx_feature_cache_default_dir (void);

/* Looks the key up in `dir` (NULL = default) and returns the cached features,
 * or computes them with bx_pair_features_compute() and stores them.
 * `hit` (may be NULL) tells whether the cache answered. A cache that cannot
 * be written is only a warning (the features are still returned). */
BxPairFeatures *bx_feature_cache_get (const char *dir, const BxFeatureCacheKey *key, BxModel *old_model,
                                      BxModel *new_model, guint batch, gboolean *hit, BxJob *job,
                                      GError **error);

/* Lower level: read / write one entry file. */
BxPairFeatures *bx_feature_cache_load (const char *path, const char *expected_key, GError **error);
gboolean bx_feature_cache_save (const char *path, const char *key, const BxPairFeatures *features,
                                GError **error);

/* Number of lookups answered from disk in this process (for tests and --json). */
guint bx_feature_cache_hits (void);
guint bx_feature_cache_misses (void);

G_END_DECLS
