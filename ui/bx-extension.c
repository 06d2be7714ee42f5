/* bx-extension.c — extension interfaces, the plugin registry and module loading. */
#include "config.h"

#include "bx-extension.h"

#include <glib/gi18n.h>

/* ---- BxViewHost ---- */

G_DEFINE_INTERFACE (BxViewHost, bx_view_host, G_TYPE_OBJECT)

static void
bx_view_host_default_init (BxViewHostInterface *iface)
{
}

BxRecording *
bx_view_host_get_recording (BxViewHost *self)
{
  g_return_val_if_fail (BX_IS_VIEW_HOST (self), NULL);
  return BX_VIEW_HOST_GET_IFACE (self)->get_recording (self);
}

const BxHypnogram *
bx_view_host_get_scoring (BxViewHost *self)
{
  g_return_val_if_fail (BX_IS_VIEW_HOST (self), NULL);
  return BX_VIEW_HOST_GET_IFACE (self)->get_scoring (self);
}

void
bx_view_host_add_overlay_track (BxViewHost *self, BxOverlayTrack *track)
{
  g_return_if_fail (BX_IS_VIEW_HOST (self));
  g_return_if_fail (BX_IS_OVERLAY_TRACK (track));
  BX_VIEW_HOST_GET_IFACE (self)->add_overlay_track (self, track);
}

void
bx_view_host_remove_overlay_track (BxViewHost *self, BxOverlayTrack *track)
{
  g_return_if_fail (BX_IS_VIEW_HOST (self));
  g_return_if_fail (BX_IS_OVERLAY_TRACK (track));
  BX_VIEW_HOST_GET_IFACE (self)->remove_overlay_track (self, track);
}

void
bx_view_host_add_annotation (BxViewHost *self, double onset, double duration, const char *text)
{
  g_return_if_fail (BX_IS_VIEW_HOST (self));
  g_return_if_fail (text != NULL);
  BX_VIEW_HOST_GET_IFACE (self)->add_annotation (self, onset, duration, text);
}

void
bx_view_host_add_sidebar_page (BxViewHost *self, const char *name, const char *title, GtkWidget *page)
{
  g_return_if_fail (BX_IS_VIEW_HOST (self));
  g_return_if_fail (GTK_IS_WIDGET (page));
  BX_VIEW_HOST_GET_IFACE (self)->add_sidebar_page (self, name, title, page);
}

void
bx_view_host_remove_sidebar_page (BxViewHost *self, GtkWidget *page)
{
  g_return_if_fail (BX_IS_VIEW_HOST (self));
  g_return_if_fail (GTK_IS_WIDGET (page));
  BX_VIEW_HOST_GET_IFACE (self)->remove_sidebar_page (self, page);
}

GActionMap *
bx_view_host_get_action_map (BxViewHost *self)
{
  g_return_val_if_fail (BX_IS_VIEW_HOST (self), NULL);
  return BX_VIEW_HOST_GET_IFACE (self)->get_action_map (self);
}

/* A job runs on a thread of its own (CPU-bound work must not starve the
 * shared GTask pool that GIO uses for file I/O); the GTask carries the result
 * back to the main context. */
/* Source tag of the tasks run_job returns (a data address: ISO C has no function-to-data casts). */
static char run_job_tag;

typedef struct {
  GTask *task;
  BxHostJobFunc func;
  gpointer job_data;
  GDestroyNotify job_data_free;
  GDestroyNotify result_free;
  char *title;
  BxViewHost *host;   /* weak: kept alive by the task's source object */
  BxJobProgressFunc progress;   /* the extension's own, or NULL */
  gpointer progress_data;
} HostJob;

static void
host_job_free (gpointer data)
{
  HostJob *hj = data;

  if (hj->job_data_free != NULL && hj->job_data != NULL)
    hj->job_data_free (hj->job_data);
  g_free (hj->title);
  g_free (hj);
}

static void
host_job_progress (const BxJobProgress *progress, gpointer user_data)
{
  GTask *task = user_data;
  HostJob *hj = g_task_get_task_data (task);
  BxViewHostInterface *iface = BX_VIEW_HOST_GET_IFACE (hj->host);

  if (iface->show_job_progress != NULL)
    iface->show_job_progress (hj->host, hj->title, progress);
  if (hj->progress != NULL)
    hj->progress (progress, hj->progress_data);
}

