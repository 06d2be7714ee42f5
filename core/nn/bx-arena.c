/* bx-arena.c — bump allocator for activations and scratch.
 *
 * A list of chunks; the cursor is (chunk, used). When the current chunk is
 * full the next one is taken (replaced by a bigger one if it is too small) or a
 * new one is appended. A full reset merges the chunks into one, so a repeated
 * allocation pattern stops hitting the system allocator after one pass.
 *
 * Chunks of HUGE_MIN and more are 2 MiB aligned and advised as transparent
 * huge pages (Linux): a training step's arena is ~1 GB (LaBraM blocks 2–11
 * at batch 16), which is 250,000 4-KiB page faults every time the arena is
 * first touched, and the big GEMM operands then miss the TLB less. */
#include "bx-nn.h"

#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#define ARENA_ALIGN 64
#define HUGE_PAGE ((size_t) 2 << 20)
#define HUGE_MIN ((size_t) 8 << 20)

typedef struct {
  char *base;
  size_t size;
  size_t filled;  /* fill level when the cursor moved past this chunk */
} ArenaChunk;

struct _BxArena {
  GArray *chunks;   /* ArenaChunk */
  guint current;
  size_t used;      /* in chunks[current] */
  size_t used_before; /* bytes handed out in chunks[0 .. current-1] */
  size_t high_water;
  guint64 n_system_allocs;
};

/* `size` may be rounded up (to whole huge pages); the caller records it. */
static char *
chunk_alloc (BxArena *arena, size_t *size)
{
  void *p = NULL;
  gboolean huge = *size >= HUGE_MIN;

  if (huge)
    *size = (*size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  if (posix_memalign (&p, huge ? HUGE_PAGE : ARENA_ALIGN, *size) != 0 || p == NULL)
    g_error ("arena: out of memory allocating %zu bytes", *size);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (huge)
    madvise (p, *size, MADV_HUGEPAGE);  /* advice only: failure leaves 4-KiB pages */
#endif
  arena->n_system_allocs++;
  return p;
}

BxArena *
bx_arena_new (size_t initial_bytes)
{
  BxArena *arena = g_new0 (BxArena, 1);
  arena->chunks = g_array_new (FALSE, TRUE, sizeof (ArenaChunk));
  if (initial_bytes > 0)
    {
      ArenaChunk c = { NULL, (initial_bytes + ARENA_ALIGN - 1) & ~(size_t) (ARENA_ALIGN - 1), 0 };
      c.base = chunk_alloc (arena, &c.size);
      g_array_append_val (arena->chunks, c);
    }
  return arena;
}

void
bx_arena_free (BxArena *arena)
{
  if (arena == NULL)
    return;
  for (guint i = 0; i < arena->chunks->len; i++)
    free (g_array_index (arena->chunks, ArenaChunk, i).base);
  g_array_free (arena->chunks, TRUE);
  g_free (arena);
}

void *
bx_arena_alloc (BxArena *arena, size_t n_bytes)
{
  size_t need = (n_bytes + ARENA_ALIGN - 1) & ~(size_t) (ARENA_ALIGN - 1);
  if (need == 0)
    need = ARENA_ALIGN;
  for (;;)
    {
      if (arena->current < arena->chunks->len)
        {
          ArenaChunk *c = &g_array_index (arena->chunks, ArenaChunk, arena->current);
          if (c->size - arena->used >= need)
            {
              void *p = c->base + arena->used;
              arena->used += need;
              size_t total = arena->used_before + arena->used;
              if (total > arena->high_water)
                arena->high_water = total;
              return p;
            }
          /* Does not fit here: move on to the next chunk. An empty current chunk
           * that is too small is replaced instead. */
          if (arena->used == 0)
            {
              size_t size = MAX (need, c->size * 2);
              free (c->base);
              c->base = chunk_alloc (arena, &size);
              c->size = size;
              continue;
            }
          c->filled = arena->used;
          arena->used_before += arena->used;
          arena->current++;
          arena->used = 0;
          continue;
        }
      /* Past the last chunk: append one at least twice the previous size. */
      size_t prev = arena->chunks->len > 0 ? g_array_index (arena->chunks, ArenaChunk, arena->chunks->len - 1).size : 0;
      ArenaChunk c = { NULL, MAX (need, MAX (prev * 2, (size_t) 1 << 20)), 0 };
      c.base = chunk_alloc (arena, &c.size);
      g_array_append_val (arena->chunks, c);
    }
}

float *
bx_arena_alloc_floats (BxArena *arena, size_t n_floats)
{
  return bx_arena_alloc (arena, n_floats * sizeof (float));
}

float *
bx_arena_alloc_zeros (BxArena *arena, size_t n_floats)
{
  float *p = bx_arena_alloc (arena, n_floats * sizeof (float));
  memset (p, 0, n_floats * sizeof (float));
  return p;
}

BxArenaMark
bx_arena_mark (const BxArena *arena)
{
  BxArenaMark m = { arena->current, arena->used };
  return m;
}

void
bx_arena_reset_to (BxArena *arena, BxArenaMark mark)
{
  g_return_if_fail (mark.chunk <= arena->current);
  if (mark.chunk == arena->current)
    {
      g_return_if_fail (mark.used <= arena->used);
      arena->used = mark.used;
      return;
    }
  size_t before = 0;
  for (guint i = 0; i < mark.chunk; i++)
    before += g_array_index (arena->chunks, ArenaChunk, i).filled;
  arena->current = mark.chunk;
  arena->used = mark.used;
  arena->used_before = before;
}

void
bx_arena_reset (BxArena *arena)
{
  if (arena->chunks->len > 1)
    {
      size_t total = 0;
      for (guint i = 0; i < arena->chunks->len; i++)
        {
          ArenaChunk *c = &g_array_index (arena->chunks, ArenaChunk, i);
          total += c->size;
          free (c->base);
        }
      total = MAX (total, arena->high_water);
      g_array_set_size (arena->chunks, 1);
      ArenaChunk *c = &g_array_index (arena->chunks, ArenaChunk, 0);
      c->base = chunk_alloc (arena, &total);
      c->size = total;
    }
  arena->current = 0;
  arena->used = 0;
  arena->used_before = 0;
}

void
bx_arena_rewind (BxArena *arena)
{
  arena->current = 0;
  arena->used = 0;
  arena->used_before = 0;
}

guint64
bx_arena_n_system_allocs (const BxArena *arena)
{
  return arena->n_system_allocs;
}

size_t
bx_arena_used_bytes (const BxArena *arena)
{
  return arena->used_before + arena->used;
}

size_t
bx_arena_high_water_bytes (const BxArena *arena)
{
  return arena->high_water;
}
