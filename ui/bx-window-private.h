/* bx-window-private.h — shared between bx-window.c and bx-window-actions.c. */
#pragma once

#include "bx-window.h"

G_BEGIN_DECLS

struct _BxWindow
{
  AdwApplicationWindow parent_instance;

  GSettings *settings;

  AdwToastOverlay *toast_overlay;
  AdwHeaderBar *header_bar;
  AdwWindowTitle *window_title;
  AdwTabBar *tab_bar;
  AdwTabView *tab_view;
  GtkStack *main_stack;
  AdwStatusPage *status_page;
  GtkLabel *recent_title;
  GtkListBox *recent_list;
};

void _bx_window_class_actions_init (GtkWidgetClass *widget_class);
void _bx_window_update_actions (BxWindow *self);

G_END_DECLS
