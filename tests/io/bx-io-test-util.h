/* bx-io-test-util.h — builds small zip archives in memory for the io tests
 * and fuzz harnesses (stored or deflated members, valid CRCs). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *name;
  GBytes *data;
  gboolean deflate;
  gboolean zip64; /* sizes (and the central offset) as 0xffffffff + a zip64 extra field */
} BxTestZipMember;

GBytes *bx_test_zip_build (const BxTestZipMember *members, guint n_members);

/* A torch.save-style archive "archive/data.pkl" + "archive/data/<i>" for i < n_storages. */
GBytes *bx_test_torch_zip (GBytes *pickle, GBytes *const *storages, guint n_storages);

G_END_DECLS
