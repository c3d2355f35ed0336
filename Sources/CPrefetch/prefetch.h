/* Swift has no prefetch: the model asks for the cache lines of an operation's pages before it
   walks them, so that their misses overlap rather than follow one another. */
#ifndef PCPSIM_PREFETCH_H
#define PCPSIM_PREFETCH_H

static inline void pcpsim_prefetch(const void *p) { __builtin_prefetch(p, 1, 3); }

#endif
