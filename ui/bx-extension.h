/* bx-extension.h — the plugin interface of the BioX Bridge host.
 *
 * A plugin implements BxViewExtension. For every open recording the host
 * creates one instance of each registered extension type and calls
 * activate() with the recording's BxViewHost; when the recording is closed it
 * calls deactivate() and drops the instance. Through the host the extension
 * reads the recording and the technician's scoring, adds overlay tracks,
 * annotations, sidebar pages and actions ("plugin.<name>" in the recording's
 * widget tree), and runs long jobs in a worker thread with progress and
 * cancel. It never touches the window's own widgets.
 *
 * Extensions are registered on the GIOExtensionPoint BX_VIEW_EXTENSION_POINT,
 * either compiled in (bx_extension_register() from the application) or from
 * a GIO module (a shared object exporting g_io_module_load()/unload() that
 * calls bx_extension_register() with its GTypeModule), loaded from
 * $libdir/bioxbridge/plugins, $XDG_DATA_HOME/bioxbridge/plugins and the
 * folders listed in $BIOX_PLUGIN_PATH.
 */
#pragma once

#include <gio/gio.h>
#include <gtk/gtk.h>

#include "bx-overlay-track.h"
#include "jobs/bx-job.h"
#include "recording/bx-hypnogram.h"
#include "recording/bx-recording.h"

G_BEGIN_DECLS

#define BX_VIEW_EXTENSION_POINT "bioxbridge-view-extension"

/* ---- BxViewHost: what a recording view offers an extension ---- */

#define BX_TYPE_VIEW_HOST (bx_view_host_get_type ())
G_DECLARE_INTERFACE (BxViewHost, bx_view_host, BX, VIEW_HOST, GObject)

/* Runs in a worker thread. Report progress and check for cancel through
 * `job`; return a result (freed with the destroy notify given to run_job) or
 * NULL with `error` set. */
typedef gpointer (*BxHostJobFunc) (BxJob *job, gpointer job_data, GError **error);

struct _BxViewHostInterface
{
  GTypeInterface parent_iface;

  BxRecording *(*get_recording) (BxViewHost *self);
  const BxHypnogram *(*get_scoring) (BxViewHost *self);
  void (*add_overlay_track) (BxViewHost *self, BxOverlayTrack *track);
  void (*remove_overlay_track) (BxViewHost *self, BxOverlayTrack *track);
  void (*add_annotation) (BxViewHost *self, double onset, double duration, const char *text);
  void (*add_sidebar_page) (BxViewHost *self, const char *name, const char *title, GtkWidget *page);
  void (*remove_sidebar_page) (BxViewHost *self, GtkWidget *page);
  GActionMap *(*get_action_map) (BxViewHost *self);
  /* Shows a job's progress; `progress` NULL when the job `title` has ended. */
  void (*show_job_progress) (BxViewHost *self, const char *title, const BxJobProgress *progress);
  /* The epoch the technician is on (30 s grid), and moving there. */
  int (*get_current_epoch) (BxViewHost *self);
  void (*set_current_epoch) (BxViewHost *self, int epoch);
  /* Scores `epoch` as the technician would (undoable, autosaved). */
  void (*set_stage) (BxViewHost *self, guint epoch, int stage);
};

BxRecording *bx_view_host_get_recording (BxViewHost *self);
/* The technician's scoring on the 30 s epoch grid (never NULL; unscored epochs are BX_STAGE_UNKNOWN). */
const BxHypnogram *bx_view_host_get_scoring (BxViewHost *self);
void bx_view_host_add_overlay_track (BxViewHost *self, BxOverlayTrack *track);
void bx_view_host_remove_overlay_track (BxViewHost *self, BxOverlayTrack *track);
void bx_view_host_add_annotation (BxViewHost *self, double onset, double duration, const char *text);
/* `page` is shown as a sidebar tab titled `title`; the host holds a reference until removed. */
void bx_view_host_add_sidebar_page (BxViewHost *self, const char *name, const char *title, GtkWidget *page);
void bx_view_host_remove_sidebar_page (BxViewHost *self, GtkWidget *page);
/* The current epoch of the view (0-based, 30 s epochs); the host's object
 * emits notify::current-epoch when it changes. */
int bx_view_host_get_current_epoch (BxViewHost *self);
void bx_view_host_set_current_epoch (BxViewHost *self, int epoch);
/* Scores one epoch with a stage code (BxStage) through the technician's
 * scoring, with undo and autosave — how a plugin's accepted prediction
 * enters the scoring. */
void bx_view_host_set_stage (BxViewHost *self, guint epoch, int stage);
/* Actions added here are reachable as "plugin.<name>" from the recording's widgets and menus. */
GActionMap *bx_view_host_get_action_map (BxViewHost *self);
/* Runs `func` on a dedicated thread; progress shows in the recording's status area.
 * `callback` runs in the main context; call bx_view_host_run_job_finish() there. */
void bx_view_host_run_job (BxViewHost *self, const char *title, BxHostJobFunc func, gpointer job_data,
                           GDestroyNotify job_data_free, GDestroyNotify result_free, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
gpointer bx_view_host_run_job_finish (BxViewHost *self, GAsyncResult *result, GError **error);
/* Like bx_view_host_run_job, and every progress report (in the main context,
 * after the host's own display) also goes to `progress` — e.g. a plugin's
 * live loss curve. `progress_data` must stay alive until `callback` ran. */
void bx_view_host_run_job_full (BxViewHost *self, const char *title, BxHostJobFunc func, gpointer job_data,
                                GDestroyNotify job_data_free, GDestroyNotify result_free,
                                BxJobProgressFunc progress, gpointer progress_data, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);

/* ---- BxViewExtension: what a plugin implements ---- */

#define BX_TYPE_VIEW_EXTENSION (bx_view_extension_get_type ())
G_DECLARE_INTERFACE (BxViewExtension, bx_view_extension, BX, VIEW_EXTENSION, GObject)

struct _BxViewExtensionInterface
{
  GTypeInterface parent_iface;

  void (*activate) (BxViewExtension *self, BxViewHost *host);
  void (*deactivate) (BxViewExtension *self);
};

void bx_view_extension_activate (BxViewExtension *self, BxViewHost *host);
void bx_view_extension_deactivate (BxViewExtension *self);

/* ---- Registry ---- */

typedef struct {
  char *id;           /* GIOExtension name, e.g. "biox-bridge" */
  char *title;        /* "BioX-Bridge" */
  char *description;
  char *origin;       /* "built in" or the module's file name */
  GType type;
} BxPluginInfo;

/* Ensures the extension points exist (idempotent, thread-safe). */
void bx_extension_points_ensure (void);

/* Registers `type` (which must implement BxViewExtension) under `id`.
 * `module` is the GIOModule when called from g_io_module_load(), else NULL. */
void bx_extension_register (GIOModule *module, GType type, const char *id, const char *title,
                            const char *description);

/* Loads GIO modules from the plugin folders once (later calls do nothing).
 * Errors (a module that fails to load) are logged with g_warning. */
void bx_extension_load_modules (void);

/* The registered plugins in registration order; array of BxPluginInfo*, owned by the registry. */
GPtrArray *bx_extension_get_plugins (void);

G_END_DECLS
