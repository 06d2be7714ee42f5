/* bx-application-private.h — shared between bx-application.c and bx-application-actions.c. */
#pragma once

#include "bx-application.h"

G_BEGIN_DECLS

struct _BxApplication
{
  AdwApplication parent_instance;

  GSettings *settings;
  gboolean demo;
  GCancellable *cancellable;
};

void _bx_application_actions_init (BxApplication *self);

G_END_DECLS
