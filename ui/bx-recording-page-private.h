/* bx-recording-page-private.h — what the page's action file shares with it. */
#pragma once

#include <adwaita.h>

#include "bx-hypnogram-view.h"
#include "bx-recording-page.h"

G_BEGIN_DECLS

struct _BxRecordingPage
{
  GtkWidget parent_instance;

  BxDocument *document;
  GSettings *settings;
  int current_epoch;
  double view_start;        /* seconds */
  double page_length;       /* seconds; 0 = whole recording */
  char *channel_layout;     /* labels in display order: rebuild the channel list when it changes */

  GSimpleActionGroup *plugin_actions;
  GPtrArray *extensions;    /* BxViewExtension* */

  /* Template children */
  GtkPaned *paned;
  AdwViewStack *sidebar_stack;
  GtkListBox *channel_list;
  GtkColumnView *annotation_view;
  GtkListBox *track_list;
  GtkLabel *scoring_summary;
  GtkLabel *position_label;
  GtkLabel *job_label;
  GtkProgressBar *job_progress;
  GtkDropDown *page_length_dropdown;
  GtkDropDown *highpass_dropdown;
  GtkDropDown *lowpass_dropdown;
  GtkDropDown *notch_dropdown;
  GtkMenuButton *goto_button;
  GtkPopover *goto_popover;
  GtkEntry *goto_entry;
  BxSignalView *signal_view;
  BxHypnogramView *hypnogram_view;
};

void _bx_recording_page_class_actions_init (GtkWidgetClass *widget_class);
void _bx_recording_page_update_actions (BxRecordingPage *self);
void _bx_recording_page_toast (BxRecordingPage *self, const char *message);

G_END_DECLS