static gpointer
host_job_thread (gpointer data)
{
  GTask *task = data;   /* owns a reference */
  HostJob *hj = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxJob) job = bx_job_new_for_context (g_task_get_cancellable (task), g_task_get_context (task),
                                                  host_job_progress, task);
  gpointer result = hj->func (job, hj->job_data, &error);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, result, hj->result_free);
  g_clear_pointer (&job, bx_job_free);
  g_object_unref (task);
  return NULL;
}

static void
host_job_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  /* Wrapper callback: clears the progress display before the caller's callback. */
  g_autoptr (GTask) outer = user_data;
  HostJob *hj = g_task_get_task_data (G_TASK (result));
  BxViewHostInterface *iface = BX_VIEW_HOST_GET_IFACE (hj->host);
  GError *error = NULL;
  gpointer value;

  if (iface->show_job_progress != NULL)
    iface->show_job_progress (hj->host, hj->title, NULL);
  value = g_task_propagate_pointer (G_TASK (result), &error);
  if (error != NULL)
    g_task_return_error (outer, error);
  else
    g_task_return_pointer (outer, value, hj->result_free);
}

void
bx_view_host_run_job (BxViewHost *self, const char *title, BxHostJobFunc func, gpointer job_data,
                      GDestroyNotify job_data_free, GDestroyNotify result_free, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  bx_view_host_run_job_full (self, title, func, job_data, job_data_free, result_free, NULL, NULL, cancellable,
                             callback, user_data);
}

void
bx_view_host_run_job_full (BxViewHost *self, const char *title, BxHostJobFunc func, gpointer job_data,
                           GDestroyNotify job_data_free, GDestroyNotify result_free, BxJobProgressFunc progress,
                           gpointer progress_data, GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  GTask *outer;
  GTask *inner;
  HostJob *hj;
  GThread *thread;

  g_return_if_fail (BX_IS_VIEW_HOST (self));
  g_return_if_fail (func != NULL);

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, &run_job_tag);
  inner = g_task_new (self, cancellable, host_job_done, outer);
  hj = g_new0 (HostJob, 1);
  hj->func = func;
  hj->job_data = job_data;
  hj->job_data_free = job_data_free;
  hj->result_free = result_free;
  hj->title = g_strdup (title);
  hj->host = self;
  hj->progress = progress;
  hj->progress_data = progress_data;
  g_task_set_task_data (inner, hj, host_job_free);
  g_task_set_return_on_cancel (inner, FALSE);

  thread = g_thread_new ("bx-host-job", host_job_thread, inner);   /* takes our reference */
  g_thread_unref (thread);
}

int
bx_view_host_get_current_epoch (BxViewHost *self)
{
  g_return_val_if_fail (BX_IS_VIEW_HOST (self), 0);
  return BX_VIEW_HOST_GET_IFACE (self)->get_current_epoch != NULL
             ? BX_VIEW_HOST_GET_IFACE (self)->get_current_epoch (self)
             : 0;
}

void
bx_view_host_set_current_epoch (BxViewHost *self, int epoch)
{
  g_return_if_fail (BX_IS_VIEW_HOST (self));
  if (BX_VIEW_HOST_GET_IFACE (self)->set_current_epoch != NULL)
    BX_VIEW_HOST_GET_IFACE (self)->set_current_epoch (self, epoch);
}

void
bx_view_host_set_stage (BxViewHost *self, guint epoch, int stage)
{
  g_return_if_fail (BX_IS_VIEW_HOST (self));
  if (BX_VIEW_HOST_GET_IFACE (self)->set_stage != NULL)
    BX_VIEW_HOST_GET_IFACE (self)->set_stage (self, epoch, stage);
}

gpointer
bx_view_host_run_job_finish (BxViewHost *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- BxViewExtension ---- */

G_DEFINE_INTERFACE (BxViewExtension, bx_view_extension, G_TYPE_OBJECT)

static void
bx_view_extension_default_init (BxViewExtensionInterface *iface)
{
}

void
bx_view_extension_activate (BxViewExtension *self, BxViewHost *host)
{
  BxViewExtensionInterface *iface;

  g_return_if_fail (BX_IS_VIEW_EXTENSION (self));
  g_return_if_fail (BX_IS_VIEW_HOST (host));
  iface = BX_VIEW_EXTENSION_GET_IFACE (self);
  if (iface->activate != NULL)
    iface->activate (self, host);
}

void
bx_view_extension_deactivate (BxViewExtension *self)
{
  BxViewExtensionInterface *iface;

  g_return_if_fail (BX_IS_VIEW_EXTENSION (self));
  iface = BX_VIEW_EXTENSION_GET_IFACE (self);
  if (iface->deactivate != NULL)
    iface->deactivate (self);
}

/* ---- Registry ---- */

/* File name of the module being loaded: GIOModule does not expose it, and
 * the plugin page should say where a plugin came from. Main thread only. */
static const char *loading_module_path;

G_LOCK_DEFINE_STATIC (registry);
static GPtrArray *registry_plugins;   /* BxPluginInfo* */

static void
plugin_info_free (gpointer data)
{
  BxPluginInfo *info = data;

  g_free (info->id);
  g_free (info->title);
  g_free (info->description);
  g_free (info->origin);
  g_free (info);
}

void
bx_extension_points_ensure (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      GIOExtensionPoint *point = g_io_extension_point_register (BX_VIEW_EXTENSION_POINT);

      g_io_extension_point_set_required_type (point, BX_TYPE_VIEW_EXTENSION);
      registry_plugins = g_ptr_array_new_with_free_func (plugin_info_free);
      g_once_init_leave (&done, 1);
    }
}

void
bx_extension_register (GIOModule *module, GType type, const char *id, const char *title,
                       const char *description)
{
  BxPluginInfo *info;

  g_return_if_fail (g_type_is_a (type, BX_TYPE_VIEW_EXTENSION));
  g_return_if_fail (id != NULL);

  bx_extension_points_ensure ();
  g_io_extension_point_implement (BX_VIEW_EXTENSION_POINT, type, id, 0);

  info = g_new0 (BxPluginInfo, 1);
  info->id = g_strdup (id);
  info->title = g_strdup (title != NULL ? title : id);
  info->description = g_strdup (description != NULL ? description : "");
  if (module != NULL && loading_module_path != NULL)
    info->origin = g_strdup (loading_module_path);
  else if (module != NULL)
    info->origin = g_strdup (_("plugin module"));
  else
    info->origin = g_strdup (_("built in"));
  info->type = type;

  G_LOCK (registry);
  g_ptr_array_add (registry_plugins, info);
  G_UNLOCK (registry);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

static void
load_modules_from (const char *dir)
{
  g_autoptr (GDir) d = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  if (dir == NULL || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    return;
  d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return;
  for (const char *name; (name = g_dir_read_name (d)) != NULL;)
    if (g_str_has_suffix (name, "." G_MODULE_SUFFIX))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);   /* a stable load order */

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, g_ptr_array_index (names, i), NULL);
      GIOModule *module = g_io_module_new (path);

      loading_module_path = path;
      /* Stays in use (loaded) for the life of the process: its types may be in
       * use by any open recording. On failure GIO has printed why. */
      if (!g_type_module_use (G_TYPE_MODULE (module)))
        g_warning ("Plugin module “%s” could not be loaded", path);
      loading_module_path = NULL;
    }
}

void
bx_extension_load_modules (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      const char *env = g_getenv ("BIOX_PLUGIN_PATH");
      g_autofree char *user_dir = g_build_filename (g_get_user_data_dir (), "bioxbridge", "plugins", NULL);

      bx_extension_points_ensure ();
      if (env != NULL)
        {
          g_auto (GStrv) dirs = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);

          for (guint i = 0; dirs[i] != NULL; i++)
            if (dirs[i][0] != '\0')
              load_modules_from (dirs[i]);
        }
      load_modules_from (user_dir);
      load_modules_from (PLUGINSDIR);
      g_once_init_leave (&done, 1);
    }
}

GPtrArray *
bx_extension_get_plugins (void)
{
  bx_extension_points_ensure ();
  return registry_plugins;
}
